/**
 * kafkajs's own RecordBatch v2 writer and reader, loaded from its sources: an independent
 * implementation to check our codec against in both directions.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface KafkajsLong {
  toString(): string;
}
interface KafkajsLongStatic {
  fromString(value: string): KafkajsLong;
}
interface KafkajsEncoder {
  buffer: Buffer;
}
interface KafkajsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}
export interface KafkajsDecodedBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  records: KafkajsDecodedRecord[];
}

const Long = require('kafkajs/src/utils/long.js') as KafkajsLongStatic;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (args: Record<string, unknown>) => Promise<KafkajsEncoder>;
};
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: Record<string, unknown>) => KafkajsEncoder;
const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<KafkajsDecodedBatch>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const { Types: CompressionTypes } = require('kafkajs/src/protocol/message/compression/index.js') as {
  Types: { None: number; GZIP: number };
};

export interface KafkajsRecordInput {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}

export async function kafkajsEncodeBatch(args: {
  baseOffset: string;
  firstTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  transactional: boolean;
  gzip: boolean;
  records: KafkajsRecordInput[];
}): Promise<Buffer> {
  const encoded = await RecordBatch({
    compression: args.gzip ? CompressionTypes.GZIP : CompressionTypes.None,
    firstOffset: Long.fromString(args.baseOffset),
    firstTimestamp: args.firstTimestamp,
    maxTimestamp: args.maxTimestamp,
    partitionLeaderEpoch: 7,
    lastOffsetDelta: args.lastOffsetDelta,
    transactional: args.transactional,
    producerId: Long.fromString(args.producerId),
    producerEpoch: args.producerEpoch,
    firstSequence: args.firstSequence,
    records: args.records.map((r) => KafkajsRecord(r as unknown as Record<string, unknown>)),
  });
  return encoded.buffer;
}

export function kafkajsDecodeBatch(frame: Buffer): Promise<KafkajsDecodedBatch> {
  return RecordBatchDecoder(new Decoder(frame));
}
