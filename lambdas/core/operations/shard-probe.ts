/**
 * Is each `__consumer_offsets` shard serving group calls right now? Asked with read-only calls
 * only: FindCoordinator, then DescribeGroups for a group id that hashes to the shard. Nobody
 * joins, commits or creates anything. A FAILED shard answers NOT_COORDINATOR; a healthy one
 * describes the unknown group as Dead. A NOT_COORDINATOR can also be a leader move in flight,
 * so a shard that does not answer OK is asked again after a pause and a metadata refresh, and
 * the second answer wins.
 */
import { RecoveryError, isRecoveryError, kafkaErrorName } from '../errors.ts';
import { partitionForGroup } from '../hash.ts';
import type { CoordinatorCheck, ShardProbeReport } from '../model.ts';
import { CONSUMER_OFFSETS_TOPIC, type KafkaPort } from '../ports.ts';
import { describeOffsetsTopic } from '../scanner/index.ts';
import { describeGroupOrAbsent } from './group-calls.ts';

const PROBE_GROUP_PREFIX = 'coordinator-recovery-probe-';

/** Probe groups are never joined or committed to, so they never exist on the cluster. */
export function isProbeGroup(groupId: string): boolean {
  return groupId.startsWith(PROBE_GROUP_PREFIX);
}

/** The first `coordinator-recovery-probe-<n>` that hashes to `partition`. */
export function probeGroupFor(partition: number, partitionCount: number): string {
  for (let n = 0; n < partitionCount * 1000; n++) {
    const candidate = `${PROBE_GROUP_PREFIX}${n}`;
    if (partitionForGroup(candidate, partitionCount) === partition) return candidate;
  }
  throw new RecoveryError('UNSUPPORTED', `No probe group name found for ${CONSUMER_OFFSETS_TOPIC}-${partition}`);
}

const GROUP_CALL_ERRORS: ReadonlySet<string> = new Set(['NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE']);

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** FindCoordinator, then DescribeGroups on that coordinator, for a group on a known shard. */
export async function checkGroupCoordinator(port: KafkaPort, groupId: string, partitionCount: number): Promise<CoordinatorCheck> {
  const check: CoordinatorCheck = {
    groupId,
    partition: partitionForGroup(groupId, partitionCount),
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
    check.groupCall = name !== undefined && GROUP_CALL_ERRORS.has(name) ? (name as CoordinatorCheck['groupCall']) : 'OTHER_ERROR';
    check.groupCallError = isRecoveryError(error) ? `${name ?? error.code}: ${error.message}` : errorText(error);
  }
  return check;
}

export interface RecheckOptions {
  /** Pause before a shard that did not answer OK is asked again, giving a leader move time to finish (default 1000 ms). */
  confirmDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function pauseAndRefresh(port: KafkaPort, options: RecheckOptions): Promise<void> {
  const delay = options.confirmDelayMs ?? 1000;
  if (delay > 0) await (options.sleep ?? defaultSleep)(delay);
  await port.refreshMetadata();
}

/** Checks twice, with a pause and a metadata refresh in between, unless the first answer is OK. */
export async function confirmGroupCoordinator(port: KafkaPort, groupId: string, partitionCount: number, options: RecheckOptions = {}): Promise<CoordinatorCheck> {
  const first = await checkGroupCoordinator(port, groupId, partitionCount);
  if (first.groupCall === 'OK') return first;
  await pauseAndRefresh(port, options);
  return checkGroupCoordinator(port, groupId, partitionCount);
}

export interface ShardProbeOptions extends RecheckOptions {
  /** Shards to probe (default: every partition of `__consumer_offsets`). */
  partitions?: readonly number[];
  /** Shards probed at once (default 8): enough to finish 150 shards in a few seconds, few enough not to crowd a broker. */
  concurrency?: number;
  /** Epoch ms after which no further shard is probed; the rest are reported as not probed. */
  deadline?: number;
  clock?: () => number;
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/**
 * Probes the shards, re-checks those that did not answer OK once after a pause and a metadata
 * refresh (all of them together, so a wide failure costs one pause), and sorts the answers into
 * failed, unresolved and not probed. Throws NOT_FOUND when `__consumer_offsets` does not exist.
 */
export async function probeShards(port: KafkaPort, options: ShardProbeOptions = {}): Promise<ShardProbeReport> {
  const clock = options.clock ?? Date.now;
  const probedAt = new Date(clock()).toISOString();
  const offsets = await describeOffsetsTopic(port);
  const { partitionCount } = offsets;
  const leaders = new Map(offsets.topic.partitions.map((p) => [p.partition, p.leader]));
  const wanted = [...new Set(options.partitions ?? [...leaders.keys()])].sort((a, b) => a - b);
  for (const partition of wanted) {
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
      throw new RecoveryError('PARTITION_OUT_OF_RANGE', `partitions: ${String(partition)} is out of range: ${CONSUMER_OFFSETS_TOPIC} has partitions 0-${partitionCount - 1}. Pass partitions in that range.`, {
        details: { field: 'partitions', partition, partitionCount },
      });
    }
  }
  const pastDeadline = (): boolean => options.deadline !== undefined && clock() >= options.deadline;
  const concurrency = options.concurrency ?? 8;
  const checks = new Map<number, CoordinatorCheck>();
  const probe = async (partition: number): Promise<void> => {
    checks.set(partition, await checkGroupCoordinator(port, probeGroupFor(partition, partitionCount), partitionCount));
  };

  await eachLimited(wanted, concurrency, async (partition) => {
    if (!pastDeadline()) await probe(partition);
  });
  const doubtful = [...checks.values()].filter((c) => c.groupCall !== 'OK').map((c) => c.partition);
  const rechecked = new Set<number>();
  if (doubtful.length > 0 && !pastDeadline()) {
    await pauseAndRefresh(port, options);
    await eachLimited(doubtful, concurrency, async (partition) => {
      if (pastDeadline()) return;
      await probe(partition);
      rechecked.add(partition);
    });
  }

  const sorted = wanted.flatMap((p) => (checks.has(p) ? [checks.get(p)!] : []));
  // One NOT_COORDINATOR may be a leader move in flight: only a second one makes a shard FAILED.
  const failed = sorted.filter((c) => c.groupCall === 'NOT_COORDINATOR' && rechecked.has(c.partition)).map((c) => c.partition);
  return {
    partitionCount,
    probedAt,
    checks: sorted,
    leaders: Object.fromEntries(sorted.map((c) => [String(c.partition), leaders.get(c.partition) ?? -1])),
    failed,
    unresolved: sorted.filter((c) => c.groupCall !== 'OK' && !failed.includes(c.partition)).map((c) => c.partition),
    notProbed: wanted.filter((p) => !checks.has(p)),
    failingBrokers: [...new Set(failed.map((p) => leaders.get(p) ?? -1).filter((b) => b >= 0))].sort((a, b) => a - b),
  };
}
