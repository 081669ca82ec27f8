/**
 * Fetch v4-v11 request body and response body, written by hand so that each partition's record
 * set reaches core exactly as the broker sent it (kafkajs's own decoder would unpack and
 * re-shape the batches). v4 is the first version with isolation level, last stable offset and
 * aborted transactions; v12+ are flexible and would change nothing we need.
 */
import { ByteReader, ByteWriter } from '../core/bytes/index.ts';
import { assertVersion, type ApiSpec } from './api-spec.ts';
import { readArray, readTopics, writeNullableString, writeTopics } from './wire-primitives.ts';

export const FETCH_API: ApiSpec = { name: 'Fetch', key: 1, min: 4, max: 11 };

export const ISOLATION_READ_UNCOMMITTED = 0;
export const ISOLATION_READ_COMMITTED = 1;

export interface FetchRequestBody {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: typeof ISOLATION_READ_UNCOMMITTED | typeof ISOLATION_READ_COMMITTED;
  topic: string;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
}

export interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint; // -1 before v5
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[];
  preferredReadReplica: number; // -1 before v11
  records: Buffer; // empty when the broker sent null
}

export interface FetchResponseBody {
  throttleTimeMs: number;
  errorCode: number; // top level, 0 before v7
  topics: { topic: string; partitions: FetchedPartition[] }[];
}

export function encodeFetchRequest(version: number, body: FetchRequestBody): Buffer {
  assertVersion(FETCH_API, version);
  const writer = new ByteWriter(128);
  writer.writeInt32(-1); // replica id: a consumer, not a follower
  writer.writeInt32(body.maxWaitMs);
  writer.writeInt32(body.minBytes);
  writer.writeInt32(body.maxBytes);
  writer.writeInt8(body.isolationLevel);
  if (version >= 7) {
    // Session id 0 with epoch -1 asks for a full fetch outside any incremental fetch session.
    writer.writeInt32(0);
    writer.writeInt32(-1);
  }
  writeTopics(writer, [{ topic: body.topic, partitions: [body] }], (w, p) => {
    w.writeInt32(p.partition);
    if (version >= 9) w.writeInt32(-1); // current leader epoch unknown: skip fencing
    w.writeInt64(p.fetchOffset);
    if (version >= 5) w.writeInt64(-1n); // log start offset is only meaningful for followers
    w.writeInt32(p.partitionMaxBytes);
  });
  if (version >= 7) writer.writeInt32(0); // no forgotten topics
  if (version >= 11) writeNullableString(writer, ''); // rack id
  return Buffer.from(writer.toBuffer());
}

function readPartition(reader: ByteReader, version: number): FetchedPartition {
  const partition = reader.readInt32();
  const errorCode = reader.readInt16();
  const highWatermark = reader.readInt64();
  const lastStableOffset = reader.readInt64();
  const logStartOffset = version >= 5 ? reader.readInt64() : -1n;
  const abortedTransactions =
    readArray(reader, (r) => ({ producerId: r.readInt64(), firstOffset: r.readInt64() })) ?? [];
  const preferredReadReplica = version >= 11 ? reader.readInt32() : -1;
  const size = reader.readInt32();
  // subarray keeps the bytes zero-copy; they stay valid because the payload is never reused.
  const records = size < 0 ? Buffer.alloc(0) : reader.readBytes(size);
  return { partition, errorCode, highWatermark, lastStableOffset, logStartOffset, abortedTransactions, preferredReadReplica, records };
}

/** Decodes the response body (after the correlation id). Throws ByteUnderflowError/RangeError on malformed bytes. */
export function decodeFetchResponse(version: number, payload: Buffer): FetchResponseBody {
  assertVersion(FETCH_API, version);
  const reader = new ByteReader(payload);
  const throttleTimeMs = reader.readInt32();
  let errorCode = 0;
  if (version >= 7) {
    errorCode = reader.readInt16();
    reader.readInt32(); // session id: always 0 for the sessionless fetches we send
  }
  const topics = readTopics(reader, (r) => readPartition(r, version));
  return { throttleTimeMs, errorCode, topics };
}
