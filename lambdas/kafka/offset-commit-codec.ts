/**
 * OffsetCommit v2-v7 request and response bodies. Written here rather than taken from kafkajs
 * because kafkajs stops at v5, which cannot carry the committed leader epoch (v6+), and because
 * its parser throws on the first partition error while the seeding step needs every
 * partition's outcome.
 */
import { ByteReader, ByteWriter } from '../core/bytes/index.ts';
import { readArray, readString, writeArray, writeNullableString } from './wire-primitives.ts';

export const OFFSET_COMMIT_API_KEY = 8;
export const OFFSET_COMMIT_MIN_VERSION = 2;
export const OFFSET_COMMIT_MAX_VERSION = 7;

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

function assertVersion(version: number): void {
  if (!Number.isInteger(version) || version < OFFSET_COMMIT_MIN_VERSION || version > OFFSET_COMMIT_MAX_VERSION) {
    throw new RangeError(`OffsetCommit version ${version} is outside ${OFFSET_COMMIT_MIN_VERSION}-${OFFSET_COMMIT_MAX_VERSION}`);
  }
}

export function encodeOffsetCommitRequest(version: number, body: OffsetCommitRequestBody): Buffer {
  assertVersion(version);
  const writer = new ByteWriter(256);
  writeNullableString(writer, body.groupId);
  writer.writeInt32(body.generationId);
  writeNullableString(writer, body.memberId);
  if (version >= 7) writeNullableString(writer, null); // group instance id: not a static member
  if (version <= 4) writer.writeInt64(-1n); // retention: the broker's offsets.retention.minutes
  writeArray(writer, body.topics, (w, topic) => {
    writeNullableString(w, topic.topic);
    writeArray(w, topic.partitions, (pw, p) => {
      pw.writeInt32(p.partition);
      pw.writeInt64(p.offset);
      if (version >= 6) pw.writeInt32(p.leaderEpoch);
      writeNullableString(pw, p.metadata);
    });
  });
  return Buffer.from(writer.toBuffer());
}

export function decodeOffsetCommitResponse(version: number, payload: Buffer): OffsetCommitResponseBody {
  assertVersion(version);
  const reader = new ByteReader(payload);
  const throttleTimeMs = version >= 3 ? reader.readInt32() : 0;
  const topics =
    readArray(reader, (r) => ({
      topic: readString(r),
      partitions: readArray(r, (pr) => ({ partition: pr.readInt32(), errorCode: pr.readInt16() })) ?? [],
    })) ?? [];
  return { throttleTimeMs, topics };
}
