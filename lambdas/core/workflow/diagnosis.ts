/**
 * The diagnosis verdict: the broker logs say which coordinator shards failed to load, the live
 * check says which still refuse group calls now. A log line alone can be stale (the shard may
 * have reloaded since), and a NOT_COORDINATOR alone can be a leader move in flight, so the
 * live check is repeated after a metadata refresh before a shard counts as failed.
 */
import { describeGroupOrAbsent } from './group-calls.ts';
import { kafkaErrorName, isRecoveryError } from '../errors.ts';
import type { KafkaPort } from '../ports.ts';
import type { Evidence, FailedShard, LiveCheck, LogFinding, LostOffsetsGroup, RecoveryRequest, Verdict } from './documents.ts';
import { describeLostOffsets, findOffsetsLostOnLoad } from './lost-offsets.ts';
import { brokerAddress, partitionsLedBy, probeGroupFor, readCoordinatorLayout, shardOf, type CoordinatorLayout } from './cluster-layout.ts';

const GROUP_CALL_ERRORS: ReadonlySet<string> = new Set(['NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE']);

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** FindCoordinator, then DescribeGroups on that coordinator: read-only, joins nothing. */
export async function checkGroupLive(port: KafkaPort, layout: CoordinatorLayout, groupId: string): Promise<LiveCheck> {
  const { partition } = shardOf(layout, groupId);
  const check: LiveCheck = {
    groupId,
    partition,
    coordinator: null,
    findCoordinatorError: null,
    groupCall: 'OK',
    groupCallError: null,
    groupState: null,
    members: null,
  };
  try {
    const coordinator = await port.findCoordinator(groupId);
    check.coordinator = { brokerId: coordinator.nodeId, host: `${coordinator.host}:${coordinator.port}` };
  } catch (error) {
    check.findCoordinatorError = errorText(error);
    check.groupCall = 'OTHER_ERROR';
    return check;
  }
  try {
    const description = await describeGroupOrAbsent(port, groupId);
    check.groupState = description.state;
    check.members = description.members.length;
  } catch (error) {
    const name = kafkaErrorName(error);
    check.groupCall = name !== undefined && GROUP_CALL_ERRORS.has(name) ? (name as LiveCheck['groupCall']) : 'OTHER_ERROR';
    check.groupCallError = isRecoveryError(error) ? `${name ?? error.code}: ${error.message}` : errorText(error);
  }
  return check;
}

export interface ConfirmOptions {
  /** Pause before the second check, giving a leader move time to finish (default 1000 ms). */
  confirmDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface DiagnoseOptions extends ConfirmOptions {
  /** Probe every __consumer_offsets partition, not only those the groups and logs point at. */
  allShards?: boolean;
}

/** Concurrent probes of a shard sweep: enough to finish 50-200 shards in seconds, few enough to stay polite. */
const SWEEP_CONCURRENCY = 8;

/**
 * Every shard once, concurrently; then, after one pause and a metadata refresh, the ones that
 * refused again. One shared pause keeps a sweep of many failed shards to seconds.
 */
export async function sweepShards(port: KafkaPort, layout: CoordinatorLayout, partitions: number[], options: ConfirmOptions = {}): Promise<LiveCheck[]> {
  const probe = (partition: number): Promise<LiveCheck> => checkGroupLive(port, layout, probeGroupFor(partition, layout.partitionCount));
  const first = await mapConcurrently(partitions, SWEEP_CONCURRENCY, probe);
  const refused = first.filter((c) => c.groupCall !== 'OK').map((c) => c.partition);
  if (refused.length === 0) return first;
  const delay = options.confirmDelayMs ?? 1000;
  if (delay > 0) await (options.sleep ?? defaultSleep)(delay);
  await port.refreshMetadata();
  const fresh = await readCoordinatorLayout(port);
  const second = new Map((await mapConcurrently(refused, SWEEP_CONCURRENCY, (p) => checkGroupLive(port, fresh, probeGroupFor(p, fresh.partitionCount)))).map((c) => [c.partition, c]));
  return first.map((c) => second.get(c.partition) ?? c);
}

async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Checks twice, with a pause and a metadata refresh in between; the second answer wins. */
export async function confirmGroupLive(port: KafkaPort, layout: CoordinatorLayout, groupId: string, options: ConfirmOptions = {}): Promise<LiveCheck> {
  const first = await checkGroupLive(port, layout, groupId);
  if (first.groupCall === 'OK') return first;
  const delay = options.confirmDelayMs ?? 1000;
  if (delay > 0) await (options.sleep ?? defaultSleep)(delay);
  await port.refreshMetadata();
  return checkGroupLive(port, layout, groupId);
}

export interface DiagnosisParts {
  verdict: Verdict;
  evidence: Evidence[];
  liveChecks: LiveCheck[];
  failingBrokers: number[];
  failedShards: number[];
  shards: FailedShard[];
  groups: string[];
  offsetsPartitionCount: number;
  /** groups on shards that failed to load but serve (3.x), answering less than the raw log holds */
  lostOffsets: LostOffsetsGroup[];
}

/**
 * Live checks for: every requested group, one probe per shard the logs name (when no requested
 * group covers it), then a probe of every other shard led by a broker found failing (one
 * failure on a broker often comes with more).
 */
export async function diagnoseCoordinators(port: KafkaPort, request: RecoveryRequest, findings: LogFinding[], options: DiagnoseOptions = {}): Promise<DiagnosisParts> {
  const layout = await readCoordinatorLayout(port);
  const evidence: Evidence[] = [];
  const checksByPartition = new Map<number, LiveCheck[]>();
  const liveChecks: LiveCheck[] = [];
  const record = (check: LiveCheck): void => {
    liveChecks.push(check);
    checksByPartition.set(check.partition, [...(checksByPartition.get(check.partition) ?? []), check]);
  };

  for (const groupId of request.groups) record(await confirmGroupLive(port, layout, groupId, options));
  const loggedPartitions = [...new Set(findings.map((f) => f.partition))].filter((p) => p < layout.partitionCount).sort((a, b) => a - b);
  for (const partition of loggedPartitions) {
    if (!checksByPartition.has(partition)) record(await confirmGroupLive(port, layout, probeGroupFor(partition, layout.partitionCount), options));
  }
  if (options.allShards === true) {
    const unchecked = [...Array(layout.partitionCount).keys()].filter((p) => !checksByPartition.has(p));
    for (const check of await sweepShards(port, layout, unchecked, options)) record(check);
  }
  const failedNow = (partition: number): boolean => (checksByPartition.get(partition) ?? []).some((c) => c.groupCall === 'NOT_COORDINATOR');
  const failingBrokers = new Set<number>();
  for (const partition of checksByPartition.keys()) {
    const leader = layout.leaders.get(partition) ?? -1;
    if (failedNow(partition) && leader >= 0) failingBrokers.add(leader);
  }
  for (const brokerId of [...failingBrokers]) {
    for (const partition of partitionsLedBy(layout, brokerId)) {
      if (!checksByPartition.has(partition)) record(await confirmGroupLive(port, layout, probeGroupFor(partition, layout.partitionCount), options));
    }
  }

  for (const finding of findings) {
    evidence.push({
      kind: 'LOG',
      message: `${finding.phrase} for __consumer_offsets-${finding.partition} on broker ${finding.brokerId ?? '?'}: ${finding.count} line(s) between ${finding.firstSeen} and ${finding.lastSeen}${finding.epoch !== null ? `, epoch ${finding.epoch}` : ''}`,
      partition: finding.partition,
      brokerId: finding.brokerId,
    });
    if (finding.partition >= layout.partitionCount) {
      evidence.push({
        kind: 'METADATA',
        message: `The logs name __consumer_offsets-${finding.partition}, but the topic has ${layout.partitionCount} partitions; ignored`,
        partition: finding.partition,
        brokerId: finding.brokerId,
      });
    }
  }
  for (const check of liveChecks) {
    const who = check.groupId.startsWith('coordinator-recovery-probe-') ? `probe group ${check.groupId}` : `group ${check.groupId}`;
    const where = check.coordinator ? `broker ${check.coordinator.brokerId} (${check.coordinator.host})` : 'no coordinator';
    const outcome = check.findCoordinatorError
      ? `FindCoordinator failed: ${check.findCoordinatorError}`
      : check.groupCall === 'OK'
        ? `DescribeGroups answered (state ${check.groupState}, ${check.members} member(s))`
        : `DescribeGroups failed with ${check.groupCall}${check.groupCallError ? ` (${check.groupCallError})` : ''}`;
    evidence.push({ kind: 'LIVE', message: `${who} -> __consumer_offsets-${check.partition} on ${where}: ${outcome}`, partition: check.partition, brokerId: check.coordinator?.brokerId ?? null });
  }

  const notCoordinatorShards = [...checksByPartition.keys()].filter(failedNow).sort((a, b) => a - b);
  const servedAfterFailedLoad: number[] = [];
  for (const partition of loggedPartitions) {
    const checks = checksByPartition.get(partition) ?? [];
    if (checks.length > 0 && checks.every((c) => c.groupCall === 'OK')) {
      evidence.push({
        kind: 'LIVE',
        message: `__consumer_offsets-${partition} failed to load according to the logs but answers group calls now (reloaded or moved to ${brokerAddress(layout, layout.leaders.get(partition) ?? -1)})`,
        partition,
        brokerId: layout.leaders.get(partition) ?? null,
      });
      servedAfterFailedLoad.push(partition);
    }
  }

  // The classic coordinator (3.x) serves a partition it failed to load, with nothing loaded:
  // the groups' offsets are only in the raw log now.
  const lostOffsets: LostOffsetsGroup[] = [];
  const classicFailures = new Set(findings.filter((f) => f.phrase === 'ERROR_LOADING_OFFSETS').map((f) => f.partition));
  for (const partition of servedAfterFailedLoad.filter((p) => classicFailures.has(p))) {
    const requested = request.groups.filter((g) => shardOf(layout, g).partition === partition);
    const search = await findOffsetsLostOnLoad(port, partition, request.window.since, request.groups.length > 0 ? requested : null);
    lostOffsets.push(...search.groups);
    for (const group of search.groups) evidence.push({ kind: 'LIVE', message: describeLostOffsets(group), partition, brokerId: layout.leaders.get(partition) ?? null });
    for (const missed of search.unanswered) {
      evidence.push({ kind: 'LIVE', message: `Group ${missed.groupId} on __consumer_offsets-${partition}: OffsetFetch failed (${missed.error}); not compared with the log`, partition, brokerId: layout.leaders.get(partition) ?? null });
    }
    if (search.groups.length === 0) {
      evidence.push({ kind: 'LIVE', message: `__consumer_offsets-${partition}: the coordinator answers every one of ${search.compared} group(s) with the offsets the log holds; nothing was lost on load`, partition, brokerId: layout.leaders.get(partition) ?? null });
    }
  }
  const lostPartitions = [...new Set(lostOffsets.map((g) => g.partition))].sort((a, b) => a - b);
  // Both kinds are "failed" for planning: a target on a lost partition would lose its offsets again on the next load.
  const failedShards = [...new Set([...notCoordinatorShards, ...lostPartitions])].sort((a, b) => a - b);

  const unresolved = liveChecks.some((c) => c.groupCall !== 'OK' && c.groupCall !== 'NOT_COORDINATOR');
  let verdict: Verdict;
  if (notCoordinatorShards.length > 0) verdict = 'COORDINATOR_FAILED';
  else if (lostOffsets.length > 0) verdict = 'OFFSETS_LOST_ON_LOAD';
  else if (unresolved) verdict = 'INCONCLUSIVE';
  else verdict = 'HEALTHY';
  if (verdict === 'HEALTHY' && findings.length === 0 && liveChecks.length === 0) {
    evidence.push({ kind: 'LOG', message: 'No coordinator load failures in the broker logs for the window, and no groups were named to check', partition: null, brokerId: null });
  }

  const requestedOn = (partition: number): string[] => request.groups.filter((g) => shardOf(layout, g).partition === partition);
  for (const groupId of request.groups) {
    const { partition } = shardOf(layout, groupId);
    if (failedShards.includes(partition) && !notCoordinatorShards.includes(partition) && !lostOffsets.some((g) => g.groupId === groupId)) {
      evidence.push({
        kind: 'LIVE',
        message: `Group ${groupId} is not recovered: its coordinator answers the offsets the log holds on __consumer_offsets-${partition}`,
        partition,
        brokerId: layout.leaders.get(partition) ?? null,
      });
    } else if (!failedShards.includes(partition)) {
      evidence.push({
        kind: 'LIVE',
        message: `Group ${groupId} is not recovered: its coordinator shard __consumer_offsets-${partition} is not failed`,
        partition,
        brokerId: layout.leaders.get(partition) ?? null,
      });
    }
  }
  const lostOn = (partition: number): string[] => lostOffsets.filter((g) => g.partition === partition).map((g) => g.groupId).sort();
  const shards: FailedShard[] = failedShards
    .map((partition) => ({
      partition,
      brokerId: layout.leaders.get(partition) ?? -1,
      groups: notCoordinatorShards.includes(partition) ? (request.groups.length > 0 ? requestedOn(partition) : null) : lostOn(partition),
    }))
    .filter((shard) => shard.groups === null || shard.groups.length > 0);
  const groups = shards.flatMap((shard) => shard.groups ?? []).sort();

  return {
    verdict,
    evidence,
    liveChecks,
    failingBrokers: [...failingBrokers].sort((a, b) => a - b),
    failedShards,
    shards,
    groups,
    offsetsPartitionCount: layout.partitionCount,
    lostOffsets,
  };
}
