/**
 * ElectLeaders v0-1 (KIP-460) request and response bodies; kafkajs has no ElectLeaders. Only
 * preferred elections are asked for: the playbook moves leadership inside the in-sync replicas
 * and never asks for an unclean election. v0 is always preferred; v1 says so with a type byte.
 * v2 is a flexible version; 0-1 carry all the playbook needs.
 */
import { ByteReader, ByteWriter } from '../core/bytes/index.ts';
import { assertVersion, type ApiSpec } from './api-spec.ts';
import { readNullableString, readTopics, writeTopics } from './wire-primitives.ts';

export const ELECT_LEADERS_API: ApiSpec = { name: 'ElectLeaders', key: 43, min: 0, max: 1 };
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

export function encodeElectLeadersRequest(version: number, body: ElectLeadersRequestBody): Buffer {
  assertVersion(ELECT_LEADERS_API, version);
  const writer = new ByteWriter(64);
  if (version >= 1) writer.writeInt8(PREFERRED);
  writeTopics(writer, body.topics, (w, partition) => w.writeInt32(partition));
  writer.writeInt32(body.timeoutMs);
  return Buffer.from(writer.toBuffer());
}

export function decodeElectLeadersResponse(version: number, payload: Buffer): ElectLeadersResponseBody {
  assertVersion(ELECT_LEADERS_API, version);
  const reader = new ByteReader(payload);
  const throttleTimeMs = reader.readInt32();
  const errorCode = version >= 1 ? reader.readInt16() : 0;
  const topics = readTopics(reader, (r) => ({ partition: r.readInt32(), errorCode: r.readInt16(), errorMessage: readNullableString(r) }));
  return { throttleTimeMs, errorCode, topics };
}
