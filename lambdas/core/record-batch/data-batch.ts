/**
 * A verified RecordBatch v2 with a compact index of its records. Decoding walks the record
 * section once into two typed arrays (positions and deltas), so a scan that skips most
 * records allocates per batch, not per record: keys and values become Buffer views only when
 * someone asks for them.
 */
import type { BatchHeader, ControlMarker, FramePosition, KafkaRecord, RecordHeader } from './types.ts';
import { decodeControlMarker } from './control.ts';
import { readVarintAt, varintCursor } from './varint.ts';

/** Int32 slots per record in the layout array. */
export const LAYOUT_STRIDE = 7;
const KEY_START = 0;
const KEY_LENGTH = 1; // -1: null key
const VALUE_START = 2;
const VALUE_LENGTH = 3; // -1: null value (a tombstone)
const OFFSET_DELTA = 4;
const HEADERS_START = 5;
const HEADER_COUNT = 6;

export interface DataBatchParts {
  header: BatchHeader;
  frame: FramePosition;
  /** The record section (decompressed when the batch was compressed). */
  data: Buffer;
  layout: Int32Array;
  timestampDeltas: Float64Array;
}

/** A lightweight cursor handed to forEachRecord callbacks; valid only during the callback. */
export interface RecordView {
  readonly batch: DataBatch;
  readonly index: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

class ReusedRecordView implements RecordView {
  index = 0;
  constructor(readonly batch: DataBatch) {}
  get offset(): bigint {
    return this.batch.offsetAt(this.index);
  }
  get timestamp(): bigint {
    return this.batch.timestampAt(this.index);
  }
  get key(): Buffer | null {
    return this.batch.keyAt(this.index);
  }
  get value(): Buffer | null {
    return this.batch.valueAt(this.index);
  }
}

export class DataBatch implements BatchHeader, FramePosition {
  readonly kind = 'records' as const;
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly batchLength: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly compression: BatchHeader['compression'];
  readonly timestampType: BatchHeader['timestampType'];
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
  readonly byteOffset: number;
  readonly byteLength: number;
  /** The record section; key/value positions index into it. */
  readonly data: Buffer;
  private readonly layout: Int32Array;
  private readonly timestampDeltas: Float64Array;
  private readonly baseTimestampMs: number;
  private readonly maxTimestampMs: number;
  private readonly logAppendTime: boolean;

  constructor(parts: DataBatchParts) {
    const h = parts.header;
    this.baseOffset = h.baseOffset;
    this.lastOffset = h.lastOffset;
    this.lastOffsetDelta = h.lastOffsetDelta;
    this.batchLength = h.batchLength;
    this.partitionLeaderEpoch = h.partitionLeaderEpoch;
    this.magic = h.magic;
    this.crc = h.crc;
    this.attributes = h.attributes;
    this.compression = h.compression;
    this.timestampType = h.timestampType;
    this.isTransactional = h.isTransactional;
    this.isControl = h.isControl;
    this.baseTimestamp = h.baseTimestamp;
    this.maxTimestamp = h.maxTimestamp;
    this.producerId = h.producerId;
    this.producerEpoch = h.producerEpoch;
    this.baseSequence = h.baseSequence;
    this.recordCount = h.recordCount;
    this.byteOffset = parts.frame.byteOffset;
    this.byteLength = parts.frame.byteLength;
    this.data = parts.data;
    this.layout = parts.layout;
    this.timestampDeltas = parts.timestampDeltas;
    this.baseTimestampMs = Number(h.baseTimestamp);
    this.maxTimestampMs = Number(h.maxTimestamp);
    this.logAppendTime = h.timestampType === 'log-append-time';
  }

  /** The header fields alone (a plain object, e.g. for logs or JSON). */
  header(): BatchHeader {
    const { baseOffset, lastOffset, lastOffsetDelta, batchLength, partitionLeaderEpoch, magic, crc, attributes } = this;
    const { compression, timestampType, isTransactional, isControl, baseTimestamp, maxTimestamp } = this;
    const { producerId, producerEpoch, baseSequence, recordCount } = this;
    return {
      baseOffset,
      lastOffset,
      lastOffsetDelta,
      batchLength,
      partitionLeaderEpoch,
      magic,
      crc,
      attributes,
      compression,
      timestampType,
      isTransactional,
      isControl,
      baseTimestamp,
      maxTimestamp,
      producerId,
      producerEpoch,
      baseSequence,
      recordCount,
    };
  }

  offsetDeltaAt(index: number): number {
    return this.layout[index * LAYOUT_STRIDE + OFFSET_DELTA]!;
  }

  offsetAt(index: number): bigint {
    return this.baseOffset + BigInt(this.layout[index * LAYOUT_STRIDE + OFFSET_DELTA]!);
  }

  /** The record's timestamp: the broker's append time for LogAppendTime batches, else the producer's. */
  timestampAt(index: number): bigint {
    if (this.logAppendTime) return this.maxTimestamp;
    const delta = this.timestampDeltas[index]!;
    return delta === 0 ? this.baseTimestamp : this.baseTimestamp + BigInt(delta);
  }

  /** Same as timestampAt as a number of epoch ms (exact for every real clock value), allocation free. */
  timestampMsAt(index: number): number {
    return this.logAppendTime ? this.maxTimestampMs : this.baseTimestampMs + this.timestampDeltas[index]!;
  }

  keyStartAt(index: number): number {
    return this.layout[index * LAYOUT_STRIDE + KEY_START]!;
  }

  /** -1 for a null key. */
  keyLengthAt(index: number): number {
    return this.layout[index * LAYOUT_STRIDE + KEY_LENGTH]!;
  }

  valueStartAt(index: number): number {
    return this.layout[index * LAYOUT_STRIDE + VALUE_START]!;
  }

  /** -1 for a null value (a tombstone). */
  valueLengthAt(index: number): number {
    return this.layout[index * LAYOUT_STRIDE + VALUE_LENGTH]!;
  }

  /** A view into the batch's bytes (no copy); copy it if it must outlive the fetch buffer. */
  keyAt(index: number): Buffer | null {
    const slot = index * LAYOUT_STRIDE;
    const length = this.layout[slot + KEY_LENGTH]!;
    if (length < 0) return null;
    const start = this.layout[slot + KEY_START]!;
    return this.data.subarray(start, start + length);
  }

  valueAt(index: number): Buffer | null {
    const slot = index * LAYOUT_STRIDE;
    const length = this.layout[slot + VALUE_LENGTH]!;
    if (length < 0) return null;
    const start = this.layout[slot + VALUE_START]!;
    return this.data.subarray(start, start + length);
  }

  headerCountAt(index: number): number {
    return this.layout[index * LAYOUT_STRIDE + HEADER_COUNT]!;
  }

  headersAt(index: number): RecordHeader[] {
    const slot = index * LAYOUT_STRIDE;
    const count = this.layout[slot + HEADER_COUNT]!;
    const headers: RecordHeader[] = [];
    if (count === 0) return headers;
    const data = this.data;
    // Bounds were checked when the batch was indexed, so these reads cannot run past the record.
    varintCursor.position = this.layout[slot + HEADERS_START]!;
    for (let h = 0; h < count; h++) {
      const keyLength = readVarintAt(data, data.length);
      const keyStart = varintCursor.position;
      const key = data.toString('utf8', keyStart, keyStart + keyLength);
      varintCursor.position = keyStart + keyLength;
      const valueLength = readVarintAt(data, data.length);
      const valueStart = varintCursor.position;
      const value = valueLength < 0 ? null : data.subarray(valueStart, valueStart + valueLength);
      if (valueLength > 0) varintCursor.position = valueStart + valueLength;
      headers.push({ key, value });
    }
    return headers;
  }

  recordAt(index: number): KafkaRecord {
    return {
      offset: this.offsetAt(index),
      timestamp: this.timestampAt(index),
      key: this.keyAt(index),
      value: this.valueAt(index),
      headers: this.headersAt(index),
    };
  }

  /** Every record as an object (allocates; scans should prefer forEachRecord or the *At accessors). */
  records(): KafkaRecord[] {
    const out: KafkaRecord[] = new Array(this.recordCount);
    for (let i = 0; i < this.recordCount; i++) out[i] = this.recordAt(i);
    return out;
  }

  /** Visits records in order with one reused view; return false from the callback to stop early. */
  forEachRecord(visit: (record: RecordView) => void | boolean): void {
    const view = new ReusedRecordView(this);
    for (let i = 0; i < this.recordCount; i++) {
      view.index = i;
      if (visit(view) === false) return;
    }
  }

  /** For a control batch, its marker (from the first record, as Kafka reads it); else null. */
  controlMarker(): ControlMarker | null {
    if (!this.isControl || this.recordCount === 0) return null;
    return decodeControlMarker(this.keyAt(0), this.valueAt(0));
  }
}
