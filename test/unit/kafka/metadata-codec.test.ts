import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../../lambdas/core/bytes/index.ts';
import { decodeMetadataResponse, encodeMetadataRequest } from '../../../lambdas/kafka/metadata-codec.ts';

function str(w: ByteWriter, s: string | null): void {
  if (s === null) w.writeInt16(-1);
  else w.writeInt16(Buffer.byteLength(s)).writeBytes(Buffer.from(s));
}

function ints(w: ByteWriter, values: number[]): void {
  w.writeInt32(values.length);
  for (const v of values) w.writeInt32(v);
}

function response(version: number): Buffer {
  const w = new ByteWriter();
  if (version >= 3) w.writeInt32(0);
  w.writeInt32(2);
  w.writeInt32(1);
  str(w, 'b1');
  w.writeInt32(9092);
  str(w, 'az1');
  w.writeInt32(2);
  str(w, 'b2');
  w.writeInt32(9093);
  str(w, null);
  if (version >= 2) str(w, 'cluster-x');
  w.writeInt32(2);
  w.writeInt32(1);
  w.writeInt16(0);
  str(w, '__consumer_offsets');
  w.writeBoolean(true);
  w.writeInt32(1);
  w.writeInt16(5).writeInt32(0).writeInt32(-1);
  if (version >= 7) w.writeInt32(12);
  ints(w, [1, 2]);
  ints(w, [2]);
  if (version >= 5) ints(w, [1]);
  if (version >= 8) w.writeInt32(-2147483648);
  if (version >= 8) w.writeInt32(-2147483648);
  return Buffer.from(w.toBuffer());
}

describe('encodeMetadataRequest', () => {
  it('asks for all topics with a null array and never for auto-creation', () => {
    const r = new ByteReader(encodeMetadataRequest(8, null));
    expect(r.readInt32()).toBe(-1);
    expect([r.readBoolean(), r.readBoolean(), r.readBoolean()]).toEqual([false, false, false]);
    expect(r.remaining).toBe(0);
  });

  it('names topics; v1-3 have no auto-creation flag', () => {
    const r = new ByteReader(encodeMetadataRequest(3, ['orders']));
    expect(r.readInt32()).toBe(1);
    expect(r.readUtf8(r.readInt16())).toBe('orders');
    expect(r.remaining).toBe(0);
  });
});

describe('decodeMetadataResponse', () => {
  it.each([1, 2, 5, 7, 8])('reads v%i', (version) => {
    expect(decodeMetadataResponse(version, response(version))).toEqual({
      clusterId: version >= 2 ? 'cluster-x' : null,
      controllerId: 2,
      brokers: [
        { nodeId: 1, host: 'b1', port: 9092, rack: 'az1' },
        { nodeId: 2, host: 'b2', port: 9093, rack: null },
      ],
      topics: [
        {
          name: '__consumer_offsets',
          errorCode: 0,
          isInternal: true,
          partitions: [{ partition: 0, errorCode: 5, leader: -1, leaderEpoch: version >= 7 ? 12 : -1, replicas: [1, 2], isr: [2] }],
        },
      ],
    });
  });

  it('throws on a truncated body', () => {
    const full = response(8);
    expect(() => decodeMetadataResponse(8, full.subarray(0, full.length - 5))).toThrow();
  });
});
