/**
 * ElectLeaders v0-1 (KIP-460) request and response bodies; kafkajs has no ElectLeaders. Only
 * preferred elections are asked for: the playbook moves leadership inside the in-sync replicas
 * and never asks for an unclean election. v0 is always preferred; v1 says so with a type byte.
 */
import { ByteReader, ByteWriter } from '../core/bytes/index.ts';
import { readArray, readNullableString, readString, writeArray, writeNullableString } from './wire-primitives.ts';

export const ELECT_LEADERS_API_KEY = 43;
export const ELECT_LEADERS_MIN_VERSION = 0;
/** v2 is a flexible version; 0-1 carry all the playbook needs. */
export const ELECT_LEADERS_MAX_VERSION = 1;
const PREFERRED = 0;

export interface ElectLeadersRequestBody {
  topics: { topic: string; partitions: number[] }[];
  timeoutMs: number;
}

export interface ElectLeadersResponseBody {
  throttleTimeMs: number;
  errorCode: number; // 0 before v1
  topics: { topic: string; partitions: { partition: number; errorCode: number; errorMessage: string | null }[] }[];
}

function assertVersion(version: number): void {
  if (!Number.isInteger(version) || version < ELECT_LEADERS_MIN_VERSION || version > ELECT_LEADERS_MAX_VERSION) {
    throw new RangeError(`ElectLeaders version ${version} is outside ${ELECT_LEADERS_MIN_VERSION}-${ELECT_LEADERS_MAX_VERSION}`);
  }
}

export function encodeElectLeadersRequest(version: number, body: ElectLeadersRequestBody): Buffer {
  assertVersion(version);
  const writer = new ByteWriter(64);
  if (version >= 1) writer.writeInt8(PREFERRED);
  writeArray(writer, body.topics, (w, topic) => {
    writeNullableString(w, topic.topic);
    writeArray(w, topic.partitions, (pw, partition) => pw.writeInt32(partition));
  });
  writer.writeInt32(body.timeoutMs);
  return Buffer.from(writer.toBuffer());
}

export function decodeElectLeadersResponse(version: number, payload: Buffer): ElectLeadersResponseBody {
  assertVersion(version);
  const reader = new ByteReader(payload);
  const throttleTimeMs = reader.readInt32();
  const errorCode = version >= 1 ? reader.readInt16() : 0;
  const topics =
    readArray(reader, (r) => ({
      topic: readString(r),
      partitions: readArray(r, (pr) => ({ partition: pr.readInt32(), errorCode: pr.readInt16(), errorMessage: readNullableString(pr) })) ?? [],
    })) ?? [];
  return { throttleTimeMs, errorCode, topics };
}
