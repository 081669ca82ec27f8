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
 */
import { invalidInput } from '../errors.ts';
import { decodeOffsetsRecord } from '../offsets-records/index.ts';
import type { OffsetsRecord } from '../offsets-records/index.ts';
import type { AbortedTransaction } from '../ports.ts';
import type { DataBatch, RecordBatch } from '../record-batch/index.ts';
import { OffsetTable } from './offset-table.ts';
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

/** Corrupt or unreadable stretches kept for the report; beyond this only the counts grow. */
const MAX_UNREADABLE_RANGES = 1000;

function emptyCounts(): ReplayCounts {
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

export class OffsetsLogReplay {
  readonly group: string | undefined;
  readonly sinceMs: number;
  private readonly groupPrefix: Buffer | null;
  private readonly offsets = new OffsetTable();
  private readonly pending = new PendingTransactions();
  private readonly aborted = new AbortedTransactionIndex();
  private readonly metadata = new Map<string, GroupMetadataState>();
  private readonly deletions = new Map<string, GroupDeletion>();
  /** The last metadata with members per group: an Empty group's metadata no longer says what it subscribed to. */
  private readonly memberships = new Map<string, GroupMetadataState>();
  private readonly groupRecordsSeen = new Map<string, { typeNames: Set<string>; records: number; lastLogOffset: bigint }>();
  private readonly unreadable: UnreadableRange[] = [];
  private readonly counts = emptyCounts();
  private position: bigint | undefined;

  constructor(options: ReplayOptions = {}) {
    this.group = options.group;
    this.groupPrefix = options.group === undefined ? null : groupKeyPrefix(options.group);
    this.sinceMs = toSinceMs(options.since);
    this.position = options.startOffset;
  }

  /** The offset after the last one replayed: where a resumed scan continues. */
  get nextOffset(): bigint | undefined {
    return this.position;
  }

  /**
   * Applies one entry of decodeRecordBatches, in log order. Pass the Fetch response's aborted
   * transactions (read_committed) when there are any; the markers decide either way.
   */
  apply(batch: RecordBatch, fetchAbortedTransactions?: readonly AbortedTransaction[]): void {
    if (fetchAbortedTransactions !== undefined && fetchAbortedTransactions.length > 0) {
      this.aborted.add(fetchAbortedTransactions);
    }
    this.counts.batches++;
    if (batch.kind !== 'records') {
      this.noteUnreadable(batch);
      return;
    }
    if (this.position !== undefined && batch.lastOffset < this.position) {
      this.counts.alreadyApplied += batch.recordCount;
      return;
    }
    this.aborted.advanceTo(batch.lastOffset);
    if (batch.isControl) this.applyControl(batch);
    else this.applyData(batch, batch.isTransactional && this.aborted.isAborted(batch.producerId));
    this.position = batch.lastOffset + 1n;
  }

  private noteUnreadable(batch: Exclude<RecordBatch, DataBatch>): void {
    if (batch.kind === 'corrupt') this.counts.corruptBatches++;
    else this.counts.unsupportedBatches++;
    const lastOffset =
      batch.kind === 'unsupported-compression'
        ? batch.lastOffset
        : batch.kind === 'unsupported-magic'
          ? batch.baseOffset
          : null;
    if (this.unreadable.length < MAX_UNREADABLE_RANGES) {
      const reason =
        batch.kind === 'corrupt'
          ? batch.reason
          : batch.kind === 'unsupported-magic'
            ? `message format v${batch.magic} (before Kafka 0.11) is not read`
            : `${batch.compression} compression cannot be decompressed here`;
      this.unreadable.push({ kind: batch.kind, baseOffset: batch.baseOffset, lastOffset, reason });
    }
    // Move past what the frame covered so a re-delivery is not mistaken for new data.
    if (lastOffset !== null && (this.position === undefined || lastOffset >= this.position)) this.position = lastOffset + 1n;
  }

  private applyControl(batch: DataBatch): void {
    this.counts.controlBatches++;
    const marker = batch.controlMarker();
    if (marker === null || marker.type === 'unknown') {
      this.countSkip('UNKNOWN_CONTROL_RECORD');
      return;
    }
    this.aborted.markerSeen(batch.producerId, batch.baseOffset);
    const txn = this.pending.close(batch.producerId);
    if (marker.type === 'ABORT') {
      this.counts.transactionsAborted++;
      if (txn !== undefined) this.counts.abortedRecords += txn.records;
      return;
    }
    this.counts.transactionsCommitted++;
    if (txn === undefined) return;
    txn.commits.forEach((group, topic, partition, entry) => {
      if (this.offsets.putIfNewer(group, topic, partition, entry)) this.counts.transactionalRecordsCommitted++;
      else this.counts.transactionalRecordsSuperseded++;
    });
  }

  /**
   * `abortedByList`: the fetch's aborted list already says this transaction aborted. Its records
   * are still classified like any other (group filter, window, tombstones), so abortedRecords
   * counts the same offset commits whether the list or the ABORT marker decided.
   */
  private applyData(batch: DataBatch, abortedByList: boolean): void {
    const count = batch.recordCount;
    const prefix = this.groupPrefix;
    const data = batch.data;
    const transactional = batch.isTransactional;
    // Records of this batch below the replay position were replayed before (a re-fetch).
    const firstNewDelta =
      this.position !== undefined && this.position > batch.baseOffset ? Number(this.position - batch.baseOffset) : 0;
    this.counts.records += count;
    for (let i = 0; i < count; i++) {
      if (firstNewDelta > 0 && batch.offsetDeltaAt(i) < firstNewDelta) {
        this.counts.alreadyApplied++;
        continue;
      }
      if (prefix !== null) {
        const keyLength = batch.keyLengthAt(i);
        // Keys too short to hold a group still go to the decoder, so they are counted as skipped.
        if (keyLength >= 2 + prefix.length && !matchesAt(data, batch.keyStartAt(i) + 2, prefix)) {
          this.counts.otherGroups++;
          continue;
        }
      }
      const record = decodeOffsetsRecord(batch.keyAt(i), batch.valueAt(i));
      this.applyRecord(record, batch, i, transactional, abortedByList);
    }
  }

  private applyRecord(record: OffsetsRecord, batch: DataBatch, index: number, transactional: boolean, abortedByList: boolean): void {
    if (record.kind === 'skipped') {
      this.countSkip(record.reason);
      return;
    }
    if (this.group !== undefined && record.group !== this.group) {
      // A key of the group's prefix but another type layout; not this group's record.
      this.counts.otherGroups++;
      return;
    }
    switch (record.kind) {
      case 'offset-commit': {
        if (record.tombstone) {
          this.counts.offsetTombstones++;
          this.offsets.delete(record.group, record.topic, record.partition);
          this.pending.dropKey(record.group, record.topic, record.partition);
          return;
        }
        if (batch.timestampMsAt(index) < this.sinceMs) {
          this.counts.outsideWindow++;
          return;
        }
        const v = record.value;
        const entry: WinningOffset = {
          offset: v.offset,
          leaderEpoch: v.leaderEpoch,
          metadata: v.metadata,
          commitTimestamp: v.commitTimestamp,
          logOffset: batch.offsetAt(index),
          logTimestamp: batch.timestampAt(index),
        };
        if (transactional) {
          if (abortedByList) this.counts.abortedRecords++;
          else this.pending.add(batch.producerId, record.group, record.topic, record.partition, entry);
          return;
        }
        // Log order makes a plain commit the newest; the check keeps a replayed batch harmless.
        if (this.offsets.putIfNewer(record.group, record.topic, record.partition, entry)) this.counts.offsetCommitsApplied++;
        return;
      }
      case 'group-metadata': {
        const logOffset = batch.offsetAt(index);
        const logTimestamp = batch.timestampAt(index);
        if (record.tombstone) {
          this.counts.groupMetadataTombstones++;
          this.metadata.delete(record.group);
          this.memberships.delete(record.group);
          this.deletions.set(record.group, { logOffset, logTimestamp });
        } else {
          this.counts.groupMetadataRecords++;
          this.metadata.set(record.group, { value: record.value, logOffset, logTimestamp });
          if (record.value.members.length > 0) this.memberships.set(record.group, { value: record.value, logOffset, logTimestamp });
          this.deletions.delete(record.group);
        }
        return;
      }
      case 'group-record': {
        this.counts.groupRecords++;
        let seen = this.groupRecordsSeen.get(record.group);
        if (seen === undefined) {
          seen = { typeNames: new Set(), records: 0, lastLogOffset: -1n };
          this.groupRecordsSeen.set(record.group, seen);
        }
        seen.typeNames.add(record.typeName);
        seen.records++;
        seen.lastLogOffset = batch.offsetAt(index);
        return;
      }
    }
  }

  private countSkip(reason: string): void {
    this.counts.skipped[reason] = (this.counts.skipped[reason] ?? 0) + 1;
  }

  /** Groups with at least one live committed offset, sorted. */
  groups(): string[] {
    return this.offsets.groupNames();
  }

  /** The winning commit per topic and partition; topics sorted by name, partitions by number. */
  committedOffsets(group: string): TopicOffsets[] {
    return this.offsets.offsetsOf(group);
  }

  committedOffset(group: string, topic: string, partition: number): WinningOffset | undefined {
    const entry = this.offsets.get(group, topic, partition);
    // A copy: the table updates its entries in place.
    return entry === undefined ? undefined : { ...entry };
  }

  /** The latest classic group metadata, or null when none was seen or the last one was a tombstone. */
  groupMetadata(group: string): GroupMetadataState | null {
    return this.metadata.get(group) ?? null;
  }

  /** The latest classic group metadata that had members (since the last tombstone), or null. */
  lastMetadataWithMembers(group: string): GroupMetadataState | null {
    return this.memberships.get(group) ?? null;
  }

  /** Set when the group's last group-metadata record was a tombstone. */
  groupDeletion(group: string): GroupDeletion | null {
    return this.deletions.get(group) ?? null;
  }

  /** Groups known from classic metadata (live or deleted) or from KIP-848/share/streams records, sorted. */
  groupsWithMetadata(): string[] {
    const names = new Set([...this.metadata.keys(), ...this.deletions.keys(), ...this.groupRecordsSeen.keys()]);
    return [...names].sort();
  }

  groupRecords(group: string): GroupRecordsSeen | null {
    const seen = this.groupRecordsSeen.get(group);
    if (seen === undefined) return null;
    return { typeNames: [...seen.typeNames].sort(), records: seen.records, lastLogOffset: seen.lastLogOffset };
  }

  /** Transactions with offsets but no marker yet: not committed, reported so nobody is surprised. */
  pendingTransactions(): PendingTransactionSummary[] {
    return this.pending.summary();
  }

  unreadableRanges(): UnreadableRange[] {
    return this.unreadable.map((range) => ({ ...range }));
  }

  /** Number of live group/topic/partition entries (what the replay's memory grows with). */
  get liveOffsetCount(): number {
    return this.offsets.size;
  }

  stats(): ReplayCounts {
    return { ...this.counts, skipped: { ...this.counts.skipped } };
  }
}

function matchesAt(data: Buffer, at: number, prefix: Buffer): boolean {
  // Byte loop rather than Buffer.compare: most keys differ in the first bytes, and the native
  // call costs more than the loop for prefixes this short.
  for (let j = 0; j < prefix.length; j++) if (data[at + j] !== prefix[j]) return false;
  return true;
}
