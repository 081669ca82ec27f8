/**
 * RecordBatch v2 writer, used by tests, the benchmark and the local cluster's log. Sizes are
 * computed first so each batch is written into one exactly-sized buffer.
 */
import { compressRecords } from './compression.ts';
import { invalidInput } from '../errors.ts';
import { CONTROL_TYPE_CODES, encodeControlKey, encodeControlValue } from './control.ts';
import { crc32c } from './crc32c.ts';
import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_POSITION,
  COMPRESSION_CODECS,
  CRC_POSITION,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
} from './types.ts';
import type { Compression, ControlType, TimestampType } from './types.ts';
import { varintSize, varlongNumberSize, writeVarintAt, writeVarlongNumberAt } from './varint.ts';

export type Int64Input = bigint | number;

export interface RecordToEncode {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: Int64Input;
  /** Defaults to the record's index; set it to leave gaps, as compaction does. */
  offsetDelta?: number;
  headers?: { key: string; value: Buffer | null }[];
}

export interface RecordBatchToEncode {
  baseOffset: Int64Input;
  records: RecordToEncode[];
  producerId?: Int64Input; // -1: no producer
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  compression?: Compression;
  /**
   * Compresses the record section for codecs this package has no writer for (zstd: the local
   * cluster passes one built on a zstd library); overrides the built-in writer when given.
   */
  compress?: (records: Buffer) => Buffer;
  partitionLeaderEpoch?: number;
  timestampType?: TimestampType;
  /** Defaults to the last record's offsetDelta; larger when compaction removed the batch's tail. */
  lastOffsetDelta?: number;
  /** For LogAppendTime batches and for batches emptied by compaction: the batch time. */
  maxTimestamp?: Int64Input;
}

export interface ControlBatchToEncode {
  baseOffset: Int64Input;
  producerId: Int64Input;
  producerEpoch: number;
  type: ControlType;
  coordinatorEpoch?: number;
  timestamp: Int64Input;
  partitionLeaderEpoch?: number;
}

interface EncodedRecordParts {
  key: Buffer | null;
  value: Buffer | null;
  timestampDelta: number;
  offsetDelta: number;
  headers: { key: Buffer; value: Buffer | null }[];
  bodySize: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function toInt64(value: Int64Input, field: string): bigint {
  let result: bigint | undefined;
  if (typeof value === 'bigint') result = value;
  else if (Number.isSafeInteger(value)) result = BigInt(value);
  if (result === undefined || result < INT64_MIN || result > INT64_MAX) {
    throw invalidInput(field, `${String(value)} is not an int64`, 'Pass a bigint (or a safe integer number).');
  }
  return result;
}

function bytesSize(bytes: Buffer | null): number {
  return bytes === null ? varintSize(-1) : varintSize(bytes.length) + bytes.length;
}

function measureRecord(record: RecordToEncode, index: number, baseTimestamp: bigint, timestamp: bigint): EncodedRecordParts {
  const offsetDelta = record.offsetDelta ?? index;
  if (!Number.isInteger(offsetDelta) || offsetDelta < 0 || offsetDelta > 0x7fffffff) {
    throw invalidInput(`records[${index}].offsetDelta`, `${offsetDelta} is not an int32 >= 0`, 'Use the offset minus baseOffset.');
  }
  const timestampDelta = Number(timestamp - baseTimestamp);
  const headers = (record.headers ?? []).map((h) => ({ key: Buffer.from(h.key, 'utf8'), value: h.value }));
  let bodySize = 1 + varlongNumberSize(timestampDelta) + varintSize(offsetDelta) + bytesSize(record.key) + bytesSize(record.value);
  bodySize += varintSize(headers.length);
  for (const h of headers) bodySize += bytesSize(h.key) + bytesSize(h.value);
  return { key: record.key, value: record.value, timestampDelta, offsetDelta, headers, bodySize };
}

function writeBytes(target: Buffer, at: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarintAt(target, at, -1);
  const p = writeVarintAt(target, at, bytes.length);
  bytes.copy(target, p);
  return p + bytes.length;
}

function writeRecords(parts: EncodedRecordParts[], target: Buffer, start: number): number {
  let p = start;
  for (const r of parts) {
    p = writeVarintAt(target, p, r.bodySize);
    target[p++] = 0; // record attributes: unused in v2
    p = writeVarlongNumberAt(target, p, r.timestampDelta);
    p = writeVarintAt(target, p, r.offsetDelta);
    p = writeBytes(target, p, r.key);
    p = writeBytes(target, p, r.value);
    p = writeVarintAt(target, p, r.headers.length);
    for (const h of r.headers) {
      p = writeBytes(target, p, h.key);
      p = writeBytes(target, p, h.value);
    }
  }
  return p;
}

/** Encodes one RecordBatch v2 frame (baseOffset through the last record). */
export function encodeRecordBatch(batch: RecordBatchToEncode): Buffer {
  const records = batch.records;
  const compression = batch.compression ?? 'none';
  if (!COMPRESSION_CODECS.includes(compression)) {
    throw invalidInput('compression', `'${String(compression)}' is not a Kafka codec`, `Use one of ${COMPRESSION_CODECS.join(', ')}.`);
  }
  if (compression === 'zstd' && batch.compress === undefined) {
    throw invalidInput('compress', 'zstd batches need a compressor', 'Pass compress: (records) => zstd-compressed bytes, or pick none, gzip, snappy or lz4.');
  }
  const baseOffset = toInt64(batch.baseOffset, 'baseOffset');
  const timestamps = records.map((r, i) => toInt64(r.timestamp, `records[${i}].timestamp`));
  const explicitMax = batch.maxTimestamp === undefined ? undefined : toInt64(batch.maxTimestamp, 'maxTimestamp');
  const baseTimestamp = timestamps[0] ?? explicitMax ?? -1n;
  let maxTimestamp = baseTimestamp;
  for (const ts of timestamps) if (ts > maxTimestamp) maxTimestamp = ts;
  if (explicitMax !== undefined) maxTimestamp = explicitMax;

  const parts = records.map((r, i) => measureRecord(r, i, baseTimestamp, timestamps[i]!));
  const lastOffsetDelta = batch.lastOffsetDelta ?? (parts.length === 0 ? 0 : parts[parts.length - 1]!.offsetDelta);
  for (const part of parts) {
    if (part.offsetDelta > lastOffsetDelta) {
      throw invalidInput('lastOffsetDelta', `${lastOffsetDelta} is below a record's offsetDelta ${part.offsetDelta}`, 'Omit it or make it the largest offsetDelta.');
    }
  }
  let recordsSize = 0;
  for (const part of parts) recordsSize += varintSize(part.bodySize) + part.bodySize;

  let recordSection: Buffer | null = null;
  if (compression !== 'none') {
    const plain = Buffer.allocUnsafe(recordsSize);
    writeRecords(parts, plain, 0);
    recordSection = batch.compress !== undefined ? batch.compress(plain) : compressRecords(compression as 'gzip' | 'snappy' | 'lz4', plain);
    recordsSize = recordSection.length;
  }

  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + recordsSize);
  let attributes = COMPRESSION_CODECS.indexOf(compression);
  if (batch.timestampType === 'log-append-time') attributes |= ATTR_TIMESTAMP_TYPE;
  if (batch.isTransactional) attributes |= ATTR_TRANSACTIONAL;
  if (batch.isControl) attributes |= ATTR_CONTROL;

  out.writeBigInt64BE(baseOffset, 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, 8);
  out.writeInt32BE(batch.partitionLeaderEpoch ?? -1, 12);
  out.writeInt8(2, 16);
  out.writeInt16BE(attributes, ATTRIBUTES_POSITION);
  out.writeInt32BE(lastOffsetDelta, 23);
  out.writeBigInt64BE(baseTimestamp, 27);
  out.writeBigInt64BE(maxTimestamp, 35);
  out.writeBigInt64BE(toInt64(batch.producerId ?? -1n, 'producerId'), 43);
  out.writeInt16BE(batch.producerEpoch ?? -1, 51);
  out.writeInt32BE(batch.baseSequence ?? -1, 53);
  out.writeInt32BE(records.length, 57);
  if (recordSection) recordSection.copy(out, RECORD_BATCH_OVERHEAD);
  else writeRecords(parts, out, RECORD_BATCH_OVERHEAD);
  out.writeUInt32BE(crc32c(out, ATTRIBUTES_POSITION), CRC_POSITION);
  return out;
}

/** A transaction marker batch (COMMIT or ABORT) for one producer, as the transaction coordinator writes it. */
export function encodeControlBatch(marker: ControlBatchToEncode): Buffer {
  if (!(marker.type in CONTROL_TYPE_CODES)) {
    throw invalidInput('type', `'${String(marker.type)}' is not a control type`, "Use 'COMMIT' or 'ABORT'.");
  }
  return encodeRecordBatch({
    baseOffset: marker.baseOffset,
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
    partitionLeaderEpoch: marker.partitionLeaderEpoch ?? -1,
    records: [
      {
        key: encodeControlKey(marker.type),
        value: encodeControlValue(marker.coordinatorEpoch ?? 0),
        timestamp: marker.timestamp,
      },
    ],
  });
}
