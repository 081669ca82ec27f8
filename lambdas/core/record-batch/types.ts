/**
 * The shapes the RecordBatch codec works with: frame layout, headers, records, and the entries
 * for frames it cannot read (the decoder's result, with the readable `DataBatch`, is `decode.ts`'s).
 */

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export type TimestampType = 'create-time' | 'log-append-time';

/** Frame layout constants of RecordBatch v2 (byte positions from the start of the frame). */
export const LOG_OVERHEAD = 12; // baseOffset int64 + batchLength int32
export const MAGIC_POSITION = 16;
export const CRC_POSITION = 17;
export const ATTRIBUTES_POSITION = 21;
export const RECORDS_COUNT_POSITION = 57;
export const RECORD_BATCH_OVERHEAD = 61;
/** Smallest legal batchLength of a v2 frame (header without baseOffset and batchLength). */
export const MIN_V2_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;
/** Smallest legal size of a magic 0 message (Kafka's LegacyRecord.RECORD_OVERHEAD_V0). */
export const MIN_LEGACY_MESSAGE_SIZE = 14;

export const COMPRESSION_CODECS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

/** Everything the v2 batch header says. */
export interface BatchHeader {
  baseOffset: bigint;
  /** baseOffset + lastOffsetDelta: compaction may have removed the records up to it. */
  lastOffset: bigint;
  lastOffsetDelta: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: Compression | `unknown-${number}`;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Where a frame sat in the buffer handed to the decoder (useful in corruption reports). */
export interface FramePosition {
  byteOffset: number;
  byteLength: number;
}

export interface CorruptBatch extends FramePosition {
  kind: 'corrupt';
  baseOffset: bigint;
  reason: string;
  /** The header when it could be read (a CRC mismatch still has one, possibly damaged). */
  header?: BatchHeader;
  /**
   * false when the frame length itself is impossible, so the decoder could not find the next
   * frame and stopped here; the rest of the buffer was not read.
   */
  resumable: boolean;
}

/** A magic 0/1 message set: Kafka has written v2 since 0.11; older formats are reported, not read. */
export interface UnsupportedMagicBatch extends FramePosition {
  kind: 'unsupported-magic';
  /** The wrapper message's offset (for a compressed legacy set, the offset of its last message). */
  baseOffset: bigint;
  magic: number;
}

/** A v2 batch whose codec id Kafka does not define (5-7): its records cannot be read. */
export interface UnsupportedCompressionBatch extends FramePosition {
  kind: 'unsupported-compression';
  baseOffset: bigint;
  lastOffset: bigint;
  compression: string;
  header: BatchHeader;
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record, materialized (the convenient, allocating form; see DataBatch for the lazy one). */
export interface KafkaRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type ControlType = 'ABORT' | 'COMMIT';

export interface ControlMarker {
  /** ABORT (0) or COMMIT (1); other numbers are reported as `unknown` with the raw type. */
  type: ControlType | 'unknown';
  rawType: number;
  keyVersion: number;
  valueVersion: number | null;
  /** From the EndTxnMarker value; null when the value is missing or too short. */
  coordinatorEpoch: number | null;
}
