/**
 * BlastRadius: one pass over a failed shard's window replays every group at once and stores
 * each group's recovered offsets in the artifacts bucket, where ReadOffsets reads them. The
 * state machine runs it in three phases per shard:
 *   plan   splits the window into segments by size and writes them for the Distributed Map;
 *   scan   (no phase) scans one segment (or, without `segment`, the whole window); near the
 *          Lambda deadline it stores its checkpoint and returns CONTINUE, and the state machine
 *          invokes it again with that output; a finished segment's scan waits in the bucket;
 *   merge  joins the segment scans into the shard's exactly and stores every group; when storing
 *          the groups reaches the deadline it stores the merged scan and returns CONTINUE, and
 *          the next invocation stores the rest from there (no segment read or merged again).
 */
import type { KafkaPort } from '../core/ports.ts';
import { RecoveryError } from '../core/errors.ts';
import type { ScanCheckpoint, ScanSegment, SegmentPlan } from '../core/model.ts';
import type {
  BlastRadiusContinue,
  BlastRadiusInput,
  BlastRadiusOutput,
  BlastRadiusSegmentDone,
  BlastRadiusStepOutput,
  FailedShard,
  MergeSegmentsContinue,
  MergeSegmentsInput,
  PlanSegmentsInput,
  RecoveryRequest,
  ShardSegmentsPlan,
} from '../core/workflow/documents.ts';
import { blastRadiusPhaseOf, parseBlastRadiusInput, parseMergeSegmentsInput, parsePlanSegmentsInput } from '../core/workflow/step-inputs.ts';
import { mergedShardFromCheckpoint, mergeShardScans, planShardSegmentsBySize, scanShard, shardCheckpoint, shardFromCheckpoint, shardGroupOffsets, type ShardScan } from '../core/operations/index.ts';
import { artifactKey, getJson, putJson, shardGroupResultKey, shardGroupResultsPrefix, shardScanPrefix, type ArtifactStore } from '../aws/artifacts.ts';
import { readMapRunResults } from '../aws/map-run-results.ts';
import { ENV, optionalEnv } from './env.ts';
import { artifactStore, defineStep, scanDeadlineAt, withKafka, type HandlerDeps } from './runtime.ts';
import { recordShardScan } from './step-metrics.ts';
import type { Context } from 'aws-lambda';

/** Parallel PutObjects while storing the groups: enough to hide S3 latency, few enough for one Lambda. */
const GROUP_WRITE_CONCURRENCY = 16;

/** Bytes of a shard one segment scan reads when SEGMENT_BYTES is unset: a few minutes of one Lambda. */
export const DEFAULT_SEGMENT_BYTES = 256 * 1024 * 1024;

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<BlastRadiusStepOutput>('blast-radius', overrides, async (event, deps, context) => {
    switch (blastRadiusPhaseOf(event)) {
      case 'plan':
        return planSegments(parsePlanSegmentsInput(event), deps);
      case 'merge':
        return mergeSegments(parseMergeSegmentsInput(event), deps, context);
      case 'scan':
        return scan(parseBlastRadiusInput(event), deps, context);
    }
  });
}

function segmentsPrefix(request: RecoveryRequest, shard: FailedShard): string {
  return `${shardScanPrefix(request.executionArn, shard.partition)}segments/`;
}

function segmentBytes(deps: HandlerDeps): number {
  const configured = optionalEnv(ENV.SEGMENT_BYTES, deps.env);
  if (configured === undefined) return DEFAULT_SEGMENT_BYTES;
  const bytes = Number(configured);
  if (!Number.isInteger(bytes) || bytes < 1) {
    throw new RecoveryError('CONFIGURATION', `${ENV.SEGMENT_BYTES} must be a whole number of bytes, got ${JSON.stringify(configured)}`, {
      details: { variable: ENV.SEGMENT_BYTES, fix: 'Set recovery:segmentBytes (cdk.json) to e.g. 268435456 and deploy again.' },
    });
  }
  return bytes;
}

async function planSegments({ request, shard }: PlanSegmentsInput, deps: HandlerDeps): Promise<ShardSegmentsPlan> {
  const store = artifactStore(deps);
  const prefix = segmentsPrefix(request, shard);
  const target = segmentBytes(deps);
  const { plan, estimatedBytes } = await withKafka(deps, request, (port) => planShardSegmentsBySize(port, shard.partition, { since: request.window.since }, target));
  const planRef = await putJson(store, `${prefix}plan.json`, plan);
  const items = await putJson(store, `${prefix}items.json`, plan.segments);
  deps.logger.info('shard split into segments', { partition: shard.partition, segments: plan.segments.length, estimatedBytes, segmentBytes: target, startOffset: plan.startOffset, endOffset: plan.endOffset });
  return {
    status: 'PLANNED',
    partition: shard.partition,
    brokerId: shard.brokerId,
    segments: plan.segments.length,
    estimatedBytes,
    plan: planRef,
    items: { bucket: items.bucket, key: items.key },
    results: { bucket: store.bucket, prefix: `${prefix}results` },
  };
}

async function scan({ request, shard, segment, scan: progress }: BlastRadiusInput, deps: HandlerDeps, context: Context | undefined): Promise<BlastRadiusStepOutput> {
  const store = artifactStore(deps);
  const prefix = segment === undefined ? shardScanPrefix(request.executionArn, shard.partition) : `${segmentsPrefix(request, shard)}${segment.index}/`;
  const checkpoint = progress?.checkpoint ? await getJson<ScanCheckpoint>(store.s3, progress.checkpoint) : undefined;
  const continuations = progress?.continuations ?? 0;
  const deadline = scanDeadlineAt(deps, context);
  const scanStarted = Date.now();
  const outcome = await withKafka(deps, request, async (port) => {
    const scanned = await scanShard(port, { partition: shard.partition, window: { since: request.window.since }, ...(segment === undefined ? {} : { segment }) }, {
      ...(checkpoint ? { checkpoint } : {}),
      ...(deadline === undefined ? {} : { deadline }),
    });
    // A whole-window scan stores its groups here; a segment's groups wait for the merge.
    return scanned.status === 'done' && segment === undefined ? { ...scanned, stored: await storeShard(port, store, deps, request, shard, scanned.shard, continuations) } : scanned;
  });

  // The scan's counts run over every invocation so far; this invocation's share is the difference.
  const recordsSoFar = outcome.status === 'continue' ? outcome.checkpoint.scan.records : outcome.shard.scannerStats.records;
  recordShardScan(deps.metrics, { records: recordsSoFar - (checkpoint?.scan.records ?? 0), seconds: (Date.now() - scanStarted) / 1000 });

  if (outcome.status === 'continue') {
    const ref = await putJson(store, `${prefix}checkpoint.json`, outcome.checkpoint);
    const position = outcome.checkpoint.position;
    deps.logger.info('shard scan continues in the next invocation', { partition: shard.partition, segment: segment?.index, nextOffset: position.nextOffset, endOffset: position.endOffset, continuations: continuations + 1 });
    const next: BlastRadiusContinue = {
      status: 'CONTINUE',
      partition: shard.partition,
      brokerId: shard.brokerId,
      ...(segment === undefined ? {} : { segment }),
      continuations: continuations + 1,
      checkpoint: ref,
      nextOffset: position.nextOffset,
      endOffset: position.endOffset,
    };
    return next;
  }
  if ('stored' in outcome) return outcome.stored;
  return storeSegment(store, shard, segment!, outcome.shard, continuations, prefix, deps);
}

async function storeSegment(store: ArtifactStore, shard: FailedShard, segment: ScanSegment, scanned: ShardScan, continuations: number, prefix: string, deps: HandlerDeps): Promise<BlastRadiusSegmentDone> {
  const stats = scanned.scan;
  deps.logger.info('segment scanned', { partition: shard.partition, segment: segment.index, bytes: stats.bytes, records: stats.records, continuations });
  return {
    status: 'SEGMENT_DONE',
    partition: shard.partition,
    brokerId: shard.brokerId,
    segment,
    continuations,
    bytesRead: stats.bytes,
    records: stats.records,
    scan: await putJson(store, `${prefix}scan.json`, shardCheckpoint(scanned)),
  };
}

async function mergeSegments({ request, shard, segments, results, merge: progress }: MergeSegmentsInput, deps: HandlerDeps, context: Context | undefined): Promise<BlastRadiusOutput | MergeSegmentsContinue> {
  const store = artifactStore(deps);
  const plan = await getJson<SegmentPlan>(store.s3, segments.plan);
  const deadline = scanDeadlineAt(deps, context);
  const resumed = progress?.merged ? { ...progress, merged: progress.merged } : undefined;
  const { merged, continuations } = resumed
    ? { merged: mergedShardFromCheckpoint(await getJson<ScanCheckpoint>(store.s3, resumed.merged), plan), continuations: resumed.continuations }
    : await mergeSegmentScans(store, plan, shard, results);
  const from = resumed?.groupsStored ?? 0;
  return withKafka(deps, request, async (port) => {
    const groups = groupsToStore(shard, merged);
    const stored = await storeGroups(port, store, request, shard, merged, groups, from, deadline);
    if (stored < groups.length) {
      // Past the deadline: the merged scan waits in the bucket for the invocation that stores the rest.
      const ref = resumed?.merged ?? (await putJson(store, `${segmentsPrefix(request, shard)}merged.json`, shardCheckpoint(merged)));
      deps.logger.info('storing the groups continues in the next invocation', { partition: shard.partition, groupsStored: stored, groups: groups.length, continuations: continuations + 1 });
      return { status: 'CONTINUE', partition: shard.partition, brokerId: shard.brokerId, continuations: continuations + 1, merged: ref, groupsStored: stored, groups: groups.length };
    }
    return summarizeShard(store, deps, request, shard, merged, continuations, plan.segments.length);
  });
}

/** The finished segment scans of the map run, merged exactly into the shard's; their continuations summed. */
async function mergeSegmentScans(store: ArtifactStore, plan: SegmentPlan, shard: FailedShard, results: MergeSegmentsInput['results']): Promise<{ merged: ShardScan; continuations: number }> {
  const run = await readMapRunResults<BlastRadiusSegmentDone>(store.s3, results.ResultWriterDetails);
  if (run.unfinished.length > 0) {
    const first = run.unfinished[0]!;
    throw new RecoveryError('SCAN_INTERRUPTED', `${run.unfinished.length} segment scan(s) of map run ${run.mapRunArn} did not finish (first: ${first.Error ?? first.Status}: ${first.Cause ?? ''}); the shard cannot be merged`, {
      details: { mapRunArn: run.mapRunArn, partition: shard.partition },
    });
  }
  const done = [...run.succeeded].sort((a, b) => a.segment.index - b.segment.index);
  if (done.length !== plan.segments.length) {
    throw new RecoveryError('CORRUPT_DATA', `map run ${run.mapRunArn} returned ${done.length} segment scan(s) for a plan of ${plan.segments.length}`, { details: { mapRunArn: run.mapRunArn, partition: shard.partition } });
  }
  const shards = await Promise.all(
    done.map(async (segment) => shardFromCheckpoint(await getJson<ScanCheckpoint>(store.s3, segment.scan), { partition: plan.partition, window: plan.window, segment: segment.segment })),
  );
  return { merged: mergeShardScans(plan, shards), continuations: done.reduce((sum, segment) => sum + segment.continuations, 0) };
}

/** The groups whose offsets are stored, in storing order. A requested group without commits gets its (empty) result too: ReadOffsets reports it MISSING, as a scan would. */
function groupsToStore(shard: FailedShard, scanned: ShardScan): string[] {
  return shard.groups === null ? scanned.groups() : [...shard.groups].sort();
}

/** Under the run's group-results prefix, which holds nothing else: ReadOffsets lists it for its items. */
function groupResultsPrefix(request: RecoveryRequest, shard: FailedShard): string {
  return shardGroupResultsPrefix(request.executionArn, shard.partition);
}

/**
 * Stores `groups[from..]` one document each, GROUP_WRITE_CONCURRENCY at a time, and answers how
 * many of `groups` are stored. Past `deadline` it stops between chunks; one chunk at least is
 * stored, so every invocation makes progress.
 */
async function storeGroups(port: KafkaPort, store: ArtifactStore, request: RecoveryRequest, shard: FailedShard, scanned: ShardScan, groups: readonly string[], from: number, deadline?: number): Promise<number> {
  const prefix = groupResultsPrefix(request, shard);
  let stored = from;
  for (let chunk = 0; stored < groups.length; chunk++) {
    if (chunk > 0 && deadline !== undefined && Date.now() >= deadline) break;
    const batch = groups.slice(stored, stored + GROUP_WRITE_CONCURRENCY);
    await Promise.all(batch.map(async (groupId) => putJson(store, shardGroupResultKey(prefix, groupId), await shardGroupOffsets(port, scanned, groupId))));
    stored += batch.length;
  }
  return stored;
}

/** Every group to recover to the bucket (one document each) and the shard's summary: what ReadOffsets and PlanTarget use. */
async function storeShard(port: KafkaPort, store: ArtifactStore, deps: HandlerDeps, request: RecoveryRequest, shard: FailedShard, scanned: ShardScan, continuations: number): Promise<BlastRadiusOutput> {
  await storeGroups(port, store, request, shard, scanned, groupsToStore(shard, scanned), 0);
  return summarizeShard(store, deps, request, shard, scanned, continuations);
}

/** The shard's summary, once every group is stored. */
async function summarizeShard(store: ArtifactStore, deps: HandlerDeps, request: RecoveryRequest, shard: FailedShard, scanned: ShardScan, continuations: number, segments?: number): Promise<BlastRadiusOutput> {
  const groupResults = groupResultsPrefix(request, shard);
  const result = scanned.affectedGroups();
  const all = result.groups.map((g) => g.groupId);
  const groupsToRecover = shard.groups === null ? all : [...shard.groups].sort();
  const missing = groupsToRecover.filter((g) => !all.includes(g));
  if (missing.length > 0) deps.logger.warn('requested groups have no commits on the shard in the window', { partition: shard.partition, missing });
  const topics = [...new Set(result.groups.flatMap((g) => [...g.topics, ...g.subscribedTopics]))].sort();
  deps.logger.info('shard scanned', { partition: shard.partition, groups: all.length, stored: groupsToRecover.length, bytes: result.scan.bytes, records: result.scan.records, continuations, segments });
  return {
    status: 'DONE',
    partition: shard.partition,
    brokerId: shard.brokerId,
    continuations,
    ...(segments === undefined ? {} : { segments }),
    bytesRead: result.scan.bytes,
    records: result.scan.records,
    // Counts only: the lists are in `detail` and under `groupResults`.
    groupCount: groupsToRecover.length,
    affectedGroupCount: all.length,
    topicCount: topics.length,
    // Always by reference: the Map gathers every shard's output into one state.
    detail: { artifact: await putJson(store, artifactKey(request.executionArn, `blast-radius/partition-${shard.partition}.json`), result) },
    groupResults,
  };
}

export const handler = createHandler();
