import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../../lambdas/core/bytes/index.ts';
import { decodeFetchResponse, encodeFetchRequest, type FetchRequestBody } from '../../../lambdas/kafka/fetch-codec.ts';

const body: FetchRequestBody = {
  maxWaitMs: 250,
  minBytes: 1,
  maxBytes: 4096,
  isolationLevel: 1,
  topic: '__consumer_offsets',
  partition: 7,
  fetchOffset: 2n ** 53n + 1n,
  partitionMaxBytes: 2048,
};

function readString(reader: ByteReader): string {
  return reader.readUtf8(reader.readInt16());
}

/** Reads a request body the way a broker would, field by field per the FetchRequest schema. */
function parseRequest(version: number, bytes: Buffer) {
  const r = new ByteReader(bytes);
  const head = { replicaId: r.readInt32(), maxWait: r.readInt32(), minBytes: r.readInt32(), maxBytes: r.readInt32(), isolation: r.readInt8() };
  const session = version >= 7 ? { id: r.readInt32(), epoch: r.readInt32() } : null;
  expect(r.readInt32()).toBe(1);
  const topic = readString(r);
  expect(r.readInt32()).toBe(1);
  const partition = r.readInt32();
  const leaderEpoch = version >= 9 ? r.readInt32() : null;
  const fetchOffset = r.readInt64();
  const logStart = version >= 5 ? r.readInt64() : null;
  const partitionMaxBytes = r.readInt32();
  const forgotten = version >= 7 ? r.readInt32() : null;
  const rack = version >= 11 ? readString(r) : null;
  expect(r.remaining).toBe(0);
  return { head, session, topic, partition, leaderEpoch, fetchOffset, logStart, partitionMaxBytes, forgotten, rack };
}

describe('encodeFetchRequest', () => {
  it.each([4, 5, 7, 9, 11])('lays out v%i exactly as the schema says', (version) => {
    const parsed = parseRequest(version, encodeFetchRequest(version, body));
    expect(parsed.head).toEqual({ replicaId: -1, maxWait: 250, minBytes: 1, maxBytes: 4096, isolation: 1 });
    expect(parsed.topic).toBe('__consumer_offsets');
    expect(parsed.partition).toBe(7);
    expect(parsed.fetchOffset).toBe(2n ** 53n + 1n);
    expect(parsed.partitionMaxBytes).toBe(2048);
    expect(parsed.session).toEqual(version >= 7 ? { id: 0, epoch: -1 } : null);
    expect(parsed.leaderEpoch).toBe(version >= 9 ? -1 : null);
    expect(parsed.logStart).toBe(version >= 5 ? -1n : null);
    expect(parsed.forgotten).toBe(version >= 7 ? 0 : null);
    expect(parsed.rack).toBe(version >= 11 ? '' : null);
  });

  it('refuses versions it cannot encode', () => {
    expect(() => encodeFetchRequest(3, body)).toThrow(RangeError);
    expect(() => encodeFetchRequest(12, body)).toThrow(RangeError);
  });
});

function writeString(w: ByteWriter, s: string): void {
  const b = Buffer.from(s);
  w.writeInt16(b.length).writeBytes(b);
}

function buildResponse(version: number, records: Buffer | null, aborted: [bigint, bigint][] | null): Buffer {
  const w = new ByteWriter();
  w.writeInt32(12); // throttle
  if (version >= 7) w.writeInt16(0).writeInt32(0);
  w.writeInt32(1);
  writeString(w, '__consumer_offsets');
  w.writeInt32(1);
  w.writeInt32(7).writeInt16(0).writeInt64(2n ** 63n - 2n).writeInt64(900n);
  if (version >= 5) w.writeInt64(2n ** 31n + 5n);
  if (aborted === null) w.writeInt32(-1);
  else {
    w.writeInt32(aborted.length);
    for (const [pid, first] of aborted) w.writeInt64(pid).writeInt64(first);
  }
  if (version >= 11) w.writeInt32(2);
  if (records === null) w.writeInt32(-1);
  else w.writeInt32(records.length).writeBytes(records);
  return Buffer.from(w.toBuffer());
}

describe('decodeFetchResponse', () => {
  const records = Buffer.from('000000000000002a0000003c', 'hex');

  it.each([4, 5, 7, 11])('keeps v%i record bytes untouched and reads the offsets as bigint', (version) => {
    const decoded = decodeFetchResponse(version, buildResponse(version, records, [[2n ** 53n + 1n, 42n]]));
    expect(decoded.throttleTimeMs).toBe(12);
    const partition = decoded.topics[0]?.partitions[0];
    expect(decoded.topics[0]?.topic).toBe('__consumer_offsets');
    expect(partition?.partition).toBe(7);
    expect(partition?.highWatermark).toBe(2n ** 63n - 2n);
    expect(partition?.lastStableOffset).toBe(900n);
    expect(partition?.logStartOffset).toBe(version >= 5 ? 2n ** 31n + 5n : -1n);
    expect(partition?.preferredReadReplica).toBe(version >= 11 ? 2 : -1);
    expect(partition?.abortedTransactions).toEqual([{ producerId: 2n ** 53n + 1n, firstOffset: 42n }]);
    expect(partition?.records.equals(records)).toBe(true);
  });

  it('reads null aborted transactions and null records as empty', () => {
    const partition = decodeFetchResponse(11, buildResponse(11, null, null)).topics[0]?.partitions[0];
    expect(partition?.abortedTransactions).toEqual([]);
    expect(partition?.records.length).toBe(0);
  });

  it('throws on a truncated response instead of inventing data', () => {
    const full = buildResponse(7, records, []);
    expect(() => decodeFetchResponse(7, full.subarray(0, full.length - 3))).toThrow();
  });
});
