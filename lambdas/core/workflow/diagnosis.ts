/**
 * The diagnosis verdict: the broker logs say which coordinator shards failed to load, the live
 * check says which still refuse group calls now. A log line alone can be stale (the shard may
 * have reloaded since), and a NOT_COORDINATOR alone can be a leader move in flight, so the
 * live check is repeated after a metadata refresh before a shard counts as failed.
 * HEALTHY is only said on whole evidence: when the log search did not read its whole window, or
 * found nothing and no group was named, every shard is probed live, and anything short of
 * every shard answering is INCONCLUSIVE.
 */
import { confirmGroupCoordinator, isProbeGroup, probeShards, type ShardProbeOptions } from '../operations/shard-probe.ts';
import type { KafkaPort } from '../ports.ts';
import type { Evidence, FailedShard, LiveCheck, LogFinding, LogSearchStop, LostOffsetsGroup, RecoveryRequest, Verdict } from './documents.ts';
import { describeLostOffsets, findOffsetsLostOnLoad } from './lost-offsets.ts';
import { brokerAddress, partitionsLedBy, readCoordinatorLayout, shardOf, type CoordinatorLayout } from './cluster-layout.ts';

/** `deadline` (epoch ms) stops the shard probe: the Lambda's own time limit. */
export interface DiagnosisOptions extends Omit<ShardProbeOptions, 'partitions'> {
  /** How the broker-log search ended; absent means it read the whole window. */
  logSearch?: { stoppedBy: LogSearchStop | null };
  /** The logs searched cannot vouch for the window (e.g. not the group the cluster delivers to): probe every shard. */
  logsUnreliable?: boolean;
  /** Probe every __consumer_offsets partition, not only those the groups and logs point at (the CLI's --all-shards). */
  allShards?: boolean;
  /**
   * Hold every requested group's OffsetFetch against the raw log even where no log line says a load
   * failed (the CLI's --compare-log, for clusters whose broker logs it cannot read): a Kafka 3.x
   * shard that lost offsets on load otherwise looks HEALTHY.
   */
  compareRequestedWithLog?: boolean;
}

/**
 * The listed shards' probes, each re-checked once after a pause and a metadata refresh when it
 * refused: `probeShards`' checks, for callers that hold a layout (the CLI's playbook).
 */
export async function sweepShards(port: KafkaPort, _layout: CoordinatorLayout, partitions: number[], options: Omit<ShardProbeOptions, 'partitions'> = {}): Promise<LiveCheck[]> {
  return (await probeShards(port, { ...options, partitions })).checks;
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

const STOP_REASON: Record<LogSearchStop, string> = {
  PAGE_CAP: 'stopped at the page cap',
  DEADLINE: 'stopped at its deadline (time kept for the live checks)',
};

function describeCheck(check: LiveCheck): string {
  const who = isProbeGroup(check.groupId) ? `probe group ${check.groupId}` : `group ${check.groupId}`;
  const where = check.coordinator ? `broker ${check.coordinator.brokerId} (${check.coordinator.host})` : 'no coordinator';
  const outcome = check.findCoordinatorError
    ? `FindCoordinator failed: ${check.findCoordinatorError}`
    : check.groupCall === 'OK'
      ? `DescribeGroups answered (state ${check.groupState}, ${check.members} member(s))`
      : `DescribeGroups failed with ${check.groupCall}${check.groupCallError ? ` (${check.groupCallError})` : ''}`;
  return `${who} -> __consumer_offsets-${check.partition} on ${where}: ${outcome}`;
}

/** "0-3, 7, 9-11" */
function partitionRanges(partitions: number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < partitions.length; ) {
    let j = i;
    while (j + 1 < partitions.length && partitions[j + 1] === partitions[j]! + 1) j++;
    ranges.push(i === j ? `${partitions[i]}` : `${partitions[i]}-${partitions[j]}`);
    i = j + 1;
  }
  return ranges.join(', ');
}

/**
 * Live checks for: every requested group; then either every shard (when the logs cannot vouch
 * for the window: search cut short, or nothing found and no group named), or one probe per
 * shard the logs name plus every other shard led by a broker found failing (one failure on a
 * broker often comes with more).
 */
export async function diagnoseCoordinators(port: KafkaPort, request: RecoveryRequest, findings: LogFinding[], options: DiagnosisOptions = {}): Promise<DiagnosisParts> {
  const layout = await readCoordinatorLayout(port);
  const stoppedBy = options.logSearch?.stoppedBy ?? null;
  const probeEveryShard = options.allShards === true || stoppedBy !== null || options.logsUnreliable === true || (findings.length === 0 && request.groups.length === 0);
  const evidence: Evidence[] = [];
  const checksByPartition = new Map<number, LiveCheck[]>();
  const liveChecks: LiveCheck[] = [];
  const record = (check: LiveCheck): void => {
    liveChecks.push(check);
    checksByPartition.set(check.partition, [...(checksByPartition.get(check.partition) ?? []), check]);
  };
  const notProbed: number[] = [];
  const probeUnchecked = async (partitions: number[]): Promise<void> => {
    const unchecked = partitions.filter((p) => !checksByPartition.has(p));
    if (unchecked.length === 0) return;
    const report = await probeShards(port, { ...options, partitions: unchecked });
    report.checks.forEach(record);
    notProbed.push(...report.notProbed);
  };

  for (const groupId of request.groups) record(await confirmGroupCoordinator(port, groupId, layout.partitionCount, options));
  const loggedPartitions = [...new Set(findings.map((f) => f.partition))].filter((p) => p < layout.partitionCount).sort((a, b) => a - b);
  const failedNow = (partition: number): boolean => (checksByPartition.get(partition) ?? []).some((c) => c.groupCall === 'NOT_COORDINATOR');
  if (probeEveryShard) {
    await probeUnchecked([...layout.leaders.keys()]);
  } else {
    await probeUnchecked(loggedPartitions);
    const brokersSeenFailing = new Set([...checksByPartition.keys()].filter(failedNow).map((p) => layout.leaders.get(p) ?? -1).filter((b) => b >= 0));
    await probeUnchecked([...brokersSeenFailing].flatMap((brokerId) => partitionsLedBy(layout, brokerId)));
  }
  const notCoordinatorShards = [...checksByPartition.keys()].filter(failedNow).sort((a, b) => a - b);
  const failingBrokers = [...new Set(notCoordinatorShards.map((p) => layout.leaders.get(p) ?? -1).filter((b) => b >= 0))].sort((a, b) => a - b);

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
  if (stoppedBy !== null) {
    evidence.push({
      kind: 'LOG',
      message: `The broker-log search ${STOP_REASON[stoppedBy]} before reading the whole window; lines it did not read may name more shards, so every shard was probed live`,
      partition: null,
      brokerId: null,
    });
  }
  // One line per requested group and per shard that did not answer; the many shards that did share one line.
  const answeringProbes: number[] = [];
  for (const check of liveChecks) {
    if (isProbeGroup(check.groupId) && check.groupCall === 'OK' && !loggedPartitions.includes(check.partition)) answeringProbes.push(check.partition);
    else evidence.push({ kind: 'LIVE', message: describeCheck(check), partition: check.partition, brokerId: check.coordinator?.brokerId ?? null });
  }
  if (answeringProbes.length > 0) {
    const sorted = [...answeringProbes].sort((a, b) => a - b);
    evidence.push({
      kind: 'LIVE',
      message: `Probe groups on ${sorted.length} shard(s) answered DescribeGroups: __consumer_offsets-${partitionRanges(sorted)}`,
      partition: null,
      brokerId: null,
    });
  }
  if (notProbed.length > 0) {
    evidence.push({
      kind: 'LIVE',
      message: `No time was left to probe ${notProbed.length} shard(s): __consumer_offsets-${partitionRanges(notProbed)}`,
      partition: null,
      brokerId: null,
    });
  }
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
  const compared = servedAfterFailedLoad.filter((p) => classicFailures.has(p));
  if (options.compareRequestedWithLog === true) {
    for (const groupId of request.groups) {
      const { partition } = shardOf(layout, groupId);
      const checks = checksByPartition.get(partition) ?? [];
      if (!compared.includes(partition) && checks.length > 0 && checks.every((c) => c.groupCall === 'OK')) compared.push(partition);
    }
  }
  for (const partition of compared) {
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
  else if (unresolved || notProbed.length > 0) verdict = 'INCONCLUSIVE';
  else verdict = 'HEALTHY';
  if (verdict === 'HEALTHY' && probeEveryShard) {
    const logs = stoppedBy !== null ? 'The part of the broker logs read shows no coordinator load failure' : 'No coordinator load failures in the broker logs for the window';
    evidence.push({ kind: 'LIVE', message: `${logs}, and all ${layout.partitionCount} shards answer group calls`, partition: null, brokerId: null });
  }
  if (verdict === 'INCONCLUSIVE' && probeEveryShard && stoppedBy !== null) {
    evidence.push({ kind: 'LIVE', message: 'Not HEALTHY: the log search is incomplete and not every shard answered the live probe', partition: null, brokerId: null });
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
    failingBrokers,
    failedShards,
    shards,
    groups,
    offsetsPartitionCount: layout.partitionCount,
    lostOffsets,
  };
}
