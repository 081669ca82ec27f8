/**
 * In-place access to the fixed 61-byte header of a RecordBatch v2 (magic 2) frame, so the log can
 * index and patch batches without decoding their records. Layout (big-endian):
 * baseOffset i64 @0, batchLength i32 @8, partitionLeaderEpoch i32 @12, magic i8 @16,
 * crc u32 @17 (CRC-32C of bytes 21..end), attributes i16 @21, lastOffsetDelta i32 @23,
 * baseTimestamp i64 @27, maxTimestamp i64 @35, producerId i64 @43, producerEpoch i16 @51,
 * baseSequence i32 @53, recordCount i32 @57, records @61.
 */
export const BATCH_HEADER_SIZE = 61;
/** bytes before batchLength starts counting: baseOffset + batchLength */
export const BATCH_LOG_OVERHEAD = 12;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_LOG_APPEND_TIME = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

export interface BatchHeader {
  baseOffset: number;
  /** whole frame size in bytes, including baseOffset and batchLength */
  size: number;
  partitionLeaderEpoch: number;
  magic: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** A frame as the log stores it (offsets assigned, LogAppendTime applied), with its header read. */
export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  frame: Buffer;
  header: BatchHeader;
}

/** One producer's aborted transaction, as the headers of its batches and its ABORT marker tell it. */
export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  /** offset of the ABORT marker */
  lastOffset: number;
}

export class BatchFramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchFramingError';
  }
}

/** Reads the header of the frame at `position`; throws BatchFramingError when it is not a whole v2 frame. */
export function readBatchHeader(buf: Buffer, position = 0): BatchHeader {
  if (buf.length - position < BATCH_HEADER_SIZE) {
    throw new BatchFramingError(`record batch truncated: ${buf.length - position} byte(s) left, header needs ${BATCH_HEADER_SIZE}`);
  }
  const batchLength = buf.readInt32BE(position + 8);
  const size = batchLength + BATCH_LOG_OVERHEAD;
  if (batchLength < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD || position + size > buf.length) {
    throw new BatchFramingError(`record batch length ${batchLength} does not fit the ${buf.length - position} byte(s) left`);
  }
  const magic = buf.readInt8(position + 16);
  if (magic !== 2) throw new BatchFramingError(`record batch magic ${magic} is not supported; only RecordBatch v2 (magic 2) is`);
  return {
    baseOffset: Number(buf.readBigInt64BE(position)),
    size,
    partitionLeaderEpoch: buf.readInt32BE(position + 12),
    magic,
    attributes: buf.readInt16BE(position + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(position + 23),
    baseTimestamp: Number(buf.readBigInt64BE(position + 27)),
    maxTimestamp: Number(buf.readBigInt64BE(position + 35)),
    producerId: Number(buf.readBigInt64BE(position + 43)),
    producerEpoch: buf.readInt16BE(position + 51),
    baseSequence: buf.readInt32BE(position + 53),
    recordCount: buf.readInt32BE(position + 57),
  };
}

/** Splits a record set into whole frames; a trailing partial frame is an error (producers never send one). */
export function splitBatches(records: Buffer): Array<{ frame: Buffer; header: BatchHeader }> {
  const out: Array<{ frame: Buffer; header: BatchHeader }> = [];
  let position = 0;
  while (position < records.length) {
    const header = readBatchHeader(records, position);
    out.push({ frame: records.subarray(position, position + header.size), header });
    position += header.size;
  }
  return out;
}

export function isControlBatch(attributes: number): boolean {
  return (attributes & ATTR_CONTROL) !== 0;
}

export function isTransactionalBatch(attributes: number): boolean {
  return (attributes & ATTR_TRANSACTIONAL) !== 0;
}

/**
 * The control type of an (uncompressed, as Kafka always writes them) control batch's first
 * record: the record key is int16 version + int16 type; 0 = ABORT, 1 = COMMIT.
 */
export function controlTypeOf(frame: Buffer): number {
  let p = BATCH_HEADER_SIZE;
  const skipVarint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = frame[p++];
      if (byte === undefined) throw new BatchFramingError('control record truncated');
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (value >>> 1) ^ -(value & 1);
      shift += 7;
      if (shift > 63) throw new BatchFramingError('control record varint too long');
    }
  };
  const skipOnly = (): void => {
    while (((frame[p++] ?? 0) & 0x80) !== 0) {
      if (p > frame.length) throw new BatchFramingError('control record truncated');
    }
  };
  skipOnly(); // record length
  p += 1; // record attributes
  skipOnly(); // timestamp delta (a varlong, may exceed 32 bits)
  skipOnly(); // offset delta
  const keyLength = skipVarint();
  if (keyLength < 4 || p + 4 > frame.length) throw new BatchFramingError(`control record key of ${keyLength} byte(s) is too short`);
  return frame.readInt16BE(p + 2);
}
