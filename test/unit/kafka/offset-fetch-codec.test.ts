import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../../lambdas/core/bytes/index.ts';
import { decodeOffsetFetchResponse, encodeOffsetFetchRequest } from '../../../lambdas/kafka/offset-fetch-codec.ts';

function readString(r: ByteReader): string | null {
  const n = r.readInt16();
  return n < 0 ? null : r.readUtf8(n);
}

describe('encodeOffsetFetchRequest', () => {
  it('names topics and partitions', () => {
    const r = new ByteReader(encodeOffsetFetchRequest(5, { groupId: 'g', topics: [{ topic: 'orders', partitions: [0, 2] }] }));
    expect(readString(r)).toBe('g');
    expect(r.readInt32()).toBe(1);
    expect(readString(r)).toBe('orders');
    expect([r.readInt32(), r.readInt32(), r.readInt32()]).toEqual([2, 0, 2]);
    expect(r.remaining).toBe(0);
  });

  it('writes "all topics" as a null array, which v1 cannot express', () => {
    const r = new ByteReader(encodeOffsetFetchRequest(2, { groupId: 'g', topics: null }));
    readString(r);
    expect(r.readInt32()).toBe(-1);
    expect(() => encodeOffsetFetchRequest(1, { groupId: 'g', topics: null })).toThrow(RangeError);
  });
});

function response(version: number): Buffer {
  const w = new ByteWriter();
  if (version >= 3) w.writeInt32(5);
  w.writeInt32(1);
  const name = Buffer.from('orders');
  w.writeInt16(name.length).writeBytes(name);
  w.writeInt32(2);
  w.writeInt32(0).writeInt64(2n ** 53n + 1n);
  if (version >= 5) w.writeInt32(9);
  w.writeInt16(1).writeBytes(Buffer.from('m')).writeInt16(0);
  w.writeInt32(1).writeInt64(-1n);
  if (version >= 5) w.writeInt32(-1);
  w.writeInt16(-1).writeInt16(0);
  if (version >= 2) w.writeInt16(16);
  return Buffer.from(w.toBuffer());
}

describe('decodeOffsetFetchResponse', () => {
  it.each([1, 2, 3, 5])('reads v%i with the fields that version has', (version) => {
    const decoded = decodeOffsetFetchResponse(version, response(version));
    expect(decoded.throttleTimeMs).toBe(version >= 3 ? 5 : 0);
    expect(decoded.errorCode).toBe(version >= 2 ? 16 : 0);
    expect(decoded.topics).toEqual([
      {
        topic: 'orders',
        partitions: [
          { partition: 0, offset: 2n ** 53n + 1n, leaderEpoch: version >= 5 ? 9 : -1, metadata: 'm', errorCode: 0 },
          { partition: 1, offset: -1n, leaderEpoch: -1, metadata: null, errorCode: 0 },
        ],
      },
    ]);
  });
});
