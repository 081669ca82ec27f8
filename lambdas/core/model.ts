/**
 * JSON documents the operations return and the workflow passes between steps. int64 values
 * are decimal strings so that offsets above 2^53 survive JSON, Step Functions and JavaScript.
 */

import type { ReplayCheckpoint } from './replay/checkpoint.ts';

/** A signed 64-bit integer as a decimal string, e.g. "9007199254740993". */
export type Int64String = string;

export interface CoordinatorLocation {
  groupId: string;
  partition: number; // the __consumer_offsets partition the group hashes to
  brokerId: number; // the leader of that partition
  brokerHost: string; // "host:port"
}

/** Scan window: records whose append time is >= since (epoch ms), or from a start offset. */
export interface ScanWindow {
  since?: number; // epoch milliseconds
  fromOffset?: Int64String;
}

export interface RecoveredOffset {
  offset: Int64String;
  leaderEpoch: number; // -1 when unknown
  metadata: string;
  commitTimestamp: Int64String;
  /** Where in __consumer_offsets the winning record sits. */
  logOffset: Int64String;
  logTimestamp: Int64String;
}

/** topic -> partition (as a decimal string key) -> recovered offset; topics and partitions sorted. */
export type RecoveredOffsets = Record<string, Record<string, RecoveredOffset>>;

export interface ScanStats {
  partition: number;
  startOffset: Int64String;
  endOffset: Int64String; // the log end captured when the scan started
  nextOffset: Int64String; // where a resumed scan would continue
  complete: boolean;
  /** Data records at offsets in [startOffset, endOffset): each counted once however the scan was split or resumed. */
  records: number;
  /**
   * Bytes of the batches read from the broker (and `batches` their count): a batch across a
   * segment border is read by both segments, so a split scan's sum can exceed one pass's.
   */
  bytes: number;
  batches: number;
  skipped: Record<string, number>; // reason -> count (unknown types, corrupt records, ...)
  abortedRecords: number;
  controlBatches: number;
  /** Set when this scan continued an interrupted one: the offset it resumed at. */
  resumedFrom?: Int64String;
  fetches?: number;
  /** Transient failures retried (dropped connections, stale leaders, an open transaction's wait). */
  retries?: number;
  metadataRefreshes?: number;
  /** Times the log start moved past the scan position (retention) and the scan jumped forward. */
  logStartResets?: number;
  /** What an operator should know about this scan: clamped starts, skipped ranges, early stops. */
  notes?: string[];
  /**
   * Stretches of the scanned range deleted before the scan reached them (the log start moved
   * past the position under retention or DeleteRecords). A recovered offset whose record sits
   * before the end of such a range may have been superseded inside it: it is UNCERTAIN.
   */
  unreadRanges?: UnreadRange[];
}

export interface UnreadRange {
  from: Int64String; // first offset not read
  to: Int64String; // the new log start: reading went on here
  reason: 'LOG_START_MOVED';
}

/**
 * Where a scan stands, as carried by a SCAN_INTERRUPTED error's details (`details.position`):
 * pass it back as `resumeFrom`, with the same sink, to continue where the scan stopped.
 */
export interface ScanPosition {
  partition: number;
  startOffset: Int64String;
  nextOffset: Int64String;
  endOffset: Int64String;
}

/** One of K contiguous offset ranges a shard's window is split into, scanned on its own and merged. */
export interface ScanSegment {
  index: number;
  fromOffset: Int64String;
  /** Exclusive. */
  toOffset: Int64String;
}

/** A shard window split for parallel scans: the segments cover [startOffset, endOffset) exactly. */
export interface SegmentPlan {
  partition: number;
  window: ScanWindow;
  startOffset: Int64String;
  endOffset: Int64String;
  segments: ScanSegment[];
}

/**
 * Where a shard scan stopped (a deadline, Ctrl-C, a failure) or, with `done`, a finished segment
 * waiting to be merged: the replay state (O(distinct keys)), the scan's counts so far, and what
 * it is bound to. A checkpoint is only accepted by a scan of the same partition, window, group
 * and segment.
 */
export interface ScanCheckpoint {
  kind: 'coordinator-recovery/scan-checkpoint';
  version: 1;
  partition: number;
  window: ScanWindow;
  /** null: every group of the shard. */
  group: string | null;
  segment: ScanSegment | null;
  position: ScanPosition;
  done: boolean;
  /** The scanner's own counts over every run so far (the replay's are in `replay`). */
  scan: ScanStats;
  replay: ReplayCheckpoint;
}

/** What one pass over a shard knows about one group: enough to plan and check its recovery. */
export interface ShardGroupResult {
  offsetsPartition: number;
  group: AffectedGroup;
  offsets: RecoveredOffsets;
  groupMetadata: GroupMetadataSummary | null;
}

export interface GroupOffsetsResult {
  groupId: string;
  offsetsPartition: number;
  offsets: RecoveredOffsets;
  /** What group metadata in the same window said about the group, when present. */
  groupMetadata: GroupMetadataSummary | null;
  scan: ScanStats;
  /** Which topics the group subscribes to and how that is known (absent in results of older versions). */
  subscription?: SubscriptionInfo;
}

/**
 * The group's subscribed topics and where they come from. `window`: group metadata with members
 * inside the scanned window. `before-window`: the window held none, so the log before it was read
 * for the last one. `none`: the whole retained log holds no metadata with members (a group that
 * only commits, e.g. with assign()): its commits are all there is. `unknown`: the window held none
 * and the look-back could not be done; topics committed only before the window may be missing.
 */
export interface SubscriptionInfo {
  source: 'window' | 'before-window' | 'none' | 'unknown';
  topics: string[]; // sorted
  /** Where in __consumer_offsets the metadata record sits (null unless window / before-window). */
  logOffset: Int64String | null;
  /** Topics the group committed to before the window but not inside it (from the look-back), sorted. */
  committedBeforeWindow: string[];
  /** Why the subscription is unknown, or what the look-back found. */
  note: string | null;
  /** A KIP-848 group's regular expressions the log holds no resolution of (their topics are unknown); absent when none. */
  unresolvedRegexes?: string[];
}

export interface GroupMetadataSummary {
  protocolType: string;
  protocol: string | null;
  state: 'Stable' | 'Empty' | 'Deleted' | 'Unknown';
  generation: number;
  members: number;
  subscribedTopics: string[]; // from the consumer-protocol subscriptions, sorted
  currentStateTimestamp: Int64String;
}

export interface AffectedGroup {
  groupId: string;
  topics: string[]; // topics with live committed offsets, sorted
  protocolType: string | null;
  state: string | null;
  subscribedTopics: string[];
  lastCommitTimestamp: Int64String | null;
}

export interface AffectedGroupsResult {
  partition: number;
  groups: AffectedGroup[]; // sorted by groupId
  scan: ScanStats;
}

export type CompletenessIssueKind =
  | 'MISSING_PARTITION' // subscribed/committed topic partition with no recovered offset
  | 'BELOW_LOG_START' // retention deleted the data at that offset
  | 'ABOVE_LOG_END'
  | 'UNKNOWN_TOPIC' // topic no longer exists
  | 'UNKNOWN_PARTITION' // the topic exists but no longer has that partition (recreated smaller)
  | 'SCAN_INCOMPLETE' // the scan stopped before the log end: newer commits may be missing
  | 'UNCHECKED_PARTITION' // the partition's log start/end could not be read (e.g. LEADER_NOT_AVAILABLE)
  | 'UNCERTAIN_OFFSET' // a newer commit may have sat in a stretch deleted before the scan read it
  | 'LOG_START_MOVED' // the log start moved past the scan position: part of the range was never read
  | 'SUBSCRIPTION_UNKNOWN'; // the window held no group metadata with members and the log before it was not read

export interface CompletenessIssue {
  kind: CompletenessIssueKind;
  topic: string;
  partition: number | null;
  offset: Int64String | null;
  logStartOffset: Int64String | null;
  logEndOffset: Int64String | null;
  message: string;
}

export interface PartitionCheck {
  topic: string;
  partition: number;
  offset: Int64String | null; // null when missing
  logStartOffset: Int64String | null; // null when UNCHECKED
  logEndOffset: Int64String | null; // null when UNCHECKED
  lag: Int64String | null; // logEnd - offset, null when missing, invalid or unchecked
  /**
   * UNCHECKED: recovered (or not) but the partition's log start/end could not be read, so the
   * offset is not validated (`error` says why). UNCERTAIN: in range, but the log start moved past
   * the scan before it read everything, so a newer commit may have been deleted unread.
   */
  status: 'OK' | 'MISSING' | 'BELOW_LOG_START' | 'ABOVE_LOG_END' | 'UNCHECKED' | 'UNCERTAIN';
  /** For UNCHECKED: the error ListOffsets gave, e.g. "LEADER_NOT_AVAILABLE: ...". */
  error?: string;
}

export interface CompletenessReport {
  groupId: string;
  complete: boolean; // no issues at all: every offset is checked, certain and in range
  partitions: PartitionCheck[]; // sorted by topic, partition
  issues: CompletenessIssue[];
  totalLag: Int64String;
  /** Caveats that are not issues, e.g. no group metadata in the window to learn subscriptions from. */
  notes?: string[];
}

/** One read-only look at a group's coordinator: FindCoordinator, then DescribeGroups on it. */
export interface CoordinatorCheck {
  groupId: string;
  partition: number; // __consumer_offsets partition the group hashes to
  coordinator: { brokerId: number; host: string } | null; // null when FindCoordinator failed
  findCoordinatorError: string | null;
  groupCall: 'OK' | 'NOT_COORDINATOR' | 'COORDINATOR_LOAD_IN_PROGRESS' | 'COORDINATOR_NOT_AVAILABLE' | 'OTHER_ERROR';
  groupCallError: string | null;
  groupState: string | null;
  members: number | null;
}

/** Every probed `__consumer_offsets` shard, as `probeShards` found it. */
export interface ShardProbeReport {
  partitionCount: number;
  probedAt: string; // ISO-8601, when the probe started
  /** One check per probed shard (its probe group), sorted by partition; a re-checked shard shows the second answer. */
  checks: CoordinatorCheck[];
  /** Leader of each probed shard from metadata (-1 leaderless), keyed by partition. */
  leaders: Record<string, number>;
  failed: number[]; // answered NOT_COORDINATOR twice, sorted
  unresolved: number[]; // answered neither OK nor NOT_COORDINATOR twice (no time left to re-check counts here too), sorted
  notProbed: number[]; // not reached before the deadline, sorted
  failingBrokers: number[]; // leaders of the failed shards, sorted
}
