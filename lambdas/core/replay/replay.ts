/**
 * read_committed replay of one `__consumer_offsets` partition, fed decoded batches in log order.
 * Pure and incremental: no I/O, state bounded by the distinct group/topic/partition keys (plus
 * what open transactions hold), so it can follow a scan fetch by fetch and resume after one.
 *
 * Rules (Kafka's own, see GroupMetadataManager / OffsetMetadataManager):
 *  - control batches carry transaction markers and are never data;
 *  - plain commits win when their log offset is higher than the held one (log order);
 *  - transactional commits wait per producer: COMMIT applies each one unless the held commit has
 *    a higher log offset, ABORT drops them, and without a marker they do not count;
 *  - tombstones delete the key, held and pending alike; group-metadata tombstones delete the
 *    group's metadata, not its offsets (Kafka writes offset tombstones for those itself);
 *  - with `since`, commits timestamped before it do not count, tombstones always do.
 *
 * Speed: offset commits, nearly every record of the log, are handled key-first. The key's bytes
 * find the slot (decoded once per distinct key), the value is checked whole without being
 * decoded and kept as bytes, and only the winners are decoded, when a result is asked for.
 */
import { invalidInput } from '../errors.ts';
import { decodeOffsetsRecord, offsetCommitValueProblem, readOffsetCommitKey } from '../offsets-records/index.ts';
import type { OffsetsRecord, SkipReason } from '../offsets-records/index.ts';
import type { AbortedTransaction } from '../ports.ts';
import type { DataBatch, RecordBatch } from '../record-batch/index.ts';
import { decodeWinning, OffsetSlots } from './offset-slots.ts';
import type { OffsetEvent, OffsetSlot } from './offset-slots.ts';
import { AbortedTransactionIndex, PendingTransactions } from './transactions.ts';
import type {
  GroupDeletion,
  GroupMetadataState,
  GroupRecordsSeen,
  PendingTransactionSummary,
  ReplayCounts,
  ReplayOptions,
  TopicOffsets,
  UnreadableRange,
  WinningOffset,
} from './types.ts';
import type { GroupMetadataValue } from '../offsets-records/index.ts';
import {
  consumerGroupKeyValue,
  consumerGroupSubscription,
  recordConsumerGroupEvent,
  CONSUMER_GROUP_MEMBER_METADATA,
  CONSUMER_GROUP_REGULAR_EXPRESSION,
  SUBSCRIPTION_RECORD_TYPES,
  tallyKey,
} from './consumer-group-subscriptions.ts';
import type { ConsumerGroupKeyValue, ConsumerGroupSubscription, ConsumerGroupTallies } from './consumer-group-subscriptions.ts';

/** Corrupt or unreadable stretches kept for the report; beyond this only the counts grow. */
export const MAX_UNREADABLE_RANGES = 1000;

const LEGACY_OFFSET_COMMIT = 0;
const OFFSET_COMMIT = 1;

export function emptyCounts(): ReplayCounts {
  return {
    batches: 0,
    controlBatches: 0,
    records: 0,
    alreadyApplied: 0,
    otherGroups: 0,
    offsetCommitsApplied: 0,
    offsetTombstones: 0,
    outsideWindow: 0,
    groupMetadataRecords: 0,
    groupMetadataTombstones: 0,
    groupRecords: 0,
    transactionsCommitted: 0,
    transactionsAborted: 0,
    transactionalRecordsCommitted: 0,
    transactionalRecordsSuperseded: 0,
    abortedRecords: 0,
    corruptBatches: 0,
    unsupportedBatches: 0,
    skipped: {},
  };
}

/** The last classic group-metadata record of a group: its value, or null for a tombstone; raw bytes for checkpoints. */
export interface MetadataEvent {
  value: GroupMetadataValue | null;
  rawKey: string;
  rawValue: string | null;
  logOffset: bigint;
  logTimestamp: bigint;
}

export interface GroupRecordsTally {
  typeNames: Set<string>;
  records: number;
  lastLogOffset: bigint;
}

/** The first transaction marker of a producer in this replay: what settles a transaction begun before it. */
export interface FirstMarker {
  commit: boolean;
  offset: bigint;
}

/**
 * Everything a replay knows, in one place so that checkpoint.ts can write and read it and
 * merge.ts can join replays of consecutive offset ranges. Not for other callers.
 */
export interface ReplayState {
  offsets: OffsetSlots;
  /** Offset-commit keys (latin1, after the type) that do not decode, and why each of their records is skipped. */
  badKeys: Map<string, SkipReason>;
  pending: PendingTransactions;
  aborted: AbortedTransactionIndex;
  firstMarkers: Map<bigint, FirstMarker>;
  metadata: Map<string, MetadataEvent>;
  groupRecordsSeen: Map<string, GroupRecordsTally>;
  /** Per KIP-848 consumer group, its subscription records by key (consumer-group-subscriptions.ts). */
  consumerGroups: Map<string, ConsumerGroupTallies>;
  unreadable: UnreadableRange[];
  counts: ReplayCounts;
  position: bigint | undefined;
}

export function emptyState(position: bigint | undefined): ReplayState {
  return {
    offsets: new OffsetSlots(),
    badKeys: new Map(),
    pending: new PendingTransactions(),
    aborted: new AbortedTransactionIndex(),
    firstMarkers: new Map(),
    metadata: new Map(),
    groupRecordsSeen: new Map(),
    consumerGroups: new Map(),
    unreadable: [],
    counts: emptyCounts(),
    position,
  };
}

/** int16 length + UTF-8 bytes: how every known record key spells its group, right after the type. */
function groupKeyPrefix(group: string): Buffer {
  const bytes = Buffer.from(group, 'utf8');
  if (bytes.length > 0x7fff) {
    throw invalidInput('group', `is ${bytes.length} UTF-8 bytes long, no Kafka group id can be`, 'Check the group id.');
  }
  const prefix = Buffer.allocUnsafe(2 + bytes.length);
  prefix.writeInt16BE(bytes.length, 0);
  bytes.copy(prefix, 2);
  return prefix;
}

function toSinceMs(since: bigint | number | undefined): number {
  if (since === undefined) return -Infinity;
  const ms = typeof since === 'bigint' ? Number(since) : since;
  if (!Number.isFinite(ms)) {
    throw invalidInput('since', `${String(since)} is not a time`, 'Pass epoch milliseconds, e.g. Date.parse("2024-05-01T00:00:00Z").');
  }
  return ms;
}

/** What a replay was asked for; a checkpoint or a merge must be of the same. */
export interface ReplayScope {
  group: string | undefined;
  sinceMs: number;
  endOffset: bigint | undefined;
}

export class OffsetsLogReplay {
  readonly group: string | undefined;
  readonly sinceMs: number;
  /** Records at or beyond this offset are left to whoever replays the next range (segment scans). */
  readonly endOffset: bigint | undefined;
  private readonly groupPrefix: Buffer | null;
  private readonly s: ReplayState;

  constructor(options: ReplayOptions = {}, state?: ReplayState) {
    this.group = options.group;
    this.groupPrefix = options.group === undefined ? null : groupKeyPrefix(options.group);
    this.sinceMs = toSinceMs(options.since);
    this.endOffset = options.endOffset;
    this.s = state ?? emptyState(options.startOffset);
  }

  get scope(): ReplayScope {
    return { group: this.group, sinceMs: this.sinceMs, endOffset: this.endOffset };
  }

  /** The replay's whole state, for checkpoint.ts and merge.ts (which keep its invariants). */
  get state(): ReplayState {
    return this.s;
  }

  /** The offset after the last one replayed: where a resumed scan continues. */
  get nextOffset(): bigint | undefined {
    return this.s.position;
  }

  /**
   * Applies one entry of decodeRecordBatches, in log order. Pass the Fetch response's aborted
   * transactions (read_committed) when there are any; the markers decide either way.
   */
  apply(batch: RecordBatch, fetchAbortedTransactions?: readonly AbortedTransaction[]): void {
    const s = this.s;
    if (fetchAbortedTransactions !== undefined && fetchAbortedTransactions.length > 0) {
      s.aborted.add(fetchAbortedTransactions);
    }
    // Beyond the range: the next segment's replay reads it (a scanner stops there anyway).
    if (this.endOffset !== undefined && batch.baseOffset >= this.endOffset) return;
    s.counts.batches++;
    if (batch.kind !== 'records') {
      this.noteUnreadable(batch);
      return;
    }
    if (s.position !== undefined && batch.lastOffset < s.position) {
      s.counts.alreadyApplied += batch.recordCount;
      return;
    }
    s.aborted.advanceTo(batch.lastOffset);
    if (batch.isControl) this.applyControl(batch);
    else this.applyData(batch, batch.isTransactional && s.aborted.isAborted(batch.producerId));
    const after = batch.lastOffset + 1n;
    s.position = this.endOffset !== undefined && after > this.endOffset ? this.endOffset : after;
  }

  private noteUnreadable(batch: Exclude<RecordBatch, DataBatch>): void {
    const s = this.s;
    if (batch.kind === 'corrupt') s.counts.corruptBatches++;
    else s.counts.unsupportedBatches++;
    const lastOffset =
      batch.kind === 'unsupported-compression'
        ? batch.lastOffset
        : batch.kind === 'unsupported-magic'
          ? batch.baseOffset
          : null;
    if (s.unreadable.length < MAX_UNREADABLE_RANGES) {
      const reason =
        batch.kind === 'corrupt'
          ? batch.reason
          : batch.kind === 'unsupported-magic'
            ? `message format v${batch.magic} (before Kafka 0.11) is not read`
            : `${batch.compression} compression cannot be decompressed here`;
      s.unreadable.push({ kind: batch.kind, baseOffset: batch.baseOffset, lastOffset, reason });
    }
    // Move past what the frame covered so a re-delivery is not mistaken for new data.
    if (lastOffset !== null && (s.position === undefined || lastOffset >= s.position)) s.position = lastOffset + 1n;
  }

  private applyControl(batch: DataBatch): void {
    const s = this.s;
    s.counts.controlBatches++;
    const marker = batch.controlMarker();
    if (marker === null || marker.type === 'unknown') {
      this.countSkip('UNKNOWN_CONTROL_RECORD');
      return;
    }
    s.aborted.markerSeen(batch.producerId, batch.baseOffset);
    if (!s.firstMarkers.has(batch.producerId)) {
      s.firstMarkers.set(batch.producerId, { commit: marker.type === 'COMMIT', offset: batch.baseOffset });
    }
    const txn = s.pending.close(batch.producerId);
    if (marker.type === 'ABORT') {
      s.counts.transactionsAborted++;
      if (txn !== undefined) s.counts.abortedRecords += txn.records;
      return;
    }
    s.counts.transactionsCommitted++;
    if (txn === undefined) return;
    for (const commit of txn.commits.values()) {
      if (applyIfNewer(commit.slot, commit)) s.counts.transactionalRecordsCommitted++;
      else s.counts.transactionalRecordsSuperseded++;
    }
  }

  /**
   * `abortedByList`: the fetch's aborted list already says this transaction aborted. Its records
   * are still classified like any other (group filter, window, tombstones), so abortedRecords
   * counts the same offset commits whether the list or the ABORT marker decided.
   */
  private applyData(batch: DataBatch, abortedByList: boolean): void {
    const counts = this.s.counts;
    const count = batch.recordCount;
    const prefix = this.groupPrefix;
    const data = batch.data;
    const section = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const position = this.s.position;
    // Records of this batch below the replay position were replayed before (a re-fetch).
    const firstNewDelta = position !== undefined && position > batch.baseOffset ? Number(position - batch.baseOffset) : 0;
    const endDelta =
      this.endOffset !== undefined && this.endOffset <= batch.lastOffset ? Number(this.endOffset - batch.baseOffset) : Infinity;
    // The base offset in two signed 32-bit halves, as the slots keep it: split once per batch.
    const logHigh = Number(BigInt.asIntN(32, batch.baseOffset >> 32n));
    const logLow = Number(BigInt.asIntN(32, batch.baseOffset));
    counts.records += count;
    for (let i = 0; i < count; i++) {
      const delta = batch.offsetDeltaAt(i);
      if (delta < firstNewDelta) {
        // Counted where it was replayed (the previous range's replay, or before a checkpoint).
        counts.alreadyApplied++;
        counts.records--;
        continue;
      }
      if (delta >= endDelta) {
        counts.records--;
        continue;
      }
      const keyStart = batch.keyStartAt(i);
      const keyLength = batch.keyLengthAt(i);
      if (prefix !== null) {
        // Keys too short to hold a group still go to the decoder, so they are counted as skipped.
        if (keyLength >= 2 + prefix.length && !matchesAt(data, keyStart + 2, prefix)) {
          counts.otherGroups++;
          continue;
        }
      }
      if (keyLength >= 4 && data[keyStart] === 0) {
        const recordType = data[keyStart + 1];
        if (recordType === OFFSET_COMMIT || recordType === LEGACY_OFFSET_COMMIT) {
          this.applyOffsetCommit(batch, i, delta, data, section, keyStart, keyLength, recordType, abortedByList, logHigh, logLow);
          continue;
        }
      }
      const key = batch.keyAt(i);
      // Only the few records that carry a consumer group's subscription get their values decoded.
      const subscriptionRecord = key !== null && key.length >= 2 && SUBSCRIPTION_RECORD_TYPES.has(key.readInt16BE(0));
      const record = decodeOffsetsRecord(key, batch.valueAt(i), subscriptionRecord ? { decodeGroupRecordValues: true } : {});
      this.applyRecord(record, batch, i);
    }
  }

  private applyOffsetCommit(
    batch: DataBatch,
    index: number,
    delta: number,
    data: Buffer,
    section: DataView,
    keyStart: number,
    keyLength: number,
    recordType: number,
    abortedByList: boolean,
    logHigh: number,
    logLow: number,
  ): void {
    const s = this.s;
    const counts = s.counts;
    const keyEnd = keyStart + keyLength;
    const slots = s.offsets;
    let payload = slots.find(section, keyStart + 2, keyEnd);
    if (payload < 0) {
      const slot = this.newSlot(latin1(data, keyStart + 2, keyEnd), data, keyStart, keyEnd);
      if (slot === undefined) return;
      payload = slot.payload;
    }
    const valueLength = batch.valueLengthAt(index);
    const timestampMs = batch.timestampMsAt(index);
    const exact = Number.isSafeInteger(timestampMs) ? null : batch.timestampAt(index);
    if (valueLength < 0) {
      counts.offsetTombstones++;
      slots.tombstone(payload, logHigh, logLow, delta, timestampMs, exact);
      s.pending.dropKey(slots.slotAt(payload).key);
      return;
    }
    if (timestampMs < this.sinceMs) {
      counts.outsideWindow++;
      return;
    }
    const valueStart = batch.valueStartAt(index);
    const problem = offsetCommitValueProblem(data, valueStart, valueLength, recordType);
    if (problem !== null) {
      this.countSkip(problem);
      return;
    }
    if (batch.isTransactional) {
      if (abortedByList) {
        counts.abortedRecords++;
        return;
      }
      const commit = {
        slot: slots.slotAt(payload),
        value: latin1(data, valueStart, valueStart + valueLength),
        recordType,
        logBase: batch.baseOffset,
        logDelta: delta,
        timestampMs,
        timestampExact: exact,
      };
      s.pending.add(batch.producerId, batch.baseOffset + BigInt(delta), commit);
      return;
    }
    // Log order makes a plain commit the newest (replayed records were skipped above).
    slots.commit(payload, section, valueStart, valueLength, recordType, logHigh, logLow, delta, timestampMs, exact);
    counts.offsetCommitsApplied++;
  }

  /** Decodes a key seen for the first time; undefined (and counted) when it does not decode. */
  private newSlot(key: string, data: Buffer, keyStart: number, keyEnd: number): OffsetSlot | undefined {
    const s = this.s;
    const known = s.badKeys.get(key);
    if (known !== undefined) {
      this.countSkip(known);
      return undefined;
    }
    let fields: { group: string; topic: string; partition: number };
    try {
      fields = readOffsetCommitKey(data.subarray(keyStart, keyEnd));
    } catch {
      s.badKeys.set(key, 'CORRUPT_KEY');
      this.countSkip('CORRUPT_KEY');
      return undefined;
    }
    if (this.group !== undefined && fields.group !== this.group) {
      // Cannot happen after the prefix check; kept so a one-group replay never holds another group.
      s.counts.otherGroups++;
      return undefined;
    }
    return s.offsets.create(key, fields.group, fields.topic, fields.partition);
  }

  /** Everything but offset commits: group metadata, KIP-848/share/streams records, and skips. */
  private applyRecord(record: OffsetsRecord, batch: DataBatch, index: number): void {
    const s = this.s;
    if (record.kind === 'skipped') {
      this.countSkip(record.reason);
      return;
    }
    if (this.group !== undefined && record.group !== this.group) {
      // A key of the group's prefix but another type layout; not this group's record.
      s.counts.otherGroups++;
      return;
    }
    switch (record.kind) {
      case 'offset-commit':
        // Unreachable: every key that decodes as an offset commit starts 0x00 0x00/0x01 and takes
        // the key-first path in applyData.
        return;
      case 'group-metadata': {
        const logOffset = batch.offsetAt(index);
        const logTimestamp = batch.timestampAt(index);
        const rawKey = batch.keyAt(index)!.toString('latin1');
        if (record.tombstone) {
          s.counts.groupMetadataTombstones++;
          s.metadata.set(record.group, { value: null, rawKey, rawValue: null, logOffset, logTimestamp });
        } else {
          s.counts.groupMetadataRecords++;
          const rawValue = batch.valueAt(index)!.toString('latin1');
          s.metadata.set(record.group, { value: record.value, rawKey, rawValue, logOffset, logTimestamp });
        }
        return;
      }
      case 'group-record': {
        s.counts.groupRecords++;
        let seen = s.groupRecordsSeen.get(record.group);
        if (seen === undefined) {
          seen = { typeNames: new Set(), records: 0, lastLogOffset: -1n };
          s.groupRecordsSeen.set(record.group, seen);
        }
        seen.typeNames.add(record.typeName);
        seen.records++;
        seen.lastLogOffset = batch.offsetAt(index);
        if (SUBSCRIPTION_RECORD_TYPES.has(record.recordType)) this.applySubscriptionRecord(record.group, record.recordType, record.key, record.value ?? null, batch, index);
        return;
      }
    }
  }

  private applySubscriptionRecord(group: string, recordType: number, key: Record<string, string>, value: Record<string, unknown> | null, batch: DataBatch, index: number): void {
    const kind: ConsumerGroupKeyValue['kind'] = recordType === CONSUMER_GROUP_MEMBER_METADATA ? 'member' : recordType === CONSUMER_GROUP_REGULAR_EXPRESSION ? 'regex' : 'group';
    const name = kind === 'member' ? (key['memberId'] ?? '') : kind === 'regex' ? (key['regularExpression'] ?? '') : '';
    const tallyValue = value === null ? null : consumerGroupKeyValue(recordType, value);
    if (value !== null && tallyValue === null) return;
    let tallies = this.s.consumerGroups.get(group);
    if (tallies === undefined) {
      tallies = new Map();
      this.s.consumerGroups.set(group, tallies);
    }
    recordConsumerGroupEvent(tallies, tallyKey({ kind }, name), tallyValue, batch.offsetAt(index), batch.timestampAt(index));
  }

  private countSkip(reason: string): void {
    const skipped = this.s.counts.skipped;
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  }

  /** Groups with at least one live committed offset, sorted. */
  groups(): string[] {
    return this.s.offsets.groupNames();
  }

  /** The winning commit per topic and partition; topics sorted by name, partitions by number. Values are decoded here. */
  committedOffsets(group: string): TopicOffsets[] {
    const byTopic = new Map<string, Array<{ partition: number } & WinningOffset>>();
    for (const slot of this.s.offsets.liveSlotsOf(group)) {
      let partitions = byTopic.get(slot.topic);
      if (partitions === undefined) {
        partitions = [];
        byTopic.set(slot.topic, partitions);
      }
      partitions.push({ partition: slot.partition, ...decodeWinning(slot) });
    }
    return [...byTopic.keys()]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((topic) => ({ topic, partitions: byTopic.get(topic)!.sort((a, b) => a.partition - b.partition) }));
  }

  committedOffset(group: string, topic: string, partition: number): WinningOffset | undefined {
    const slot = this.s.offsets.liveSlotsOf(group).find((candidate) => candidate.topic === topic && candidate.partition === partition);
    return slot === undefined ? undefined : decodeWinning(slot);
  }

  /** The latest classic group metadata, or null when none was seen or the last one was a tombstone. */
  groupMetadata(group: string): GroupMetadataState | null {
    const event = this.s.metadata.get(group);
    if (event === undefined || event.value === null) return null;
    return { value: event.value, logOffset: event.logOffset, logTimestamp: event.logTimestamp };
  }

  /** Set when the group's last group-metadata record was a tombstone. */
  groupDeletion(group: string): GroupDeletion | null {
    const event = this.s.metadata.get(group);
    if (event === undefined || event.value !== null) return null;
    return { logOffset: event.logOffset, logTimestamp: event.logTimestamp };
  }

  /** Groups known from classic metadata (live or deleted) or from KIP-848/share/streams records, sorted. */
  groupsWithMetadata(): string[] {
    const names = new Set([...this.s.metadata.keys(), ...this.s.groupRecordsSeen.keys()]);
    return [...names].sort();
  }

  groupRecords(group: string): GroupRecordsSeen | null {
    const seen = this.s.groupRecordsSeen.get(group);
    if (seen === undefined) return null;
    return { typeNames: [...seen.typeNames].sort(), records: seen.records, lastLogOffset: seen.lastLogOffset };
  }

  /** What the group's KIP-848 records say about its subscription; null when the replay saw none of them. */
  consumerGroupSubscription(group: string): ConsumerGroupSubscription | null {
    const tallies = this.s.consumerGroups.get(group);
    return tallies === undefined ? null : consumerGroupSubscription(tallies);
  }

  /** Transactions with offsets but no marker yet: not committed, reported so nobody is surprised. */
  pendingTransactions(): PendingTransactionSummary[] {
    return this.s.pending.summary();
  }

  unreadableRanges(): UnreadableRange[] {
    return this.s.unreadable.map((range) => ({ ...range }));
  }

  /** Number of live group/topic/partition entries (what the replay's memory grows with). */
  get liveOffsetCount(): number {
    return this.s.offsets.liveCount;
  }

  stats(): ReplayCounts {
    return { ...this.s.counts, skipped: { ...this.s.counts.skipped } };
  }
}

/** A committed transactional commit lands unless the slot's last event is later in the log. */
export function applyIfNewer(slot: OffsetSlot, event: OffsetEvent): boolean {
  if (slot.hasEvent && slot.isLaterThan(event)) return false;
  slot.take(event);
  return true;
}

type Latin1Slicer = (this: Buffer, start: number, end: number) => string;
/** Node's latin1Slice skips toString's encoding lookup, which shows at millions of keys per second. */
const nativeLatin1 = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slicer }).latin1Slice;
const latin1: (data: Buffer, start: number, end: number) => string =
  typeof nativeLatin1 === 'function' ? (data, start, end) => nativeLatin1.call(data, start, end) : (data, start, end) => data.toString('latin1', start, end);

function matchesAt(data: Buffer, at: number, prefix: Buffer): boolean {
  // Byte loop rather than Buffer.compare: the native call costs more than the loop for prefixes
  // this short. From the end: group ids of one shop tend to share their first bytes
  // (`payments-consumer-0001`, `-0002`), so the last ones reject other groups soonest.
  for (let j = prefix.length - 1; j >= 0; j--) if (data[at + j] !== prefix[j]) return false;
  return true;
}
