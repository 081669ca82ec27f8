/**
 * The replay's table of offset keys, found by the raw key bytes (record type left out, so the
 * legacy type-0 and the current type-1 key of one group/topic/partition share a slot). Each slot
 * keeps its last event, a commit or a tombstone, with the winning value's bytes undecoded: the
 * value is decoded once, when a result is asked for, not for every record the log holds.
 * Tombstones stay in the table (with their log offset) so that two partial replays of one log can
 * be merged by log offset; a tombstoned slot is simply not live.
 */
import { readOffsetCommitValue } from '../offsets-records/index.ts';
import { ByteKeyTable } from './byte-key-table.ts';
import { regionSize, ValueArena } from './value-arena.ts';
import type { WinningOffset } from './types.ts';

/** One event for a key: where it sits in the log, and the value bytes (null: a tombstone). */
export interface OffsetEvent {
  /** The value's bytes as a latin1 string (one char per byte); null for a tombstone. */
  value: string | null;
  /** 0 (legacy key) or 1: the key layout the value came with, which bounds its versions. */
  recordType: number;
  /** The event's log offset is logBase + logDelta (no bigint is made per record on the hot path). */
  logBase: bigint;
  logDelta: number;
  /** Record timestamp in epoch ms; timestampExact holds it when it does not fit a double exactly. */
  timestampMs: number;
  timestampExact: bigint | null;
}

export function eventLogOffset(event: OffsetEvent): bigint {
  return event.logDelta === 0 ? event.logBase : event.logBase + BigInt(event.logDelta);
}

export function eventTimestamp(event: OffsetEvent): bigint {
  return event.timestampExact ?? BigInt(event.timestampMs);
}

/** The words kept per key in the table (see ByteKeyTable): an even number. */
const PAYLOAD_INTS = 20;
/** Where each field sits in a key's payload, in 32-bit words from its start. */
const TIMESTAMP = 0; // float64 over words 0 and 1: the record timestamp in epoch ms
const LOG_HIGH = 2; // the event's logBase as two halves of a signed 64-bit integer
const LOG_LOW = 3;
const LOG_DELTA = 4;
const FLAGS = 5; // the record type (bits 0-7) and the flags below
const VALUE_LENGTH = 6; // -1: a tombstone, or no value yet
const REGION_AT = 7; // the key's region in the ValueArena, for values too long to keep inline (-1: none yet)
const REGION_ROOM = 8;
const INLINE = 9; // values of up to INLINE_BYTES are kept here, beside the key
const INLINE_BYTES = (PAYLOAD_INTS - INLINE) * 4;
const HAS_EVENT = 0x100; // logBase >= 0: a commit or tombstone landed on the slot
const EXACT_TIMESTAMP = 0x200; // the timestamp is not a safe integer: its exact value is in exactTimestamps
const RECORD_TYPE_MASK = 0xff;
const TWO_32 = 0x100000000;
/** High halves below this in size give log offsets a double holds exactly (with any delta). */
const SAFE_HIGH = 0x100000;

/**
 * A key's slot: a view of the key's payload in the table (its value and last event live
 * there, beside the key's bytes), with the key decoded. `OffsetSlots.commit` writes the payload
 * on the hot path; these accessors read and write it for checkpoints, merges and pending
 * transactional commits.
 */
export class OffsetSlot implements OffsetEvent {
  constructor(
    private readonly slots: OffsetSlots,
    /** Where the key's payload starts in the table's words. */
    readonly payload: number,
    /** The raw key bytes after the record type, as latin1: what the table finds the slot by. */
    readonly key: string,
    readonly group: string,
    readonly topic: string,
    readonly partition: number,
  ) {}

  get recordType(): number {
    return this.slots.ints()[this.payload + FLAGS]! & RECORD_TYPE_MASK;
  }

  set recordType(type: number) {
    const ints = this.slots.ints();
    ints[this.payload + FLAGS] = (ints[this.payload + FLAGS]! & ~RECORD_TYPE_MASK) | (type & RECORD_TYPE_MASK);
  }

  get logBase(): bigint {
    const ints = this.slots.ints();
    return (BigInt(ints[this.payload + LOG_HIGH]!) << 32n) + BigInt(ints[this.payload + LOG_LOW]! >>> 0);
  }

  set logBase(offset: bigint) {
    const ints = this.slots.ints();
    ints[this.payload + LOG_HIGH] = Number(BigInt.asIntN(32, offset >> 32n));
    ints[this.payload + LOG_LOW] = Number(BigInt.asIntN(32, offset));
    if (offset >= 0n) ints[this.payload + FLAGS] = ints[this.payload + FLAGS]! | HAS_EVENT;
    else ints[this.payload + FLAGS] = ints[this.payload + FLAGS]! & ~HAS_EVENT;
  }

  get logDelta(): number {
    return this.slots.ints()[this.payload + LOG_DELTA]!;
  }

  set logDelta(delta: number) {
    this.slots.ints()[this.payload + LOG_DELTA] = delta;
  }

  get timestampMs(): number {
    return this.slots.floats()[(this.payload + TIMESTAMP) >> 1]!;
  }

  set timestampMs(ms: number) {
    this.slots.floats()[(this.payload + TIMESTAMP) >> 1] = ms;
  }

  get timestampExact(): bigint | null {
    return this.slots.ints()[this.payload + FLAGS]! & EXACT_TIMESTAMP ? this.slots.exactTimestamp(this.payload) : null;
  }

  set timestampExact(exact: bigint | null) {
    this.slots.setExactTimestamp(this.payload, exact);
  }

  get value(): string | null {
    const bytes = this.valueBytes();
    return bytes === null ? null : bytes.toString('latin1');
  }

  set value(value: string | null) {
    if (value === null) this.slots.ints()[this.payload + VALUE_LENGTH] = -1;
    else this.setValueBytes(Buffer.from(value, 'latin1'), 0, value.length);
  }

  /**
   * Takes data[start, start + length) as the value (copied: the record section is not kept).
   * `view`: a DataView of `data`, which the replay makes once per record section.
   */
  setValueBytes(data: Uint8Array, start: number, length: number, view: DataView = viewOf(data)): void {
    this.slots.takeValue(this.payload, view, start, length);
  }

  /** The value's bytes, a view valid until the slot takes another value or the table grows. */
  valueBytes(): Buffer | null {
    return this.slots.valueBytes(this.payload);
  }

  /** False until a commit or tombstone landed on the slot (a pending transactional commit does not count). */
  get hasEvent(): boolean {
    return (this.slots.ints()[this.payload + FLAGS]! & HAS_EVENT) !== 0;
  }

  get live(): boolean {
    return this.slots.ints()[this.payload + VALUE_LENGTH]! >= 0;
  }

  /** Whether this slot's event sits later in the log than `other`'s (merges ask it for every key of every segment). */
  isLaterThan(other: OffsetEvent): boolean {
    if (other instanceof OffsetSlot) {
      const mine = this.slots.logOffsetNumber(this.payload);
      const theirs = other.slots.logOffsetNumber(other.payload);
      if (!Number.isNaN(mine) && !Number.isNaN(theirs)) return mine > theirs;
    }
    return eventLogOffset(this) > eventLogOffset(other);
  }

  take(event: OffsetEvent): void {
    if (event instanceof OffsetSlot) {
      this.slots.copyEvent(this.payload, event.slots, event.payload);
      return;
    }
    this.value = event.value;
    this.recordType = event.recordType;
    this.logBase = event.logBase;
    this.logDelta = event.logDelta;
    this.timestampMs = event.timestampMs;
    this.timestampExact = event.timestampExact;
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Slots by key, and by group for the results. The replay finds a key's payload from the key's
 * bytes in the record section (`find`) and writes its commits there (`commit`, `tombstone`)
 * without making a string or touching a slot object per record; the latin1 string of a key and
 * its OffsetSlot are made once, when the key is first seen, for checkpoints, merges and results.
 */
export class OffsetSlots {
  private readonly byKey = new Map<string, OffsetSlot>();
  private readonly table = new ByteKeyTable(PAYLOAD_INTS);
  /** By ByteKeyTable id. */
  private readonly byId: OffsetSlot[] = [];
  private readonly byGroup = new Map<string, OffsetSlot[]>();
  /** Values longer than INLINE_BYTES. */
  private readonly arena = new ValueArena();
  /** By payload position: timestamps that are not safe integers (never a real clock's). */
  private readonly exactTimestamps = new Map<number, bigint>();

  get(key: string): OffsetSlot | undefined {
    return this.byKey.get(key);
  }

  /** The payload position of the key bytes [start, end) of a record section (after the record type), or -1. */
  find(section: DataView, start: number, end: number): number {
    return this.table.find(section, start, end);
  }

  /** The slot whose payload is at `payload` (from find or OffsetSlot.payload). */
  slotAt(payload: number): OffsetSlot {
    return this.byId[this.table.idOf(payload)]!;
  }

  create(key: string, group: string, topic: string, partition: number): OffsetSlot {
    const bytes = Buffer.from(key, 'latin1');
    const payload = this.table.add(bytes, 0, bytes.length);
    const ints = this.table.ints;
    ints[payload + LOG_HIGH] = -1;
    ints[payload + LOG_LOW] = -1;
    ints[payload + FLAGS] = 1;
    ints[payload + VALUE_LENGTH] = -1;
    ints[payload + REGION_AT] = -1;
    const slot = new OffsetSlot(this, payload, key, group, topic, partition);
    this.byKey.set(key, slot);
    this.byId[this.table.idOf(payload)] = slot;
    let slots = this.byGroup.get(group);
    if (slots === undefined) {
      slots = [];
      this.byGroup.set(group, slots);
    }
    slots.push(slot);
    return slot;
  }

  /**
   * The hot path: a plain commit lands on the key at `payload`, its value section[start,
   * start + length) copied. `logHigh`/`logLow`: the batch's base offset in two signed 32-bit
   * halves (the caller splits it once per batch); `exact`: the timestamp as a bigint when it is
   * not a safe integer, else null.
   */
  commit(payload: number, section: DataView, start: number, length: number, recordType: number, logHigh: number, logLow: number, delta: number, timestampMs: number, exact: bigint | null): void {
    this.takeValue(payload, section, start, length);
    const ints = this.table.ints;
    ints[payload + FLAGS] = (ints[payload + FLAGS]! & ~RECORD_TYPE_MASK) | recordType;
    this.setEvent(payload, logHigh, logLow, delta, timestampMs, exact);
  }

  /** A tombstone lands on the key at `payload` (the record type stays the last commit's). */
  tombstone(payload: number, logHigh: number, logLow: number, delta: number, timestampMs: number, exact: bigint | null): void {
    this.table.ints[payload + VALUE_LENGTH] = -1;
    this.setEvent(payload, logHigh, logLow, delta, timestampMs, exact);
  }

  private setEvent(payload: number, logHigh: number, logLow: number, delta: number, timestampMs: number, exact: bigint | null): void {
    const ints = this.table.ints;
    ints[payload + LOG_HIGH] = logHigh;
    ints[payload + LOG_LOW] = logLow;
    ints[payload + LOG_DELTA] = delta;
    if (logHigh >= 0) ints[payload + FLAGS] = ints[payload + FLAGS]! | HAS_EVENT;
    else ints[payload + FLAGS] = ints[payload + FLAGS]! & ~HAS_EVENT;
    this.table.floats[(payload + TIMESTAMP) >> 1] = timestampMs;
    if (exact !== null || (ints[payload + FLAGS]! & EXACT_TIMESTAMP) !== 0) this.setExactTimestamp(payload, exact);
  }

  /** Copies source[start, start + length) in as the value of the key at `payload`, four bytes at a time. */
  takeValue(payload: number, source: DataView, start: number, length: number): void {
    const ints = this.table.ints;
    ints[payload + VALUE_LENGTH] = length;
    let target: DataView;
    let at: number;
    if (length <= INLINE_BYTES) {
      target = this.table.view;
      at = (payload + INLINE) * 4;
    } else {
      if (length > ints[payload + REGION_ROOM]! || ints[payload + REGION_AT]! < 0) {
        ints[payload + REGION_AT] = this.arena.reserve(length);
        ints[payload + REGION_ROOM] = regionSize(length);
      }
      target = this.arena.view;
      at = ints[payload + REGION_AT]!;
    }
    const wordsEnd = start + (length & ~3);
    let from = start;
    for (; from < wordsEnd; from += 4, at += 4) target.setInt32(at, source.getInt32(from, true), true);
    for (const end = start + length; from < end; from++, at++) target.setUint8(at, source.getUint8(from));
  }

  /** The value's bytes of the key at `payload` (null: a tombstone or none), a view valid until it takes another value or the table grows. */
  valueBytes(payload: number): Buffer | null {
    const ints = this.table.ints;
    const length = ints[payload + VALUE_LENGTH]!;
    if (length < 0) return null;
    if (length <= INLINE_BYTES) return this.table.bytes.subarray((payload + INLINE) * 4, (payload + INLINE) * 4 + length);
    const at = ints[payload + REGION_AT]!;
    return this.arena.bytes.subarray(at, at + length);
  }

  /** The log offset of the event at `payload` as a number, or NaN when it may not be exact as one (beyond 2^52). */
  logOffsetNumber(payload: number): number {
    const ints = this.table.ints;
    const high = ints[payload + LOG_HIGH]!;
    if (high < -SAFE_HIGH || high >= SAFE_HIGH) return Number.NaN;
    return high * TWO_32 + (ints[payload + LOG_LOW]! >>> 0) + ints[payload + LOG_DELTA]!;
  }

  /** The event and value of `from`'s key at `fromPayload` copied onto the key at `payload` (a merge). */
  copyEvent(payload: number, from: OffsetSlots, fromPayload: number): void {
    const source = from.table.ints;
    const length = source[fromPayload + VALUE_LENGTH]!;
    if (length < 0) this.table.ints[payload + VALUE_LENGTH] = -1;
    else if (length <= INLINE_BYTES) this.takeValue(payload, from.table.view, (fromPayload + INLINE) * 4, length);
    else this.takeValue(payload, from.arena.view, source[fromPayload + REGION_AT]!, length);
    const ints = this.table.ints;
    ints[payload + LOG_HIGH] = source[fromPayload + LOG_HIGH]!;
    ints[payload + LOG_LOW] = source[fromPayload + LOG_LOW]!;
    ints[payload + LOG_DELTA] = source[fromPayload + LOG_DELTA]!;
    ints[payload + FLAGS] = source[fromPayload + FLAGS]!;
    this.table.floats[(payload + TIMESTAMP) >> 1] = from.table.floats[(fromPayload + TIMESTAMP) >> 1]!;
    if (source[fromPayload + FLAGS]! & EXACT_TIMESTAMP) this.exactTimestamps.set(payload, from.exactTimestamp(fromPayload)!);
    else this.exactTimestamps.delete(payload);
  }

  exactTimestamp(payload: number): bigint | null {
    return this.exactTimestamps.get(payload) ?? null;
  }

  setExactTimestamp(payload: number, exact: bigint | null): void {
    const ints = this.table.ints;
    if (exact === null) {
      ints[payload + FLAGS] = ints[payload + FLAGS]! & ~EXACT_TIMESTAMP;
      this.exactTimestamps.delete(payload);
    } else {
      ints[payload + FLAGS] = ints[payload + FLAGS]! | EXACT_TIMESTAMP;
      this.exactTimestamps.set(payload, exact);
    }
  }

  /** The table's words (read again after a key is added: growing replaces them). */
  ints(): Int32Array {
    return this.table.ints;
  }

  floats(): Float64Array {
    return this.table.floats;
  }

  /** Every slot with an event (live or tombstoned), in the order the keys were first seen. */
  *slots(): IterableIterator<OffsetSlot> {
    for (const slot of this.byKey.values()) if (slot.hasEvent) yield slot;
  }

  /** Live entries; counted on demand, the hot path does not keep a tally. */
  get liveCount(): number {
    let count = 0;
    for (const slot of this.byKey.values()) if (slot.live) count++;
    return count;
  }

  /** Groups that hold at least one live offset, sorted. */
  groupNames(): string[] {
    const names: string[] = [];
    for (const [group, slots] of this.byGroup) if (slots.some((slot) => slot.live)) names.push(group);
    return names.sort(byText);
  }

  liveSlotsOf(group: string): OffsetSlot[] {
    return (this.byGroup.get(group) ?? []).filter((slot) => slot.live);
  }
}

/**
 * The winning commit of a live slot, its value decoded now. Values were checked whole when they
 * were taken (offsetCommitValueProblem), so this does not fail on data the replay accepted.
 */
export function decodeWinning(event: OffsetEvent): WinningOffset {
  const bytes = event instanceof OffsetSlot ? event.valueBytes()! : Buffer.from(event.value!, 'latin1');
  const value = readOffsetCommitValue(bytes, bytes.readInt16BE(0));
  return {
    offset: value.offset,
    leaderEpoch: value.leaderEpoch,
    metadata: value.metadata,
    commitTimestamp: value.commitTimestamp,
    logOffset: eventLogOffset(event),
    logTimestamp: eventTimestamp(event),
  };
}
