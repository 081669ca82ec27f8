/**
 * Seeding: the only write of the whole runbook. Exactly the approved plan, one standalone
 * OffsetCommit (generation -1, no member) per target group on its coordinator. Re-running is
 * safe: a partition already at its planned offset is simply committed again, while a target
 * that changed in any other way since planning, or a planned offset retention has since
 * deleted past, is refused rather than written.
 */
import { mapLimited } from '../concurrency.ts';
import { describeGroupOrAbsent } from '../operations/group-calls.ts';
import { isRecoveryError, kafkaErrorName } from '../errors.ts';
import type { KafkaPort } from '../ports.ts';
import type { GroupPlan, GroupSeedResult, RecoveryPlan } from './documents.ts';

function errorText(error: unknown): string {
  const name = kafkaErrorName(error) ?? (isRecoveryError(error) ? error.code : undefined);
  const message = error instanceof Error ? error.message : String(error);
  return name ? `${name}: ${message}` : message;
}

/** Why the target no longer matches what the approver saw, or null when it still does. */
async function targetDrift(port: KafkaPort, group: GroupPlan): Promise<string | null> {
  const description = await describeGroupOrAbsent(port, group.targetGroup);
  if (description.members.length > 0) {
    return `target "${group.targetGroup}" now has ${description.members.length} active member(s); stop them and run SeedOffsets again`;
  }
  // A standalone commit (generation -1) to a group mid-rebalance is fenced or overwritten by the next generation.
  if (group.restore === 'IN_PLACE' && description.state !== 'Empty' && description.state !== 'Dead') {
    return `group "${group.targetGroup}" is in state ${description.state} now, not Empty or Dead; stop its consumers and run SeedOffsets again`;
  }
  const topics = [...new Set(group.offsets.map((o) => o.topic))];
  const current = new Map((await port.fetchCommittedOffsets(group.targetGroup, topics)).filter((e) => e.offset >= 0n).map((e) => [`${e.topic}\u0000${e.partition}`, e.offset.toString()]));
  const approvedExisting = new Map(group.existingTargetOffsets.map((d) => [`${d.topic}\u0000${d.partition}`, d.existing]));
  const changed = group.offsets.filter((o) => {
    const key = `${o.topic}\u0000${o.partition}`;
    const now = current.get(key) ?? null;
    return now !== null && now !== o.offset && now !== (approvedExisting.get(key) ?? null);
  });
  if (changed.length > 0) {
    const first = changed[0]!;
    return `target "${group.targetGroup}" changed after the plan was made (${first.topic}-${first.partition} is now at ${current.get(`${first.topic}\u0000${first.partition}`)}, ${changed.length} partition(s) in all); start a new execution to plan again`;
  }
  return null;
}

/**
 * Offsets that were inside the log when planned but are below its start now: retention ran
 * while the plan waited (approvals may wait days). Committing one would send the consumers to
 * auto.offset.reset, so the group is not seeded. Offsets already below at planning were shown to
 * the approver as BELOW_LOG_START and are theirs to accept.
 */
async function fallenBelowLogStart(port: KafkaPort, group: GroupPlan): Promise<string | null> {
  const checked = group.offsets.filter((o) => o.status !== 'BELOW_LOG_START');
  const fallen: string[] = [];
  for (const topic of [...new Set(checked.map((o) => o.topic))]) {
    const planned = checked.filter((o) => o.topic === topic);
    const starts = new Map((await port.listOffsets(topic, planned.map((o) => o.partition), { kind: 'earliest' })).map((l) => [l.partition, l.offset]));
    for (const o of planned) {
      const start = starts.get(o.partition);
      if (start !== undefined && BigInt(o.offset) < start) fallen.push(`${topic}-${o.partition} planned at ${o.offset}, log start now ${start}`);
    }
  }
  if (fallen.length === 0) return null;
  return `blocked before any write: ${fallen.length} planned offset(s) fell below the log start since planning (${fallen.slice(0, 3).join('; ')}${fallen.length > 3 ? '; ...' : ''}); retention deleted records the group had not read. Start a new execution to plan again and decide on the gap`;
}

export async function seedGroup(port: KafkaPort, group: GroupPlan): Promise<GroupSeedResult> {
  const base = { sourceGroup: group.sourceGroup, targetGroup: group.targetGroup, coordinatorBrokerId: null as number | null };
  if (group.blocked) return { ...base, status: 'SKIPPED_BLOCKED', committed: 0, errors: [], error: group.blockedReason };
  try {
    base.coordinatorBrokerId = (await port.findCoordinator(group.targetGroup)).nodeId;
    const drift = (await targetDrift(port, group)) ?? (await fallenBelowLogStart(port, group));
    if (drift !== null) return { ...base, status: 'FAILED', committed: 0, errors: [], error: drift };
    const results = await port.commitOffsets(
      group.targetGroup,
      group.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: o.leaderEpoch, metadata: o.metadata })),
    );
    const errors = results.filter((r) => r.errorName !== null).map((r) => ({ topic: r.topic, partition: r.partition, errorName: r.errorName! }));
    const answered = new Set(results.map((r) => `${r.topic}\u0000${r.partition}`));
    for (const o of group.offsets) {
      if (!answered.has(`${o.topic}\u0000${o.partition}`)) errors.push({ topic: o.topic, partition: o.partition, errorName: 'NO_RESPONSE' });
    }
    const committed = group.offsets.length - errors.length;
    return { ...base, status: errors.length === 0 ? 'SEEDED' : committed > 0 ? 'PARTIAL' : 'FAILED', committed, errors, error: null };
  } catch (error) {
    return { ...base, status: 'FAILED', committed: 0, errors: [], error: errorText(error) };
  }
}

/**
 * Target groups are seeded several at a time (each is its own group on its own coordinator), so
 * hundreds of groups fit in one Lambda's time; the results keep the plan's order.
 */
export const SEED_CONCURRENCY = 8;

export async function seedPlan(port: KafkaPort, plan: RecoveryPlan): Promise<GroupSeedResult[]> {
  return mapLimited(plan.groups, SEED_CONCURRENCY, (group) => seedGroup(port, group));
}
