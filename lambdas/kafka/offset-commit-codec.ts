/**
 * OffsetCommit v2-v7 request and response bodies. Written here rather than taken from kafkajs
 * because kafkajs stops at v5, which cannot carry the committed leader epoch (v6+), and because
 * its parser throws on the first partition error while the seeding step needs every
 * partition's outcome.
 */
import { ByteReader, ByteWriter } from '../core/bytes/index.ts';
import { assertVersion, type ApiSpec } from './api-spec.ts';
import { readTopics, writeNullableString, writeTopics } from './wire-primitives.ts';

export const OFFSET_COMMIT_API: ApiSpec = { name: 'OffsetCommit', key: 8, min: 2, max: 7 };

export interface OffsetCommitRequestBody {
  groupId: string;
  generationId: number;
  memberId: string;
  topics: {
    topic: string;
    partitions: { partition: number; offset: bigint; leaderEpoch: number; metadata: string | null }[];
  }[];
}

export interface OffsetCommitResponseBody {
  throttleTimeMs: number; // 0 before v3
  topics: { topic: string; partitions: { partition: number; errorCode: number }[] }[];
}

export function encodeOffsetCommitRequest(version: number, body: OffsetCommitRequestBody): Buffer {
  assertVersion(OFFSET_COMMIT_API, version);
  const writer = new ByteWriter(256);
  writeNullableString(writer, body.groupId);
  writer.writeInt32(body.generationId);
  writeNullableString(writer, body.memberId);
  if (version >= 7) writeNullableString(writer, null); // group instance id: not a static member
  if (version <= 4) writer.writeInt64(-1n); // retention: the broker's offsets.retention.minutes
  writeTopics(writer, body.topics, (w, p) => {
    w.writeInt32(p.partition);
    w.writeInt64(p.offset);
    if (version >= 6) w.writeInt32(p.leaderEpoch);
    writeNullableString(w, p.metadata);
  });
  return Buffer.from(writer.toBuffer());
}

export function decodeOffsetCommitResponse(version: number, payload: Buffer): OffsetCommitResponseBody {
  assertVersion(OFFSET_COMMIT_API, version);
  const reader = new ByteReader(payload);
  const throttleTimeMs = version >= 3 ? reader.readInt32() : 0;
  const topics = readTopics(reader, (r) => ({ partition: r.readInt32(), errorCode: r.readInt16() }));
  return { throttleTimeMs, topics };
}
