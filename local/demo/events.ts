/**
 * What the scenario tells its reporter. The scenario (scenario.ts) only produces these facts;
 * the wording and the tables live in narrator.ts, so a test can record the same run.
 */
import type { Outcome, Verdict } from '../../lambdas/core/workflow/documents.ts';
import type { ResumeCheck } from './resume-check.ts';

export interface PartitionOffsets {
  partition: number;
  committed: number | null; // null: the group has no offset there
  logEnd: number;
}

export interface RecoveredPartition {
  topic: string;
  partition: number;
  offset: string | null;
  logEnd: string | null; // null when the partition could not be checked
  lag: string | null;
  status: string;
}

export interface PlannedPartition {
  topic: string;
  partition: number;
  offset: string;
  lag: string | null;
  status: string;
}

export type DemoEvent =
  | { type: 'environment'; kafka: string; brokers: Array<{ id: number; address: string }>; offsetsPartitions: number; clusterArn: string; logGroupName: string; stateMachineArn: string }
  | { type: 'topic'; topic: string; partitions: number }
  | { type: 'produced'; phase: 'before-incident' | 'during-incident'; topic: string; perPartition: Array<{ partition: number; count: number; firstSeq: number; lastSeq: number; fromOffset: number; toOffset: number }> }
  | { type: 'group-consumed'; group: string; perPartition: Array<{ partition: number; processed: number; lastSeq: number }> }
  | { type: 'committed-offsets'; group: string; partition: number; coordinator: number; offsets: PartitionOffsets[] }
  | { type: 'coordinator-failed'; group: string; partition: number; brokerId: number }
  | { type: 'stuck-consumer'; group: string; findCoordinator: { brokerId: number; address: string }; offsetFetchError: string; waitedMs: number; assigned: boolean; restarts: number; groupErrors: Array<{ api: string; error: string; count: number }> }
  | { type: 'neighbour-group'; group: string; partition: number; brokerId: number; assignedPartitions: number; consumed: number; committed: boolean }
  | { type: 'broker-log'; logGroupName: string; filterPattern: string; events: Array<{ stream: string; message: string }> }
  | { type: 'runbook-started'; executionArn: string; input: unknown }
  | { type: 'runbook-state'; state: string }
  | { type: 'diagnosis'; verdict: Verdict; failedShards: number[]; failingBrokers: number[]; evidence: Array<{ kind: string; message: string }>; liveChecks: Array<{ groupId: string; coordinator: number | null; groupCall: string }> }
  | { type: 'blast-radius'; brokerId: number; partition: number; affectedGroups: string[]; groupsToRecover: string[]; topics: string[] }
  | { type: 'recovered-offsets'; group: string; offsetsPartition: number; records: number; partitions: RecoveredPartition[]; complete: boolean; totalLag: string; issues: string[]; notes: string[] }
  | { type: 'plan'; sourceGroup: string; targetGroup: string; target: { partition: number; brokerId: number }; blocked: boolean; offsets: PlannedPartition[]; totalLag: string | null; warnings: string[]; planSha256: string }
  | { type: 'approval-request'; subject: string; message: string }
  | { type: 'decision'; approved: boolean; by: string; reason: string }
  | { type: 'seeded'; targetGroup: string; status: string; committed: number; errors: string[] }
  | { type: 'verified'; targetGroup: string; ok: boolean; matched: number; mismatches: number }
  | { type: 'report'; outcome: Outcome; subject: string | null; text: string }
  | { type: 'not-approved'; finalState: string; error: string; cause: string; targetGroup: string; targetOffsets: number; seedInvoked: boolean }
  | { type: 'resume'; group: string; check: ResumeCheck }
  | { type: 'rehearsal-loaded'; groups: number; commits: number; shard: number; brokerId: number; shardRecords: number; shardBytes: number; topics: Array<{ name: string; partitions: number }>; loadMs: number }
  | { type: 'rehearsal-shard-failed'; shard: number; brokerId: number; lambdaTimeoutSeconds: number | null }
  | { type: 'rehearsal-progress'; state: string; invocations: number; continuations: number; elapsedMs: number }
  | { type: 'rehearsal-checked'; groups: number; groupsVerified: number; mismatches: string[] }
  | { type: 'kept'; bootstrapServers: string[]; controlUrl: string | null }
  | { type: 'stopping' };

export interface ApprovalQuestion {
  targetGroup: string;
  planSha256: string;
}

export interface ApprovalAnswer {
  approved: boolean;
  /** who decided, for the audit trail */
  by: string;
  /** why, in a few words: "--yes", "approved at the terminal", "no terminal to ask" */
  reason: string;
}

export interface DemoReporter {
  event(event: DemoEvent): void;
  /** Asked only when the run was not started with --yes. */
  confirm(question: ApprovalQuestion, signal: AbortSignal): Promise<ApprovalAnswer>;
}

/** The machine-readable summary (`--json`) and what runDemo resolves with. */
export interface DemoResult {
  ok: boolean;
  outcome: 'RECOVERED' | 'NOT_APPROVED';
  topic: string;
  group: string;
  failedShard: number;
  failedBroker: number;
  committedOffsets: Record<string, number>;
  verdict: Verdict;
  failedShards: number[];
  targetGroup: string;
  targetShard: number;
  targetBroker: number;
  approved: boolean;
  seeded: boolean | null;
  verified: boolean | null;
  reportOutcome: Outcome | null;
  /** nothing was committed to the target group (the rejected run) */
  nothingWritten: boolean | null;
  resume: ResumeCheck | null;
  bootstrapServers: string[];
  durationMs: number;
}

/** The rehearsal's summary (`--json` with --groups / --commits) and what runRehearsal resolves with. */
export interface RehearsalResult {
  ok: boolean;
  mode: 'rehearsal';
  /** The report's outcome; FAILED when the run ended without a report, NOT_APPROVED when rejected. */
  outcome: Outcome | 'FAILED' | 'NOT_APPROVED';
  /** Why the run failed (the execution's error and cause, the last task that failed), else null. */
  failure: { error: string; cause: string; state: string | null } | null;
  groups: number;
  commits: number;
  lambdaTimeoutSeconds: number | null;
  failedShard: number;
  failedBroker: number;
  /** Groups the report gives as seeded and verified by the runbook's own Verify. */
  groupsRecovered: number;
  /** Target groups whose OffsetFetch equals what the rehearsal committed for their source group. */
  groupsVerified: number;
  /** The first few differences from the committed offsets (empty when every group checks out). */
  mismatches: string[];
  /** Scan invocations that stopped at their deadline and answered CONTINUE. */
  continuations: number;
  /** Lambda invocations in the run. */
  invocations: number;
  /** The largest state input, output or task result of the run, in bytes of JSON, and its state. */
  maxStatePayloadBytes: number;
  maxStatePayloadState: string | null;
  /** Record bytes Fetch served from the failed shard during the run (counted by the cluster). */
  shardBytesRead: number;
  /** The failed shard's size when the run started. */
  shardBytes: number;
  shardRecords: number;
  loadMs: number;
  runbookMs: number;
  durationMs: number;
}
