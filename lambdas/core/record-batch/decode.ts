/**
 * Walks a raw record set (a Fetch response's `records`: concatenated frames, possibly cut at
 * the fetch size limit) and returns one typed entry per frame. Nothing here throws on bad
 * data: CRC mismatches and malformed frames become `corrupt` entries, old formats and
 * unknown codec ids become `unsupported-*` entries, a partial last frame sets `truncatedTail`.
 *
 * Hostile headers cost nothing: a declared record count is held against the bytes present
 * (every record takes at least MIN_RECORD_BYTES) and against maxRecordsPerBatch before the
 * index is allocated, and a compressed section against maxDecompressedBytes while it inflates.
 */
import { DecompressionRefused, decompressRecords } from './compression.ts';
import type { CompressionCodec } from './compression.ts';
import { crc32c } from './crc32c.ts';
import { DataBatch, LAYOUT_STRIDE } from './data-batch.ts';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES_POSITION,
  COMPRESSION_CODECS,
  CRC_POSITION,
  LOG_OVERHEAD,
  MAGIC_POSITION,
  MIN_LEGACY_MESSAGE_SIZE,
  MIN_V2_BATCH_LENGTH,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_POSITION,
} from './types.ts';
import type { BatchHeader, CorruptBatch, UnsupportedCompressionBatch, UnsupportedMagicBatch } from './types.ts';
import { MalformedRecords, readVarintAt, readVarlongNumberAt, varintCursor } from './varint.ts';

/**
 * One typed entry per frame: good batches, corrupt frames and frames this codec cannot read,
 * so that a scan can count what it skipped instead of dying on it or silently losing it.
 */
export type RecordBatch = DataBatch | CorruptBatch | UnsupportedMagicBatch | UnsupportedCompressionBatch;

export interface DecodeResult {
  batches: RecordBatch[];
  /** The buffer ended inside a frame: normal at a fetch size limit; fetch again from nextOffset. */
  truncatedTail: boolean;
  /** The offset after the last frame that was read (absent when no frame was). */
  nextOffset?: bigint;
  /** Bytes of the buffer covered by the returned entries. */
  bytesConsumed: number;
}

export interface DecodeOptions {
  /** Verify each v2 batch's CRC-32C (default true; turning it off is only for measuring). */
  verifyCrc?: boolean;
  /** Upper bound for a decompressed record section, against corrupt or hostile data (default 64 MiB). */
  maxDecompressedBytes?: number;
  /** Upper bound for the records of one batch (default 1,000,000), whatever their size. */
  maxRecordsPerBatch?: number;
}

/**
 * Kafka caps a batch at max.message.bytes (1 MiB by default) compressed; 64 MiB leaves room for
 * any realistic compression ratio while bounding what one frame can make us hold.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;
/** An OffsetCommit writes one record per partition in one batch; a million is beyond any group. */
export const DEFAULT_MAX_RECORDS_PER_BATCH = 1_000_000;
/** The smallest encoded record: length, attributes, timestamp, offset, key, value, header count. */
const MIN_RECORD_BYTES = 7;

export function decodeRecordBatches(buffer: Buffer, options: DecodeOptions = {}): DecodeResult {
  const verifyCrc = options.verifyCrc ?? true;
  const limits = {
    maxDecompressed: options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
    maxRecords: options.maxRecordsPerBatch ?? DEFAULT_MAX_RECORDS_PER_BATCH,
  };
  const batches: RecordBatch[] = [];
  let position = 0;
  let nextOffset: bigint | undefined;
  let truncatedTail = false;

  while (position < buffer.length) {
    const remaining = buffer.length - position;
    // Up to and including the magic byte the layout is the same for every format.
    if (remaining <= MAGIC_POSITION) {
      truncatedTail = true;
      break;
    }
    const baseOffset = buffer.readBigInt64BE(position);
    const size = buffer.readInt32BE(position + 8);
    const magic = buffer.readInt8(position + MAGIC_POSITION);
    if (size < MIN_LEGACY_MESSAGE_SIZE || (magic === 2 && size < MIN_V2_BATCH_LENGTH)) {
      // Without a believable length there is no way to find the next frame.
      batches.push({
        kind: 'corrupt',
        baseOffset,
        reason: `frame length ${size} is below the minimum for magic ${magic}`,
        resumable: false,
        byteOffset: position,
        byteLength: remaining,
      });
      break;
    }
    const frameLength = LOG_OVERHEAD + size;
    if (remaining < frameLength) {
      truncatedTail = true;
      break;
    }

    let entry: RecordBatch;
    if (magic !== 2) {
      entry =
        magic === 0 || magic === 1
          ? { kind: 'unsupported-magic', baseOffset, magic, byteOffset: position, byteLength: frameLength }
          : corrupt(baseOffset, `unknown magic byte ${magic}`, position, frameLength);
    } else {
      entry = decodeV2Frame(buffer, position, frameLength, verifyCrc, limits);
    }
    batches.push(entry);
    nextOffset = offsetAfter(entry);
    position += frameLength;
  }

  return nextOffset === undefined
    ? { batches, truncatedTail, bytesConsumed: position }
    : { batches, truncatedTail, nextOffset, bytesConsumed: position };
}

function offsetAfter(entry: RecordBatch): bigint {
  switch (entry.kind) {
    case 'records':
    case 'unsupported-compression':
      return entry.lastOffset + 1n;
    case 'unsupported-magic':
      // A legacy wrapper carries the offset of its last inner message.
      return entry.baseOffset + 1n;
    case 'corrupt':
      // A damaged header may still hold the right lastOffsetDelta; never move backwards.
      return entry.header && entry.header.lastOffsetDelta >= 0 ? entry.header.lastOffset + 1n : entry.baseOffset + 1n;
  }
}

function corrupt(
  baseOffset: bigint,
  reason: string,
  byteOffset: number,
  byteLength: number,
  header?: BatchHeader,
): CorruptBatch {
  const entry: CorruptBatch = { kind: 'corrupt', baseOffset, reason, resumable: true, byteOffset, byteLength };
  if (header) entry.header = header;
  return entry;
}

export function readV2Header(buffer: Buffer, at: number): BatchHeader {
  const attributes = buffer.readInt16BE(at + ATTRIBUTES_POSITION);
  const codec = attributes & ATTR_COMPRESSION_MASK;
  const baseOffset = buffer.readBigInt64BE(at);
  const lastOffsetDelta = buffer.readInt32BE(at + 23);
  return {
    baseOffset,
    lastOffset: baseOffset + BigInt(lastOffsetDelta),
    lastOffsetDelta,
    batchLength: buffer.readInt32BE(at + 8),
    partitionLeaderEpoch: buffer.readInt32BE(at + 12),
    magic: buffer.readInt8(at + MAGIC_POSITION),
    crc: buffer.readUInt32BE(at + CRC_POSITION),
    attributes,
    compression: COMPRESSION_CODECS[codec] ?? `unknown-${codec}`,
    timestampType: attributes & ATTR_TIMESTAMP_TYPE ? 'log-append-time' : 'create-time',
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    baseTimestamp: buffer.readBigInt64BE(at + 27),
    maxTimestamp: buffer.readBigInt64BE(at + 35),
    producerId: buffer.readBigInt64BE(at + 43),
    producerEpoch: buffer.readInt16BE(at + 51),
    baseSequence: buffer.readInt32BE(at + 53),
    recordCount: buffer.readInt32BE(at + RECORDS_COUNT_POSITION),
  };
}

function decodeV2Frame(
  buffer: Buffer,
  at: number,
  frameLength: number,
  verifyCrc: boolean,
  limits: { maxDecompressed: number; maxRecords: number },
): RecordBatch {
  const end = at + frameLength;
  const header = readV2Header(buffer, at);
  const frame = { byteOffset: at, byteLength: frameLength };
  if (verifyCrc) {
    const actual = crc32c(buffer, at + ATTRIBUTES_POSITION, end);
    if (actual !== header.crc) {
      return corrupt(
        header.baseOffset,
        `CRC-32C mismatch: header says ${hex32(header.crc)}, bytes give ${hex32(actual)}`,
        at,
        frameLength,
        header,
      );
    }
  }
  if (header.lastOffsetDelta < 0) {
    return corrupt(header.baseOffset, `negative lastOffsetDelta ${header.lastOffsetDelta}`, at, frameLength, header);
  }
  if (header.compression.startsWith('unknown-')) {
    return {
      kind: 'unsupported-compression',
      baseOffset: header.baseOffset,
      lastOffset: header.lastOffset,
      compression: header.compression,
      header,
      ...frame,
    };
  }
  if (header.recordCount < 0) {
    return corrupt(header.baseOffset, `negative record count ${header.recordCount}`, at, frameLength, header);
  }
  if (header.recordCount > limits.maxRecords) {
    return corrupt(header.baseOffset, `${header.recordCount} records declared, more than the ${limits.maxRecords} a batch may hold here (maxRecordsPerBatch)`, at, frameLength, header);
  }

  let data = buffer.subarray(at + RECORD_BATCH_OVERHEAD, end);
  if (header.compression !== 'none') {
    try {
      data = decompressRecords(header.compression as CompressionCodec, data, limits.maxDecompressed);
    } catch (error) {
      if (!(error instanceof DecompressionRefused) && !(error instanceof RangeError)) throw error;
      return corrupt(header.baseOffset, `${header.compression} records do not decompress within ${limits.maxDecompressed} bytes: ${error.message}`, at, frameLength, header);
    }
  }
  // Checked before the index is allocated from the count: the bytes must be able to hold it.
  if (header.recordCount * MIN_RECORD_BYTES > data.length) {
    return corrupt(
      header.baseOffset,
      `${header.recordCount} records declared but only ${data.length} bytes of records`,
      at,
      frameLength,
      header,
    );
  }

  try {
    const layout = new Int32Array(header.recordCount * LAYOUT_STRIDE);
    const timestampDeltas = new Float64Array(header.recordCount);
    indexRecords(data, header.recordCount, header.lastOffsetDelta, layout, timestampDeltas);
    return new DataBatch({ header, frame, data, layout, timestampDeltas });
  } catch (error) {
    if (error instanceof MalformedRecords) {
      return corrupt(header.baseOffset, `malformed records: ${error.message}`, at, frameLength, header);
    }
    throw error;
  }
}

/**
 * One pass over the record section, recording where each record's parts are. Nearly every
 * varint of a record section fits one byte, so each is read inline when it does (position in a
 * local); the shared readers take the rest, and every bounds and length check is theirs too.
 */
function indexRecords(
  data: Buffer,
  count: number,
  lastOffsetDelta: number,
  layout: Int32Array,
  timestampDeltas: Float64Array,
): void {
  const sectionEnd = data.length;
  let p = 0;
  let b: number;
  for (let i = 0; i < count; i++) {
    let length: number;
    if (p < sectionEnd && (b = data[p]!) < 0x80) {
      length = (b >>> 1) ^ -(b & 1);
      p++;
    } else {
      varintCursor.position = p;
      length = readVarintAt(data, sectionEnd);
      p = varintCursor.position;
    }
    const bodyStart = p;
    const recordEnd = bodyStart + length;
    if (length < 6 || recordEnd > sectionEnd) {
      throw new MalformedRecords(`record ${i} declares length ${length} with ${sectionEnd - bodyStart} bytes left`);
    }
    p = bodyStart + 1; // attributes: unused in v2
    let timestampDelta: number;
    if ((b = data[p]!) < 0x80) {
      // p < recordEnd: a record is at least 6 bytes long.
      timestampDelta = b % 2 === 0 ? b / 2 : -(b + 1) / 2;
      p++;
    } else {
      varintCursor.position = p;
      timestampDelta = readVarlongNumberAt(data, recordEnd);
      p = varintCursor.position;
    }
    let offsetDelta: number;
    if (p < recordEnd && (b = data[p]!) < 0x80) {
      offsetDelta = (b >>> 1) ^ -(b & 1);
      p++;
    } else {
      varintCursor.position = p;
      offsetDelta = readVarintAt(data, recordEnd);
      p = varintCursor.position;
    }
    if (offsetDelta < 0 || offsetDelta > lastOffsetDelta) {
      throw new MalformedRecords(`record ${i} has offset delta ${offsetDelta} outside 0..${lastOffsetDelta}`);
    }
    let keyLength: number;
    if (p < recordEnd && (b = data[p]!) < 0x80) {
      keyLength = (b >>> 1) ^ -(b & 1);
      p++;
    } else {
      varintCursor.position = p;
      keyLength = readVarintAt(data, recordEnd);
      p = varintCursor.position;
    }
    const keyStart = p;
    if (keyLength < -1 || keyStart + keyLength > recordEnd) {
      throw new MalformedRecords(`record ${i} has key length ${keyLength} with ${recordEnd - keyStart} bytes left`);
    }
    if (keyLength > 0) p = keyStart + keyLength;
    let valueLength: number;
    if (p < recordEnd && (b = data[p]!) < 0x80) {
      valueLength = (b >>> 1) ^ -(b & 1);
      p++;
    } else {
      varintCursor.position = p;
      valueLength = readVarintAt(data, recordEnd);
      p = varintCursor.position;
    }
    const valueStart = p;
    if (valueLength < -1 || valueStart + valueLength > recordEnd) {
      throw new MalformedRecords(
        `record ${i} has value length ${valueLength} with ${recordEnd - valueStart} bytes left`,
      );
    }
    if (valueLength > 0) p = valueStart + valueLength;
    let headerCount: number;
    if (p < recordEnd && data[p] === 0) {
      headerCount = 0;
      p++;
    } else {
      varintCursor.position = p;
      headerCount = readVarintAt(data, recordEnd);
      p = varintCursor.position;
    }
    const headersStart = p;
    if (headerCount < 0) throw new MalformedRecords(`record ${i} has header count ${headerCount}`);
    if (headerCount > 0) {
      varintCursor.position = p;
      for (let h = 0; h < headerCount; h++) {
        const headerKeyLength = readVarintAt(data, recordEnd);
        if (headerKeyLength < 0) throw new MalformedRecords(`record ${i} header ${h} has a null key`);
        varintCursor.position += headerKeyLength;
        const headerValueLength = readVarintAt(data, recordEnd);
        if (headerValueLength < -1) throw new MalformedRecords(`record ${i} header ${h} value length ${headerValueLength}`);
        if (headerValueLength > 0) varintCursor.position += headerValueLength;
        if (varintCursor.position > recordEnd) throw new MalformedRecords(`record ${i} header ${h} runs past the record`);
      }
      p = varintCursor.position;
    }
    if (p !== recordEnd) {
      throw new MalformedRecords(`record ${i} declares ${length} bytes but its fields use ${p - bodyStart}`);
    }
    const slot = i * LAYOUT_STRIDE;
    layout[slot] = keyStart;
    layout[slot + 1] = keyLength;
    layout[slot + 2] = valueStart;
    layout[slot + 3] = valueLength;
    layout[slot + 4] = offsetDelta;
    layout[slot + 5] = headersStart;
    layout[slot + 6] = headerCount;
    timestampDeltas[i] = timestampDelta;
  }
  if (p !== sectionEnd) {
    throw new MalformedRecords(`${sectionEnd - p} bytes left after the ${count} declared records`);
  }
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
