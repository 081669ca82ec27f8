/**
 * One pass over a shard (a `__consumer_offsets` partition's window) that replays every group at
 * once, or one group, and can stop and continue, or be split into segments scanned apart and
 * merged. What the CLI's `groups`/`offsets` and the scan Lambdas are built on:
 *
 *   scanShard(port, request, options)     -> { status: 'done', shard } | { status: 'continue', checkpoint }
 *   shard.emit(sink)                       -> each group's offsets, metadata summary, topics
 *   planShardSegments(port, p, window, K)  -> K contiguous offset ranges of the window
 *   mergeShardScans(plan, shards)          -> the shard as one pass would have read it
 *   shardCheckpoint(shard) / options.checkpoint: a finished segment, or a stopped scan, as JSON
 */
import { RecoveryError, invalidInput } from '../errors.ts';
import type {
  AffectedGroup,
  AffectedGroupsResult,
  GroupOffsetsResult,
  ScanCheckpoint,
  ScanPosition,
  ScanSegment,
  ScanStats,
  ScanWindow,
  SegmentPlan,
  ShardGroupResult,
} from '../model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../ports.ts';
import type { KafkaPort } from '../ports.ts';
import { mergeReplays, OffsetsLogReplay, replayCheckpoint, restoreReplay } from '../replay/index.ts';
import type { ReplayScope } from '../replay/index.ts';
import { describeOffsetsTopic, requireOffsetsPartition, resolveScanWindow, scanOffsetsPartition } from '../scanner/index.ts';
import type { ScanOptions } from '../scanner/index.ts';
import { groupMetadataSummaryOf, protocolTypeFromGroupRecords, recoveredOffsetsOf, withReplayCounts } from './replay-scan.ts';
import type { RecoveryScanOptions } from './replay-scan.ts';
import { resolveWindow, validateGroupId } from './validate.ts';

/** Shard scans read big logs: fewer, larger Fetches (the scanner's own default is 1 MiB). */
export const SHARD_SCAN_FETCH_BYTES = 8 * 1024 * 1024;

export interface ShardScanRequest {
  partition: number;
  window?: ScanWindow;
  /** Replay one group only (other groups' records are skipped by their key bytes). */
  group?: string;
  /** Scan one segment of a plan (planShardSegments); its result is merged with mergeShardScans. */
  segment?: ScanSegment;
}

export interface ShardScanOptions extends RecoveryScanOptions {
  /** Continue from this checkpoint (of the same request); its counts carry on. */
  checkpoint?: ScanCheckpoint;
  /** Epoch ms: once reached, the scan stops between two Fetches and returns a checkpoint. */
  deadline?: number;
  /** When aborted, the scan stops between two Fetches and returns a checkpoint (e.g. Ctrl-C). */
  stop?: AbortSignal;
}

export type ShardScanOutcome =
  | { status: 'done'; shard: ShardScan }
  | { status: 'continue'; checkpoint: ScanCheckpoint; reason: 'deadline' | 'stopped' };

/** Receives each group of a finished shard scan, sorted by group id (e.g. to write it to S3, or print it). */
export interface ShardResultSink {
  group(result: ShardGroupResult): void | Promise<void>;
}

/** A finished scan of a shard (or of one segment of it). */
export class ShardScan {
  constructor(
    readonly request: Readonly<ShardScanRequest>,
    readonly replay: OffsetsLogReplay,
    /** The scanner's counts over every run (replay counts are added by `scan`). */
    readonly scannerStats: ScanStats,
    readonly position: ScanPosition,
  ) {}

  get partition(): number {
    return this.request.partition;
  }

  get scan(): ScanStats {
    return withReplayCounts(this.scannerStats, this.replay);
  }

  /** Groups with live committed offsets, sorted. */
  groups(): string[] {
    return this.replay.groups();
  }

  groupResult(groupId: string): ShardGroupResult {
    const committed = this.replay.committedOffsets(groupId);
    let lastCommit: bigint | null = null;
    for (const topic of committed) {
      for (const p of topic.partitions) if (lastCommit === null || p.commitTimestamp > lastCommit) lastCommit = p.commitTimestamp;
    }
    const metadata = groupMetadataSummaryOf(this.replay, groupId);
    const group: AffectedGroup = {
      groupId,
      topics: committed.map((t) => t.topic),
      protocolType: metadata?.protocolType || protocolTypeFromGroupRecords(this.replay, groupId),
      state: metadata?.state ?? null,
      subscribedTopics: metadata?.subscribedTopics ?? [],
      lastCommitTimestamp: lastCommit === null ? null : lastCommit.toString(),
    };
    return { offsetsPartition: this.partition, group, offsets: recoveredOffsetsOf(this.replay, groupId), groupMetadata: metadata };
  }

  /** Hands every group to the sink, one at a time (values are decoded per group, here). Returns the count. */
  async emit(sink: ShardResultSink): Promise<number> {
    const groups = this.groups();
    for (const groupId of groups) await sink.group(this.groupResult(groupId));
    return groups.length;
  }

  affectedGroups(): AffectedGroupsResult {
    return { partition: this.partition, groups: this.groups().map((groupId) => this.groupResult(groupId).group), scan: this.scan };
  }

  /** The document readCommittedOffsets returns, for one group of this shard. */
  groupOffsets(groupId: string): GroupOffsetsResult {
    return {
      groupId,
      offsetsPartition: this.partition,
      offsets: recoveredOffsetsOf(this.replay, groupId),
      groupMetadata: groupMetadataSummaryOf(this.replay, groupId),
      scan: this.scan,
    };
  }
}

function validatePartition(partition: unknown): number {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
    throw invalidInput('partition', `expected an integer >= 0, got ${String(partition)}`, `Pass a partition number of ${CONSUMER_OFFSETS_TOPIC}, e.g. 12.`);
  }
  return partition;
}

function scopeOf(request: ShardScanRequest, since: number | undefined): ReplayScope {
  return {
    group: request.group,
    sinceMs: since ?? -Infinity,
    endOffset: request.segment === undefined ? undefined : BigInt(request.segment.toOffset),
  };
}

const RESUME_NOTE = /^resumed at offset \d+$/;

/** Adds one run's scanner counts to the runs before it, so a resumed scan reports what one run would. */
function combineStats(before: ScanStats | undefined, run: ScanStats): ScanStats {
  const notes = [...(before?.notes ?? []), ...(run.notes ?? []).filter((note) => !RESUME_NOTE.test(note))];
  const { resumedFrom: _ignored, unreadRanges: runUnread, ...current } = run;
  const unreadRanges = [...(before?.unreadRanges ?? []), ...(runUnread ?? [])];
  if (before === undefined) return { ...current, notes, ...(unreadRanges.length > 0 ? { unreadRanges } : {}) };
  const skipped = { ...before.skipped };
  for (const [reason, count] of Object.entries(run.skipped)) skipped[reason] = (skipped[reason] ?? 0) + count;
  const sum = (name: 'fetches' | 'retries' | 'metadataRefreshes' | 'logStartResets') => (before[name] ?? 0) + (run[name] ?? 0);
  return {
    ...current,
    startOffset: before.startOffset,
    records: before.records + run.records,
    bytes: before.bytes + run.bytes,
    batches: before.batches + run.batches,
    controlBatches: before.controlBatches + run.controlBatches,
    skipped,
    fetches: sum('fetches'),
    retries: sum('retries'),
    metadataRefreshes: sum('metadataRefreshes'),
    logStartResets: sum('logStartResets'),
    notes,
    // Data deleted unread in an earlier run leaves the whole scan incomplete.
    complete: run.complete && unreadRanges.length === 0,
    ...(unreadRanges.length > 0 ? { unreadRanges } : {}),
  };
}

function sameWindow(a: ScanWindow, b: ScanWindow): boolean {
  return (a.since ?? null) === (b.since ?? null) && (a.fromOffset ?? null) === (b.fromOffset ?? null);
}

function describeSegment(segment: ScanSegment | null): string {
  return segment === null ? 'the whole window' : `segment ${segment.index} [${segment.fromOffset}, ${segment.toOffset})`;
}

/** Refuses a checkpoint written for another partition, window, group or segment, saying which. */
export function requireCheckpointFor(checkpoint: ScanCheckpoint, request: ShardScanRequest, window: ScanWindow): void {
  const fix = 'Use the checkpoint of this same scan, or another checkpoint file to start over.';
  if (checkpoint === null || typeof checkpoint !== 'object' || checkpoint.kind !== 'coordinator-recovery/scan-checkpoint' || checkpoint.version !== 1) {
    throw invalidInput('checkpoint', 'is not a scan checkpoint of this tool (kind coordinator-recovery/scan-checkpoint, version 1)', fix);
  }
  if (checkpoint.partition !== request.partition) {
    throw invalidInput('checkpoint', `was written for ${CONSUMER_OFFSETS_TOPIC}-${checkpoint.partition}, not ${CONSUMER_OFFSETS_TOPIC}-${request.partition}`, fix);
  }
  if (!sameWindow(checkpoint.window ?? {}, window)) {
    throw invalidInput('checkpoint', `was written for the window ${JSON.stringify(checkpoint.window)}, not ${JSON.stringify(window)}`, fix);
  }
  const group = request.group ?? null;
  if (checkpoint.group !== group) {
    throw invalidInput('checkpoint', `was written for ${checkpoint.group === null ? 'all groups' : `group "${checkpoint.group}"`}, not ${group === null ? 'all groups' : `group "${group}"`}`, fix);
  }
  const segment = request.segment ?? null;
  if (JSON.stringify(checkpoint.segment) !== JSON.stringify(segment)) {
    throw invalidInput('checkpoint', `was written for ${describeSegment(checkpoint.segment)}, not ${describeSegment(segment)}`, fix);
  }
}

function checkpointOf(request: ShardScanRequest, window: ScanWindow, replay: OffsetsLogReplay, scan: ScanStats, position: ScanPosition, done: boolean): ScanCheckpoint {
  return {
    kind: 'coordinator-recovery/scan-checkpoint',
    version: 1,
    partition: request.partition,
    window,
    group: request.group ?? null,
    segment: request.segment ?? null,
    position,
    done,
    scan,
    replay: replayCheckpoint(replay),
  };
}

/** A finished scan as a checkpoint (`done: true`): how a segment's result travels to the merge. */
export function shardCheckpoint(shard: ShardScan): ScanCheckpoint {
  const window = shard.request.window ?? {};
  return checkpointOf(shard.request, window, shard.replay, shard.scannerStats, shard.position, true);
}

/** The finished scan a `done` checkpoint holds. */
export function shardFromCheckpoint(checkpoint: ScanCheckpoint, request: ShardScanRequest): ShardScan {
  return finishedShard(checkpoint, request, (since) => scopeOf(request, since));
}

/**
 * The merged scan of `plan` that `shardCheckpoint(mergeShardScans(plan, ...))` stored: a scan of
 * the whole window whose replay ends where the plan's last segment ends.
 */
export function mergedShardFromCheckpoint(checkpoint: ScanCheckpoint, plan: SegmentPlan, group?: string): ShardScan {
  const request: ShardScanRequest = { partition: plan.partition, window: plan.window, ...(group === undefined ? {} : { group }) };
  return finishedShard(checkpoint, request, (since) => ({ ...scopeOf(request, since), endOffset: BigInt(plan.endOffset) }));
}

function finishedShard(checkpoint: ScanCheckpoint, request: ShardScanRequest, scope: (since: number | undefined) => ReplayScope): ShardScan {
  const window = request.window ?? {};
  requireCheckpointFor(checkpoint, request, window);
  if (!checkpoint.done) {
    throw invalidInput('checkpoint.done', 'is false: the scan stopped before the end of its range', 'Continue it with scanShard(..., { checkpoint }) first.');
  }
  const resolved = resolveWindow(window);
  const replay = restoreReplay(checkpoint.replay, scope(resolved.since));
  return new ShardScan(request, replay, checkpoint.scan, checkpoint.position);
}

export async function scanShard(port: KafkaPort, request: ShardScanRequest, options: ShardScanOptions = {}): Promise<ShardScanOutcome> {
  const partition = validatePartition(request.partition);
  if (request.group !== undefined) validateGroupId(request.group, 'group');
  const window: ScanWindow = request.window ?? {};
  const resolved = resolveWindow(window);
  const { checkpoint, deadline, stop, ...recoveryOptions } = options;
  if (checkpoint !== undefined) {
    requireCheckpointFor(checkpoint, request, window);
    if (checkpoint.done) {
      return { status: 'done', shard: shardFromCheckpoint(checkpoint, request) };
    }
  }
  const scope = scopeOf(request, resolved.since);

  const scanOptions: ScanOptions = { maxBytesPerFetch: SHARD_SCAN_FETCH_BYTES, ...recoveryOptions, partition };
  if (request.segment !== undefined) {
    scanOptions.fromOffset = BigInt(request.segment.fromOffset);
    scanOptions.untilOffset = BigInt(request.segment.toOffset);
  } else {
    if (resolved.since !== undefined) scanOptions.since = resolved.since;
    if (resolved.fromOffset !== undefined) scanOptions.fromOffset = resolved.fromOffset;
  }
  let replay: OffsetsLogReplay | undefined;
  if (checkpoint !== undefined) {
    scanOptions.resumeFrom = checkpoint.position;
    replay = restoreReplay(checkpoint.replay, scope);
    // The scanner resumes at the position; the replay is there too (frames it skipped included).
    replay.state.position = BigInt(checkpoint.position.nextOffset);
  }

  // One signal for the scanner; which source fired decides between a checkpoint and an error.
  const halt = new AbortController();
  let stopReason: 'deadline' | 'stopped' | null = null;
  const haltFor = (reason: 'stopped') => {
    stopReason ??= reason;
    // Not a RecoveryError: the scanner then stops with its position, which the checkpoint needs.
    halt.abort(new Error(`scan stopped (${reason})`));
  };
  const onStop = () => haltFor('stopped');
  const onCancel = () => halt.abort(recoveryOptions.signal?.reason);
  if (stop?.aborted) onStop();
  stop?.addEventListener('abort', onStop, { once: true });
  if (recoveryOptions.signal?.aborted) onCancel();
  recoveryOptions.signal?.addEventListener('abort', onCancel, { once: true });
  if (deadline !== undefined) {
    if (!Number.isFinite(deadline)) throw invalidInput('deadline', `expected epoch milliseconds, got ${String(deadline)}`, 'Pass e.g. Date.now() + 60_000.');
    scanOptions.deadline = deadline;
  }
  scanOptions.signal = halt.signal;

  const sink = {
    begin(range: { next: bigint }): void {
      replay ??= new OffsetsLogReplay({
        ...(scope.group === undefined ? {} : { group: scope.group }),
        ...(resolved.since === undefined ? {} : { since: resolved.since }),
        ...(scope.endOffset === undefined ? {} : { endOffset: scope.endOffset }),
        startOffset: range.next,
      });
    },
    apply(...args: Parameters<OffsetsLogReplay['apply']>): void {
      replay!.apply(...args);
    },
  };
  try {
    const run = await scanOffsetsPartition(port, scanOptions, sink);
    const stats = combineStats(checkpoint?.scan, run);
    const position: ScanPosition = { partition, startOffset: stats.startOffset, nextOffset: run.nextOffset, endOffset: run.endOffset };
    const finished = replay ?? new OffsetsLogReplay(scope.group === undefined ? {} : { group: scope.group });
    return { status: 'done', shard: new ShardScan({ ...request, window }, finished, stats, position) };
  } catch (error) {
    if (error instanceof RecoveryError && error.details['deadlinePassed'] === true) stopReason ??= 'deadline';
    const stoppedAt = positionOf(error);
    if (stoppedAt === null || replay === undefined) {
      if (stopReason !== null && checkpoint !== undefined) return { status: 'continue', checkpoint, reason: stopReason };
      throw error;
    }
    const run = (error as RecoveryError).details['stats'] as ScanStats;
    const stats = combineStats(checkpoint?.scan, run);
    const position: ScanPosition = { ...stoppedAt, startOffset: stats.startOffset };
    const saved = checkpointOf(request, window, replay, stats, position, false);
    if (stopReason !== null) return { status: 'continue', checkpoint: saved, reason: stopReason };
    throw withCheckpoint(error as RecoveryError, saved);
  } finally {
    stop?.removeEventListener('abort', onStop);
    recoveryOptions.signal?.removeEventListener('abort', onCancel);
  }
}

function positionOf(error: unknown): ScanPosition | null {
  if (!(error instanceof RecoveryError) || error.code !== 'SCAN_INTERRUPTED') return null;
  const position = error.details['position'];
  return position !== undefined && error.details['stats'] !== undefined ? (position as ScanPosition) : null;
}

/** A failed scan still leaves its progress: resume with options.checkpoint = error.details.checkpoint. */
function withCheckpoint(error: RecoveryError, checkpoint: ScanCheckpoint): RecoveryError {
  const reason = typeof error.details['reason'] === 'string' ? error.details['reason'] : error.message;
  return new RecoveryError(
    error.code,
    `Scan of ${CONSUMER_OFFSETS_TOPIC}-${checkpoint.partition} stopped at offset ${checkpoint.position.nextOffset} of ${checkpoint.position.endOffset}: ${reason}. ` +
      'Nothing was written; continue with the checkpoint in the error details once the cluster answers.',
    { details: { ...error.details, checkpoint }, retryable: error.retryable, cause: error },
  );
}

/**
 * Splits the window of a shard into up to `count` contiguous offset ranges of equal length (the
 * log end is captured now, as a single scan would). Fewer segments when the window is shorter.
 */
export async function planShardSegments(port: KafkaPort, partition: number, window: ScanWindow = {}, count: number): Promise<SegmentPlan> {
  validatePartition(partition);
  if (!Number.isInteger(count) || count < 1 || count > 1024) {
    throw invalidInput('segments', `expected a whole number from 1 to 1024, got ${String(count)}`, 'Pass e.g. 4 (about one per core or Lambda you can spare).');
  }
  const resolved = resolveWindow(window);
  requireOffsetsPartition(await describeOffsetsTopic(port), partition);
  const range = await resolveScanWindow(port, partition, resolved);
  const span = range.end - range.start;
  const pieces = span <= 0n ? 1n : span < BigInt(count) ? span : BigInt(count);
  const segments: ScanSegment[] = [];
  for (let i = 0n; i < pieces; i++) {
    const from = range.start + (span * i) / pieces;
    const to = range.start + (span * (i + 1n)) / pieces;
    segments.push({ index: Number(i), fromOffset: from.toString(), toOffset: to.toString() });
  }
  return { partition, window, startOffset: range.start.toString(), endOffset: range.end.toString(), segments };
}

/** The segments' scans (in plan order) joined into the scan of the whole window. */
export function mergeShardScans(plan: SegmentPlan, shards: readonly ShardScan[]): ShardScan {
  if (shards.length !== plan.segments.length) {
    throw invalidInput('shards', `has ${shards.length} segment result(s), the plan ${plan.segments.length}`, 'Pass one finished scan per segment, in plan order.');
  }
  shards.forEach((shard, i) => {
    const expected = plan.segments[i]!;
    if (shard.partition !== plan.partition || shard.request.segment?.fromOffset !== expected.fromOffset || shard.request.segment?.toOffset !== expected.toOffset) {
      throw invalidInput(`shards[${i}]`, `is not the scan of segment ${expected.index} [${expected.fromOffset}, ${expected.toOffset}) of ${CONSUMER_OFFSETS_TOPIC}-${plan.partition}`, 'Pass one finished scan per segment, in plan order.');
    }
  });
  const replay = mergeReplays(shards.map((shard) => shard.replay));
  const stats = shards.map((shard) => shard.scannerStats).reduce((before, run) => combineStats(before, run));
  const first = shards[0]!;
  const group = first.request.group;
  const request: ShardScanRequest = { partition: plan.partition, window: plan.window, ...(group === undefined ? {} : { group }) };
  const complete = shards.every((shard) => shard.scannerStats.complete);
  const position: ScanPosition = { partition: plan.partition, startOffset: plan.startOffset, nextOffset: stats.nextOffset, endOffset: plan.endOffset };
  return new ShardScan(request, replay, { ...stats, startOffset: plan.startOffset, endOffset: plan.endOffset, complete }, position);
}

/** Scans every segment of the plan at once (concurrent Fetches on the port) and merges them. */
export async function scanShardInSegments(
  port: KafkaPort,
  plan: SegmentPlan,
  group: string | undefined,
  options: RecoveryScanOptions = {},
): Promise<ShardScan> {
  const shards = await Promise.all(
    plan.segments.map(async (segment) => {
      const outcome = await scanShard(port, { partition: plan.partition, window: plan.window, ...(group === undefined ? {} : { group }), segment }, options);
      // Without a deadline or stop signal a scan only ends done (or throws).
      return (outcome as { shard: ShardScan }).shard;
    }),
  );
  return mergeShardScans(plan, shards);
}
