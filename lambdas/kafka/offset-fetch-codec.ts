/**
 * OffsetFetch v1-v5 request and response bodies. kafkajs stops at v4, which has no committed
 * leader epoch (v5+), and writes an empty topic list as "all topics" only from v3 on.
 * v6+ are flexible and add nothing the port needs.
 */
import { ByteReader, ByteWriter } from '../core/bytes/index.ts';
import { assertVersion, type ApiSpec } from './api-spec.ts';
import { readNullableString, readTopics, writeNullableString, writeTopics } from './wire-primitives.ts';

export const OFFSET_FETCH_API: ApiSpec = { name: 'OffsetFetch', key: 9, min: 1, max: 5 };
/** From this version on a null topic list asks for every partition the group has. */
export const OFFSET_FETCH_ALL_TOPICS_VERSION = 2;

export interface OffsetFetchRequestBody {
  groupId: string;
  /** null: every topic the group has offsets for (v2+). */
  topics: { topic: string; partitions: number[] }[] | null;
}

export interface OffsetFetchResponseBody {
  throttleTimeMs: number; // 0 before v3
  errorCode: number; // top level, 0 before v2
  topics: { topic: string; partitions: { partition: number; offset: bigint; leaderEpoch: number; metadata: string | null; errorCode: number }[] }[];
}

export function encodeOffsetFetchRequest(version: number, body: OffsetFetchRequestBody): Buffer {
  assertVersion(OFFSET_FETCH_API, version);
  if (body.topics === null && version < OFFSET_FETCH_ALL_TOPICS_VERSION) {
    throw new RangeError(`OffsetFetch v${version} cannot ask for all topics; name them`);
  }
  const writer = new ByteWriter(128);
  writeNullableString(writer, body.groupId);
  if (body.topics === null) writer.writeInt32(-1);
  else writeTopics(writer, body.topics, (w, partition) => w.writeInt32(partition));
  return Buffer.from(writer.toBuffer());
}

export function decodeOffsetFetchResponse(version: number, payload: Buffer): OffsetFetchResponseBody {
  assertVersion(OFFSET_FETCH_API, version);
  const reader = new ByteReader(payload);
  const throttleTimeMs = version >= 3 ? reader.readInt32() : 0;
  const topics = readTopics(reader, (r) => ({
    partition: r.readInt32(),
    offset: r.readInt64(),
    leaderEpoch: version >= 5 ? r.readInt32() : -1,
    metadata: readNullableString(r),
    errorCode: r.readInt16(),
  }));
  const errorCode = version >= 2 ? reader.readInt16() : 0;
  return { throttleTimeMs, errorCode, topics };
}
