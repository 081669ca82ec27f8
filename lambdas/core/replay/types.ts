import type { GroupMetadataValue } from '../offsets-records/index.ts';

export interface ReplayOptions {
  /** Replay one group only (records of other groups are not decoded); all groups when omitted. */
  group?: string;
  /**
   * Epoch ms. Offset commits whose record timestamp is earlier do not count; tombstones always
   * apply, whenever they were written, because a later deletion must win over an earlier commit.
   */
  since?: bigint | number;
  /**
   * The offset the scan started at. A fetch returns whole batches, so records below it can be
   * delivered; like a Kafka consumer, the replay ignores them.
   */
  startOffset?: bigint;
  /**
   * Where this replay's range ends (exclusive): records at or beyond it are not replayed, so a
   * segment scan never replays what the next segment's scan replays too. Unbounded when omitted.
   */
  endOffset?: bigint;
}

/** The commit that currently wins for one group/topic/partition. */
export interface WinningOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** Where the record sits in __consumer_offsets, and its record timestamp. */
  logOffset: bigint;
  logTimestamp: bigint;
}

export interface PartitionOffset extends WinningOffset {
  partition: number;
}

export interface TopicOffsets {
  topic: string;
  partitions: PartitionOffset[]; // sorted by partition
}

export interface GroupMetadataState {
  value: GroupMetadataValue;
  logOffset: bigint;
  logTimestamp: bigint;
}

/** The last group-metadata record of a group was a tombstone: the group was deleted or expired. */
export interface GroupDeletion {
  logOffset: bigint;
  logTimestamp: bigint;
}

/** KIP-848 / share / streams group records seen for a group (they say the group lives here). */
export interface GroupRecordsSeen {
  typeNames: string[]; // sorted
  records: number;
  lastLogOffset: bigint;
}

/** A stretch of the log the replay could not read (corrupt, or an unsupported format). */
export interface UnreadableRange {
  kind: 'corrupt' | 'unsupported-magic' | 'unsupported-compression';
  baseOffset: bigint;
  /** null when the frame header could not be trusted. */
  lastOffset: bigint | null;
  reason: string;
}

export interface ReplayCounts {
  batches: number;
  controlBatches: number;
  /**
   * Data records replayed (control records excluded): those of this replay's range only, so the
   * counts of consecutive ranges, or of a replay and its continuation, add up to one pass's.
   */
  records: number;
  /** Records below startOffset or the offset already replayed (a re-fetched batch); not in `records`. */
  alreadyApplied: number;
  /** One-group replays: records of other groups, skipped without decoding. */
  otherGroups: number;
  offsetCommitsApplied: number;
  offsetTombstones: number;
  /** Offset commits dropped because their record timestamp is before `since`. */
  outsideWindow: number;
  groupMetadataRecords: number;
  groupMetadataTombstones: number;
  groupRecords: number;
  transactionsCommitted: number;
  transactionsAborted: number;
  transactionalRecordsCommitted: number;
  /** Committed transactional offsets that lost to a commit with a higher log offset. */
  transactionalRecordsSuperseded: number;
  /**
   * Offset commits (of the replayed group, inside the window) dropped because their transaction
   * aborted, counted alike whether the fetch's aborted list or the ABORT marker said so.
   */
  abortedRecords: number;
  corruptBatches: number;
  unsupportedBatches: number;
  /** Records the offsets-record decoder skipped, by reason (unknown types, corrupt bytes, ...). */
  skipped: Record<string, number>;
}

export interface PendingTransactionSummary {
  producerId: bigint;
  records: number;
  firstLogOffset: bigint;
}
