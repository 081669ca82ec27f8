/**
 * Metadata v1-v8 request and response bodies. kafkajs stops at v6, before partition leader
 * epochs (v7+); v9+ are flexible and add nothing the port needs. v0 is not spoken: it cannot
 * tell "no topics" from "all topics" and has no controller or rack.
 */
import { ByteReader, ByteWriter } from '../core/bytes/index.ts';
import type { WireMetadata } from './wire.ts';
import { assertVersion, type ApiSpec } from './api-spec.ts';
import { readArray, readNullableString, readString, writeArray, writeNullableString } from './wire-primitives.ts';

export const METADATA_API: ApiSpec = { name: 'Metadata', key: 3, min: 1, max: 8 };

/** `topics: null` asks for every topic. Never asks the broker to create a topic. */
export function encodeMetadataRequest(version: number, topics: string[] | null): Buffer {
  assertVersion(METADATA_API, version);
  const writer = new ByteWriter(64);
  if (topics === null) writer.writeInt32(-1);
  else writeArray(writer, topics, (w, name) => writeNullableString(w, name));
  if (version >= 4) writer.writeBoolean(false); // allow auto topic creation
  if (version >= 8) {
    writer.writeBoolean(false); // cluster authorized operations
    writer.writeBoolean(false); // topic authorized operations
  }
  return Buffer.from(writer.toBuffer());
}

function readInt32Array(reader: ByteReader): number[] {
  return readArray(reader, (r) => r.readInt32()) ?? [];
}

export function decodeMetadataResponse(version: number, payload: Buffer): WireMetadata {
  assertVersion(METADATA_API, version);
  const reader = new ByteReader(payload);
  if (version >= 3) reader.readInt32(); // throttle time
  const brokers =
    readArray(reader, (r) => ({ nodeId: r.readInt32(), host: readString(r), port: r.readInt32(), rack: readNullableString(r) })) ?? [];
  const clusterId = version >= 2 ? readNullableString(reader) : null;
  const controllerId = reader.readInt32();
  const topics =
    readArray(reader, (r) => {
      const errorCode = r.readInt16();
      const name = readString(r);
      const isInternal = r.readBoolean();
      const partitions =
        readArray(r, (pr) => {
          const partition = {
            errorCode: pr.readInt16(),
            partition: pr.readInt32(),
            leader: pr.readInt32(),
            leaderEpoch: version >= 7 ? pr.readInt32() : -1,
            replicas: readInt32Array(pr),
            isr: readInt32Array(pr),
          };
          if (version >= 5) readInt32Array(pr); // offline replicas
          return partition;
        }) ?? [];
      if (version >= 8) r.readInt32(); // topic authorized operations (not requested)
      return { name, errorCode, isInternal, partitions };
    }) ?? [];
  if (version >= 8) reader.readInt32(); // cluster authorized operations (not requested)
  return { clusterId, controllerId, brokers, topics };
}
