import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../../lambdas/core/bytes/index.ts';
import { decodeOffsetCommitResponse, encodeOffsetCommitRequest } from '../../../lambdas/kafka/offset-commit-codec.ts';

function readNullableString(r: ByteReader): string | null {
  const n = r.readInt16();
  return n < 0 ? null : r.readUtf8(n);
}

const request = {
  groupId: 'orders-recovered',
  generationId: -1,
  memberId: '',
  topics: [{ topic: 'orders', partitions: [{ partition: 3, offset: 2n ** 53n + 1n, leaderEpoch: 9, metadata: null }] }],
};

describe('encodeOffsetCommitRequest', () => {
  it.each([2, 4, 5, 6, 7])('writes a standalone v%i commit per the schema', (version) => {
    const r = new ByteReader(encodeOffsetCommitRequest(version, request));
    expect(readNullableString(r)).toBe('orders-recovered');
    expect(r.readInt32()).toBe(-1);
    expect(readNullableString(r)).toBe('');
    if (version >= 7) expect(readNullableString(r)).toBeNull();
    if (version <= 4) expect(r.readInt64()).toBe(-1n);
    expect(r.readInt32()).toBe(1);
    expect(readNullableString(r)).toBe('orders');
    expect(r.readInt32()).toBe(1);
    expect(r.readInt32()).toBe(3);
    expect(r.readInt64()).toBe(2n ** 53n + 1n);
    if (version >= 6) expect(r.readInt32()).toBe(9);
    expect(readNullableString(r)).toBeNull();
    expect(r.remaining).toBe(0);
  });
});

describe('decodeOffsetCommitResponse', () => {
  it('returns every partition outcome, errors included', () => {
    const w = new ByteWriter();
    w.writeInt32(0).writeInt32(1);
    const name = Buffer.from('orders');
    w.writeInt16(name.length).writeBytes(name);
    w.writeInt32(2).writeInt32(0).writeInt16(0).writeInt32(1).writeInt16(16);
    expect(decodeOffsetCommitResponse(6, Buffer.from(w.toBuffer()))).toEqual({
      throttleTimeMs: 0,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, errorCode: 0 }, { partition: 1, errorCode: 16 }] }],
    });
  });

  it('has no throttle time before v3', () => {
    const w = new ByteWriter();
    w.writeInt32(0);
    expect(decodeOffsetCommitResponse(2, Buffer.from(w.toBuffer()))).toEqual({ throttleTimeMs: 0, topics: [] });
  });
});
