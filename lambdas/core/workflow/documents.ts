/**
 * The JSON documents the Step Functions workflow passes between its steps. Each handler in
 * lambdas/handlers takes one `<Step>Input` and returns one `<Step>Output`; the CDK stack in lib/
 * wires them with the data flow below. int64 values are decimal strings (model.ts).
 *
 * Data flow as lib/recovery-state-machine.ts wires it (state paths; `request` is produced once by
 * Diagnose and carried along):
 *   execution input (ExecutionInput, raw JSON from console / CLI / EventBridge)
 *   Diagnose       payload { input: $, executionArn: $$.Execution.Id, startTime: $$.Execution.StartTime }
 *                  -> ResultPath $.diagnosis  (DiagnoseOutput, never offloaded: small by construction)
 *   AnyFailedShards  Choice on $.diagnosis.shards[0] (none -> Report with only request + diagnosis)
 *   BlastRadius    Map, ItemsPath $.diagnosis.shards, ItemSelector { request, shard: $$.Map.Item.Value };
 *                  each item (one shard):
 *                  PlanSegments (payload { phase: plan, request, shard } -> ResultPath $.segments,
 *                    ShardSegmentsPlan: the segments as a JSON array in S3) ->
 *                  ScanSegments, a Distributed Map: ItemReader s3:getObject $.segments.items,
 *                    ItemSelector { request, shard, segment: $$.Map.Item.Value, scan: { continuations: 0 } };
 *                    each child: MapShard (payload { request, shard, segment, scan }, ResultPath $.scan) ->
 *                    ShardScanDone Choice: $.scan.status CONTINUE -> MapShard again, else
 *                    ShardScanned (OutputPath $.scan: BlastRadiusSegmentDone);
 *                    ResultWriter s3:putObject under $.segments.results.prefix -> ResultPath
 *                    $.segmentResults ({ MapRunArn, ResultWriterDetails: { Bucket, Key } }) ->
 *                  MergeSegments (payload { phase: merge, request, shard, segments, results, merge },
 *                    ResultPath $.merge; the item starts with merge { continuations: 0 }) ->
 *                  MergeDone Choice: $.merge.status CONTINUE (storing the groups reached the
 *                    deadline) -> MergeSegments again, else MergeStored (OutputPath $.merge)
 *                  -> ResultPath $.blastRadius (BlastRadiusOutput[]; the groups' offsets in S3)
 *   ReadOffsets    Distributed Map: ItemReader lists the objects under
 *                  $.diagnosis.artifactPrefixes.groupResults (one per group of every failed shard),
 *                  ItemSelector { request, groupResultKey: $$.Map.Item.Value.Key };
 *                  ToleratedFailurePercentage 100, so one group that cannot be read fails only its
 *                  item; ResultWriter stores every item's result under
 *                  $.diagnosis.artifactPrefixes.readOffsetsResults
 *                  -> ResultPath $.groups (ReadOffsetsResults: the MapRunArn and the manifest's place)
 *   PlanTarget     payload { request, diagnosis: { failingBrokers, failedShards }, groups: $.groups }
 *                  -> ResultPath $.plan (PlanTargetOutput: the plan itself always lives in S3)
 *   AnythingToApprove  Choice on $.plan.summary.groups > 0 (none -> Report without approval)
 *   AwaitApproval  .waitForTaskToken, payload { request, plan: $.plan, taskToken: $$.Task.Token }
 *                  -> ResultPath $.approval (ApprovalDecision, the --task-output of send-task-success)
 *   SeedOffsets    payload { request, plan: $.plan, approval: $.approval } -> ResultPath $.seed
 *   Verify         payload { request, plan: $.plan, seed: $.seed } -> ResultPath $.verify
 *   Report         the whole state { request, diagnosis, blastRadius?, plan?, approval?, seed?, verify? } -> ReportOutput
 *   NotifyFailure  (Catch target, ResultPath $.error) payload
 *                  { executionArn: $$.Execution.Id, input: $$.Execution.Input, error: $.error, state: <failed step> }
 *
 * The state carries counts, ids and S3 keys only: every per-group list (the groups a shard scan
 * found, their offsets, the plan, the seed and verify results) lives in the artifacts bucket, so a
 * run with thousands of groups stays far below Step Functions' 256 KiB per state. Any step output
 * may be `{ artifact: ArtifactRef }`; consumers resolve it with lambdas/aws artifacts.
 */
import type {
  ScanSegment,
  AffectedGroupsResult,
  CompletenessReport,
  CoordinatorCheck,
  GroupOffsetsResult,
  Int64String,
} from '../model.ts';

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** How the Lambdas reach the brokers: picks the GetBootstrapBrokers string and the client auth. */
export type AuthMode = 'iam' | 'scram' | 'tls' | 'plaintext' | 'public-iam' | 'public-scram' | 'public-tls';
export const AUTH_MODES: readonly AuthMode[] = [
  'iam',
  'scram',
  'tls',
  'plaintext',
  'public-iam',
  'public-scram',
  'public-tls',
];

/** Where a large document was stored instead of travelling in the state. */
export interface ArtifactRef {
  bucket: string;
  key: string;
  bytes: number;
  sha256: string; // of the stored bytes; the approval binds to the plan's hash
}
export interface ArtifactEnvelope {
  artifact: ArtifactRef;
}
/** A document inline, or a reference to it in the artifacts bucket. */
export type Stored<T> = T | ArtifactEnvelope;

/**
 * COORDINATOR_FAILED: shards answer NOT_COORDINATOR (Kafka 4.x's runtime after a failed load).
 * OFFSETS_LOST_ON_LOAD: a shard failed to load but serves (Kafka 3.x's classic coordinator), and
 * groups on it answer OffsetFetch behind or without the commits the raw log holds.
 */
export type Verdict = 'COORDINATOR_FAILED' | 'OFFSETS_LOST_ON_LOAD' | 'HEALTHY' | 'INCONCLUSIVE';

/** One partition of a group whose coordinator answers an older offset, or none, than the log's last commit. */
export interface OffsetOnLoadDifference {
  topic: string;
  partition: number;
  logOffset: Int64String;
  /** what OffsetFetch answered; null = no offset */
  fetchedOffset: Int64String | null;
  /** where the last commit sits in __consumer_offsets */
  logRecordOffset: Int64String;
}

export interface LostOffsetsGroup {
  groupId: string;
  partition: number; // its __consumer_offsets partition
  differences: OffsetOnLoadDifference[];
}

// ---------------------------------------------------------------------------------------------
// Execution input (what a person types in the console or CLI, or what EventBridge sends)

export interface ExecutionInput {
  /** arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>; defaults to the stack's cluster. */
  clusterArn?: string;
  /** Groups known to be stuck. Omitted or empty: every group found on the failed shards. */
  groups?: string[];
  /** Window start: ISO-8601 or epoch ms. Use either since (+ optional until) or lookbackMinutes. */
  since?: string | number;
  /** Window end: ISO-8601 or epoch ms; defaults to the execution start. */
  until?: string | number;
  /** Window = [until - lookbackMinutes, until]; default 120 when neither since nor lookbackMinutes is given. */
  lookbackMinutes?: number;
  /** source group -> target group name; groups without an entry get a suggested name. */
  targetNames?: Record<string, string>;
  /** When a target already has committed offsets: false (default) blocks that group, true overwrites. */
  overwriteExistingTargetOffsets?: boolean;
  /**
   * true: commit each group's recovered offsets back into the group itself (its coordinator must
   * answer and the group must have no members: the Kafka 3.x case, offsets lost on load); false
   * (default): into a new group on a healthy coordinator. Not combinable with targetNames.
   */
  restoreInPlace?: boolean;
  /** Defaults to the stack's configured auth mode. */
  authMode?: AuthMode;
  /** Who or what started the run; EventBridge sets source 'alarm'. */
  trigger?: { source: 'console' | 'cli' | 'alarm'; alarmName?: string; alarmTime?: string };
  /** Free text for the audit trail. */
  comment?: string;
}

/** The validated, normalized execution input; every later step receives it. */
export interface RecoveryRequest {
  clusterArn: string;
  region: string; // from the cluster ARN
  groups: string[]; // sorted, unique; empty = all groups on the failed shards
  window: { since: number; until: number }; // epoch ms, since < until
  targetNames: Record<string, string>;
  overwriteExistingTargetOffsets: boolean;
  /** each group is restored into itself instead of a new group (ExecutionInput.restoreInPlace) */
  restoreInPlace: boolean;
  authMode: AuthMode;
  executionArn: string;
  trigger: { source: 'console' | 'cli' | 'alarm'; alarmName: string | null; alarmTime: string | null };
  comment: string | null;
}

// ---------------------------------------------------------------------------------------------
// Diagnose

export interface DiagnoseInput {
  input: unknown; // ExecutionInput, validated by the handler
  executionArn: string;
  startTime?: string; // ISO-8601, $$.Execution.StartTime; "until" defaults to it
}

export interface BrokerNode {
  brokerId: number;
  endpoints: string[]; // host names as ListNodes reports them
}

export interface ClusterSummary {
  clusterArn: string;
  clusterName: string;
  state: string; // ACTIVE, UPDATING, ...
  kafkaVersion: string;
  brokerLogGroup: string;
  brokers: BrokerNode[]; // sorted by brokerId
  offsetsPartitionCount: number; // partitions of __consumer_offsets (live metadata)
}

/** Details of one "Replaying record ... failed" line (the epoch conflict behind the failure). */
export interface ReplayingRecordDetail {
  topicPartition: string; // the __consumer_offsets-N partition the record was replayed from
  offset: Int64String | null;
  conflictPartition: string | null; // "Cannot set the epoch of <this> ..."
  requestedEpoch: number | null;
  ownedEpoch: number | null;
}

/** What the broker logs say about one failed coordinator shard. */
export interface LogFinding {
  partition: number; // __consumer_offsets partition
  brokerId: number | null; // from [GroupCoordinator id=N] or the Broker-<id> stream suffix
  epoch: number | null;
  firstSeen: string; // ISO-8601
  lastSeen: string;
  count: number; // load-failure lines (0 when only the replay error was seen)
  sampleLine: string; // truncated to 1000 characters
  logStream: string;
  /** The strongest line seen: a load failure, or only the epoch-conflict replay error. */
  phrase: 'FAILED_TO_LOAD_METADATA' | 'ERROR_LOADING_OFFSETS' | 'REPLAYING_RECORD_FAILED';
  replaying: ReplayingRecordDetail[]; // at most a few, de-duplicated
}

export interface LogSearchSummary {
  logGroup: string;
  window: { since: number; until: number };
  pages: number;
  events: number;
  throttledRetries: number;
  truncated: boolean; // the window was not read to its end
  /** What cut the search short: the page cap, or the time kept for the live checks; null when it read the whole window. */
  stoppedBy: LogSearchStop | null;
}

export type LogSearchStop = 'PAGE_CAP' | 'DEADLINE';

/** The live check of one group's coordinator (a requested group, or a probe group standing for a shard). */
export type LiveCheck = CoordinatorCheck;

export interface Evidence {
  kind: 'LOG' | 'LIVE' | 'METADATA';
  message: string;
  partition: number | null;
  brokerId: number | null;
}

/** One failed coordinator shard: a BlastRadius Map item. */
export interface FailedShard {
  partition: number;
  brokerId: number; // current leader of the partition
  /** Requested groups that hash here; null = every group on the shard. */
  groups: string[] | null;
}

export interface DiagnoseOutput {
  request: RecoveryRequest;
  cluster: ClusterSummary;
  verdict: Verdict;
  evidence: Evidence[];
  findings: LogFinding[];
  logSearch: LogSearchSummary;
  liveChecks: LiveCheck[];
  failingBrokers: number[]; // brokers with at least one failed shard, sorted
  failedShards: number[]; // every failed __consumer_offsets partition, sorted
  /** Shards to map (BlastRadius items); empty when there is nothing to recover. */
  shards: FailedShard[];
  /** Requested groups that hash to a failed shard (ReadOffsets items when groups were given). */
  groups: string[];
  /** OFFSETS_LOST_ON_LOAD: each group whose coordinator answers less than the log holds */
  lostOffsets?: LostOffsetsGroup[];
  /** Where this run's per-group documents go in the artifacts bucket (the Map states read and write there). */
  artifactPrefixes: RunArtifactPrefixes;
}

/** Key prefixes of one run (`executions/<state machine>/<execution>/...`). */
export interface RunArtifactPrefixes {
  /** Every shard scan's per-group results, one object per group and nothing else: ReadOffsets lists it for its items. */
  groupResults: string;
  /** Where ReadOffsets' ResultWriter stores its manifest and result files. */
  readOffsetsResults: string;
}

// ---------------------------------------------------------------------------------------------
// BlastRadius (one Map iteration per failed shard)

export interface BlastRadiusInput {
  request: RecoveryRequest;
  shard: FailedShard;
  /** Scan only this segment of the shard's window (a ScanSegments child); absent: the whole window. */
  segment?: ScanSegment;
  /** Where an earlier invocation stopped (the previous CONTINUE output); absent on the first. */
  scan?: ShardScanProgress;
}

/** BlastRadius's first phase for a shard: split its window into segments by size. */
export interface PlanSegmentsInput {
  phase: 'plan';
  request: RecoveryRequest;
  shard: FailedShard;
}

/** The shard's split: the ScanSegments Distributed Map reads `items` and writes under `results`. */
export interface ShardSegmentsPlan {
  status: 'PLANNED';
  partition: number;
  brokerId: number;
  /** How many segments (Distributed Map items); 1 for a shard under the segment size. */
  segments: number;
  /** The window's size as sampled, in bytes. */
  estimatedBytes: number;
  /** The SegmentPlan (lambdas/core/model.ts) the merge checks the segment scans against. */
  plan: ArtifactRef;
  /** A JSON array of ScanSegment, one per item. */
  items: { bucket: string; key: string };
  /** The ResultWriter's key prefix in the artifacts bucket. */
  results: { bucket: string; prefix: string };
}

/** One segment scanned to its end: its finished scan (a `done` checkpoint) waits in S3 for the merge. */
export interface BlastRadiusSegmentDone {
  status: 'SEGMENT_DONE';
  partition: number;
  brokerId: number;
  segment: ScanSegment;
  continuations: number;
  bytesRead: number;
  records: number;
  scan: ArtifactRef;
}

/** What a Distributed Map with a ResultWriter returns (Step Functions' own shape). */
export interface MapRunResults {
  MapRunArn: string;
  ResultWriterDetails: { Bucket: string; Key: string };
}

/** BlastRadius's last phase for a shard: the segment scans merged into the shard's, stored as one pass would. */
export interface MergeSegmentsInput {
  phase: 'merge';
  request: RecoveryRequest;
  shard: FailedShard;
  segments: ShardSegmentsPlan;
  results: MapRunResults;
  /** The previous MergeSegments CONTINUE output; absent or without `merged` for the first merge. */
  merge?: MergeProgress;
}

/** How far storing a merged shard's groups got: the merged scan lives in the artifacts bucket. */
export interface MergeProgress {
  /** Invocations that stopped at their deadline so far, the segment scans' included. */
  continuations: number;
  /** The merged shard scan (a `done` checkpoint); null before the first merge. */
  merged: ArtifactRef | null;
  /** Groups stored so far, in the order they are stored (sorted). */
  groupsStored: number;
}

/**
 * Storing the merged shard's groups reached the Lambda's deadline: the state machine invokes
 * MergeSegments again with this as `merge`, which stores the rest from the merged scan (no
 * segment is read or merged again).
 */
export interface MergeSegmentsContinue extends MergeProgress {
  status: 'CONTINUE';
  partition: number;
  brokerId: number;
  merged: ArtifactRef;
  /** Groups to store in all. */
  groups: number;
}

/** How far a shard scan got: the checkpoint lives in the artifacts bucket, the state holds its reference. */
export interface ShardScanProgress {
  /** Invocations that stopped at their deadline so far. */
  continuations: number;
  checkpoint: ArtifactRef | null;
}

/** The scan reached its Lambda's deadline: the state machine invokes BlastRadius again with this as `scan`. */
export interface BlastRadiusContinue extends ShardScanProgress {
  status: 'CONTINUE';
  partition: number;
  brokerId: number;
  /** The segment being scanned, when it is one. */
  segment?: ScanSegment;
  checkpoint: ArtifactRef;
  /** Log offset the next invocation starts at, and the window's end (progress, for people). */
  nextOffset: Int64String;
  endOffset: Int64String;
}

/**
 * One BlastRadius invocation: the shard is done (a whole-window scan, or the merge), the scan
 * or the merge's storing continues in the next one, a segment is done, or (plan phase) the shard
 * is split.
 */
export type BlastRadiusStepOutput = BlastRadiusOutput | BlastRadiusContinue | BlastRadiusSegmentDone | ShardSegmentsPlan | MergeSegmentsContinue;

export interface BlastRadiusOutput {
  status: 'DONE';
  partition: number;
  brokerId: number;
  /** Invocations that stopped at their deadline before this one finished the scan (every segment's, summed). */
  continuations: number;
  /** Segments the window was scanned in (absent: one whole-window scan). */
  segments?: number;
  /** Bytes of the shard's batches read from the broker over every invocation (a batch across a segment border is read by both segments). */
  bytesRead: number;
  /** Records of the shard's window, each counted once whatever the segments and continuations. */
  records: number;
  /** How many groups the scan stored for ReadOffsets (one object each under `groupResults`). */
  groupCount: number;
  /** How many groups have committed offsets on the shard in the window, recovered or not. */
  affectedGroupCount: number;
  /** How many application topics those groups commit to or subscribe to. */
  topicCount: number;
  /** The full scan result: every affected group with its topics (always in S3). */
  detail: Stored<AffectedGroupsResult>;
  /**
   * Key prefix in the artifacts bucket under which the scan stored one GroupOffsetsResult per
   * group to recover (`<prefix><encodeURIComponent(groupId)>.json`): ReadOffsets reads these
   * instead of scanning the shard again.
   */
  groupResults: string;
}

// ---------------------------------------------------------------------------------------------
// ReadOffsets (one Map iteration per group)

export interface ReadOffsetsInput {
  request: RecoveryRequest;
  groupId: string;
  /** The group's `__consumer_offsets` partition: its BlastRadius scan stored the group's offsets. */
  partition: number;
}

/** What the ReadOffsets Distributed Map hands each item: the key of one group's stored scan result. */
export interface ReadOffsetsItemInput {
  request: RecoveryRequest;
  groupResultKey: string;
}

/** The ReadOffsets Distributed Map's output with its ResultWriter: where the item results are. */
export interface ReadOffsetsResults {
  MapRunArn: string;
  ResultWriterDetails: { Bucket: string; Key: string };
}

/** A group whose offsets could not be read: not in the plan, named in the plan, the mail and the report. */
export interface UnreadGroup {
  groupId: string;
  /** Its `__consumer_offsets` partition, when known. */
  partition: number | null;
  error: string;
  cause: string;
}

export interface GroupRecovery {
  groupId: string;
  offsets: GroupOffsetsResult;
  completeness: CompletenessReport;
}

export type ReadOffsetsOutput = Stored<GroupRecovery>;

// ---------------------------------------------------------------------------------------------
// PlanTarget

export interface PlanTargetInput {
  request: RecoveryRequest;
  diagnosis: Pick<DiagnoseOutput, 'failingBrokers' | 'failedShards'>;
  /** The ReadOffsets Distributed Map's ResultWriter output; an inline list (nested arrays flattened) is read too. */
  groups: ReadOffsetsResults | ReadOffsetsOutput[] | ReadOffsetsOutput[][];
}

export interface PlannedOffset {
  topic: string;
  partition: number;
  offset: Int64String;
  leaderEpoch: number;
  metadata: string;
  logStartOffset: Int64String | null;
  logEndOffset: Int64String | null;
  lag: Int64String | null;
  /** The completeness status (model.ts PartitionCheck); UNKNOWN when the check has no entry for it. */
  status: 'OK' | 'BELOW_LOG_START' | 'ABOVE_LOG_END' | 'UNCHECKED' | 'UNCERTAIN' | 'UNKNOWN';
}

export interface TargetOffsetDiff {
  topic: string;
  partition: number;
  existing: Int64String | null;
  planned: Int64String;
  change: 'NEW' | 'SAME' | 'OVERWRITE';
}

/** IN_PLACE: the group itself takes the offsets back; NEW_GROUP: a new group on a healthy coordinator. */
export type RestoreMode = 'IN_PLACE' | 'NEW_GROUP';

export interface GroupPlan {
  sourceGroup: string;
  /** the source group itself when restore is IN_PLACE */
  targetGroup: string;
  restore: RestoreMode;
  /** 'source': restored in place, the name is the source group's */
  targetNameSource: 'input' | 'suggested' | 'source';
  /** Where the target group's coordinator lives. */
  target: { partition: number; brokerId: number; brokerHost: string };
  targetState: { state: string | null; members: number };
  offsets: PlannedOffset[]; // sorted by topic, partition
  existingTargetOffsets: TargetOffsetDiff[]; // only partitions the target already has
  /** A blocked group is shown in the plan but not seeded. */
  blocked: boolean;
  blockedReason: string | null;
  warnings: string[];
  totalLag: Int64String | null;
}

export interface RecoveryPlan {
  planId: string;
  executionArn: string;
  clusterArn: string;
  createdAt: string; // ISO-8601
  window: { since: number; until: number };
  overwriteExistingTargetOffsets: boolean;
  /** what the request asked for; each group's `restore` says what it got */
  restoreInPlace: boolean;
  groups: GroupPlan[]; // sorted by source group
  warnings: string[];
  /** Groups whose offsets could not be read (their ReadOffsets item failed); sorted. Absent in older plans. */
  unreadGroups?: UnreadGroup[];
}

/** Counts only: the plan's groups are in the stored plan. */
export interface PlanSummary {
  planId: string;
  /** Groups in the plan, blocked ones included. */
  groups: number;
  partitions: number;
  blockedGroups: number;
  /** Groups left out because their offsets could not be read. */
  unreadGroups: number;
  warnings: number;
}

export interface PlanTargetOutput {
  /** The plan is always stored in S3: it is part of the audit trail. */
  plan: ArtifactRef;
  planSha256: string;
  summary: PlanSummary;
}

// ---------------------------------------------------------------------------------------------
// AwaitApproval (.waitForTaskToken)

export interface RequestApprovalInput {
  request: RecoveryRequest;
  plan: PlanTargetOutput;
  taskToken: string;
  /** Shown on the approval page only (approval-incident.ts); the state machine passes it. */
  incident?: { diagnosis: DiagnoseOutput; blastRadius: BlastRadiusOutput[] };
}

export interface RequestApprovalOutput {
  approvalId: string;
  expiresAt: string;
  messageId: string | null;
  approvalRequest: ArtifactRef;
}

/** What the approver sends as --task-output (or what the approval endpoint sends for them). */
export interface ApprovalDecision {
  approved: true;
  planSha256: string;
  approvedBy: string;
  approvedAt: string; // ISO-8601
  channel: 'link' | 'cli' | 'console' | 'iam';
  approvalId: string | null;
  comment: string | null;
  /** channel iam: every approving principal as AWS verified it (approvedBy joins them). */
  approvers?: Array<{ principalArn: string; at: string; comment: string | null }>;
}

/** The failure error name the state machine sees when the approver rejects. */
export const APPROVAL_REJECTED_ERROR = 'ApprovalRejected';

// ---------------------------------------------------------------------------------------------
// SeedOffsets

export interface SeedOffsetsInput {
  request: RecoveryRequest;
  plan: PlanTargetOutput;
  approval: ApprovalDecision;
}

export interface PartitionSeedError {
  topic: string;
  partition: number;
  errorName: string;
}

export interface GroupSeedResult {
  sourceGroup: string;
  targetGroup: string;
  coordinatorBrokerId: number | null;
  status: 'SEEDED' | 'PARTIAL' | 'FAILED' | 'SKIPPED_BLOCKED';
  committed: number;
  errors: PartitionSeedError[];
  error: string | null; // whole-request failure (NOT_COORDINATOR, unreachable, ...)
}

/** How many groups ended in each seed status. */
export interface SeedCounts {
  seeded: number;
  partial: number;
  failed: number;
  skippedBlocked: number;
}

export interface SeedOffsetsOutput {
  planSha256: string;
  ok: boolean; // every non-blocked partition committed
  groups: SeedCounts;
  approvalRecord: ArtifactRef;
  /** Every group's result, every partition error (`SeedResultDocument`). */
  fullResult: ArtifactRef;
}

/** What SeedOffsets stores as seed-result.json. */
export interface SeedResultDocument {
  planSha256: string;
  ok: boolean;
  groups: GroupSeedResult[];
}


// ---------------------------------------------------------------------------------------------
// Verify

export interface VerifyInput {
  request: RecoveryRequest;
  plan: PlanTargetOutput;
  seed: SeedOffsetsOutput;
}

export interface OffsetMismatch {
  topic: string;
  partition: number;
  expected: Int64String;
  actual: Int64String | null; // null: the target has no offset for it
}

export interface GroupVerification {
  targetGroup: string;
  ok: boolean;
  matched: number;
  mismatches: OffsetMismatch[];
  error: string | null;
}

export interface VerifyOutput {
  ok: boolean;
  groups: { verified: number; failed: number };
  /** Every group's verification, every mismatch (`VerifyResultDocument`). */
  fullResult: ArtifactRef;
}

/** What Verify stores as verify-result.json. */
export interface VerifyResultDocument {
  ok: boolean;
  groups: GroupVerification[];
}

// ---------------------------------------------------------------------------------------------
// Report

export interface ReportInput {
  request: RecoveryRequest;
  diagnosis: DiagnoseOutput;
  blastRadius?: BlastRadiusOutput[];
  plan?: PlanTargetOutput;
  approval?: ApprovalDecision;
  seed?: SeedOffsetsOutput;
  verify?: VerifyOutput;
}

export type Outcome = 'RECOVERED' | 'PARTIALLY_RECOVERED' | 'NOT_RECOVERED' | 'NOTHING_TO_RECOVER';

export interface RecoveryReport {
  executionArn: string;
  clusterArn: string;
  outcome: Outcome;
  verdict: Verdict;
  generatedAt: string;
  /** Human-readable lines, also published to the topic. */
  text: string;
  groups: {
    sourceGroup: string;
    targetGroup: string | null;
    restore: RestoreMode | null;
    seeded: GroupSeedResult['status'] | null;
    verified: boolean | null;
  }[];
  /** Groups whose offsets could not be read, with the error: why the outcome is not RECOVERED. */
  unreadGroups: UnreadGroup[];
  affectedGroups: string[];
  affectedTopics: string[];
}

export interface ReportOutput {
  outcome: Outcome;
  result: ArtifactRef;
  summary: string; // first lines of the report text
}

// ---------------------------------------------------------------------------------------------
// NotifyFailure (the Catch target)

export interface NotifyFailureInput {
  executionArn: string;
  state?: string;
  input?: unknown;
  /** What Step Functions puts at the Catch ResultPath. */
  error: { Error?: string; Cause?: string };
}

export interface NotifyFailureOutput {
  notified: boolean;
  messageId: string | null;
  reason: string;
  /** failure.json in the artifacts bucket: the audit trail's end for runs without a report; null when no bucket is configured. */
  failureRecord: ArtifactRef | null;
}

/** What NotifyFailure stores as failure.json. */
export interface FailureRecord {
  executionArn: string;
  /** The step where the run stopped. */
  state: string | null;
  error: string;
  reason: string;
  /** The notice's headline, e.g. "rejected by the approver; nothing was written". */
  summary: string;
  notifiedAt: string;
  input: unknown;
}

// ---------------------------------------------------------------------------------------------
// Errors handlers throw (the Lambda error type Step Functions matches in Retry / Catch)

/** Thrown for transient Kafka / AWS failures: retry with backoff. */
export const TRANSIENT_ERROR_NAME = 'RetryableError';
/** Every other handler error is named `RecoveryError.<code>`, e.g. RecoveryError.INVALID_INPUT. */
export const RECOVERY_ERROR_NAME_PREFIX = 'RecoveryError.';
