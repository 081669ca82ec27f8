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

/**
 * A key's slot. Its value lives in the table's ValueArena (`setValueBytes` on the hot path);
 * `value` reads and writes it as a latin1 string for checkpoints, merges and pending commits.
 */
export class OffsetSlot implements OffsetEvent {
  recordType = 1;
  logBase = -1n;
  logDelta = 0;
  timestampMs = 0;
  timestampExact: bigint | null = null;
  /** The value's region in the arena and its size (-1: none yet), and the value's length (-1: a tombstone or nothing). */
  private valueAt = -1;
  private valueRoom = -1;
  private valueLength = -1;

  constructor(
    private readonly arena: ValueArena,
    /** The raw key bytes after the record type, as latin1: what the table finds the slot by. */
    readonly key: string,
    readonly group: string,
    readonly topic: string,
    readonly partition: number,
  ) {}

  get value(): string | null {
    return this.valueLength < 0 ? null : this.arena.bytes.toString('latin1', this.valueAt, this.valueAt + this.valueLength);
  }

  set value(value: string | null) {
    if (value === null) {
      this.valueLength = -1;
      return;
    }
    this.makeRoom(value.length);
    this.arena.bytes.write(value, this.valueAt, 'latin1');
    this.valueLength = value.length;
  }

  /** Takes data[start, start + length) as the value (copied: the record section is not kept). */
  setValueBytes(data: Uint8Array, start: number, length: number): void {
    if (length > this.valueRoom) this.makeRoom(length);
    const bytes = this.arena.bytes;
    const at = this.valueAt;
    for (let i = 0; i < length; i++) bytes[at + i] = data[start + i]!;
    this.valueLength = length;
  }

  /** The value's bytes, a view into the arena valid until the slot takes another value. */
  valueBytes(): Buffer | null {
    return this.valueLength < 0 ? null : this.arena.bytes.subarray(this.valueAt, this.valueAt + this.valueLength);
  }

  /** False until a commit or tombstone landed on the slot (a pending transactional commit does not count). */
  get hasEvent(): boolean {
    return this.logBase >= 0n;
  }

  get live(): boolean {
    return this.valueLength >= 0;
  }

  take(event: OffsetEvent): void {
    if (event instanceof OffsetSlot) {
      const bytes = event.valueBytes();
      if (bytes === null) this.valueLength = -1;
      else this.setValueBytes(bytes, 0, bytes.length);
    } else {
      this.value = event.value;
    }
    this.recordType = event.recordType;
    this.logBase = event.logBase;
    this.logDelta = event.logDelta;
    this.timestampMs = event.timestampMs;
    this.timestampExact = event.timestampExact;
  }

  private makeRoom(length: number): void {
    if (length <= this.valueRoom) return;
    this.valueAt = this.arena.reserve(length);
    this.valueRoom = regionSize(length);
  }
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Slots by key, and by group for the results. The replay finds a slot from the key's bytes in
 * the record section (`find`), without making a string per record; the latin1 string of a key
 * is made once, when its slot is created, for checkpoints and merges.
 */
export class OffsetSlots {
  private readonly byKey = new Map<string, OffsetSlot>();
  private readonly byBytes = new ByteKeyTable();
  /** By ByteKeyTable id. */
  private readonly byId: OffsetSlot[] = [];
  private readonly byGroup = new Map<string, OffsetSlot[]>();
  private readonly values = new ValueArena();

  get(key: string): OffsetSlot | undefined {
    return this.byKey.get(key);
  }

  /** The slot of the key bytes [start, end) of a record section (after the record type), if there is one. */
  find(section: DataView, start: number, end: number): OffsetSlot | undefined {
    const id = this.byBytes.find(section, start, end);
    return id < 0 ? undefined : this.byId[id];
  }

  create(key: string, group: string, topic: string, partition: number): OffsetSlot {
    const slot = new OffsetSlot(this.values, key, group, topic, partition);
    this.byKey.set(key, slot);
    const bytes = Buffer.from(key, 'latin1');
    this.byId[this.byBytes.add(bytes, 0, bytes.length)] = slot;
    let slots = this.byGroup.get(group);
    if (slots === undefined) {
      slots = [];
      this.byGroup.set(group, slots);
    }
    slots.push(slot);
    return slot;
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
