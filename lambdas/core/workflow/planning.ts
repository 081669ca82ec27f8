/**
 * Target planning: for each recovered group, a target group on a healthy coordinator with no
 * members, the offsets to give it, and what it already has. Nothing is written here.
 */
import { describeGroupOrAbsent } from '../operations/group-calls.ts';
import { isRecoveryError, kafkaErrorName } from '../errors.ts';
import type { CommittedOffsetEntry, KafkaPort } from '../ports.ts';
import type { GroupPlan, GroupRecovery, PlanSummary, PlannedOffset, RecoveryPlan, RecoveryRequest, TargetOffsetDiff, UnreadGroup } from './documents.ts';
import { brokerAddress, readCoordinatorLayout, shardOf, type CoordinatorLayout } from './cluster-layout.ts';
import { matchesNamePattern } from './name-pattern.ts';

export const MAX_SUGGESTION_ATTEMPTS = 200;
const MAX_GROUP_ID_LENGTH = 249;

export interface PlanningInput {
  request: RecoveryRequest;
  failedShards: number[];
  failingBrokers: number[];
  recoveries: GroupRecovery[];
  /** Groups whose offsets could not be read: named in the plan so the approver knows they are missing. */
  unreadGroups?: UnreadGroup[];
  planId: string;
  now: Date;
  /** recovery:targetGroupPattern: the only groups the runbook may write to; no limit when absent. */
  targetGroupPattern?: string;
}

interface TargetInspection {
  state: string | null;
  members: number;
  existing: CommittedOffsetEntry[]; // only entries with an offset
  error: string | null;
}

function shardProblem(layout: CoordinatorLayout, input: PlanningInput, name: string): string | null {
  const { partition, leader } = shardOf(layout, name);
  if (leader < 0) return `__consumer_offsets-${partition}, where "${name}" hashes, has no leader`;
  if (input.failedShards.includes(partition)) return `"${name}" hashes to __consumer_offsets-${partition}, which is itself failed`;
  if (input.failingBrokers.includes(leader)) return `"${name}" hashes to __consumer_offsets-${partition}, led by failing broker ${leader}`;
  return null;
}

async function inspectTarget(port: KafkaPort, name: string): Promise<TargetInspection> {
  try {
    const description = await describeGroupOrAbsent(port, name);
    const existing = (await port.fetchCommittedOffsets(name)).filter((entry) => entry.offset >= 0n);
    return { state: description.state, members: description.members.length, existing, error: null };
  } catch (error) {
    const reason = kafkaErrorName(error) ?? (isRecoveryError(error) ? error.code : 'ERROR');
    return { state: null, members: 0, existing: [], error: `${reason}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export function suggestedName(source: string, n: number): string {
  const suffix = `-recovered-${n}`;
  return `${source.slice(0, MAX_GROUP_ID_LENGTH - suffix.length)}${suffix}`;
}

function plannedOffsets(recovery: GroupRecovery): PlannedOffset[] {
  const checks = new Map(recovery.completeness.partitions.map((c) => [`${c.topic}\u0000${c.partition}`, c]));
  const result: PlannedOffset[] = [];
  for (const [topic, partitions] of Object.entries(recovery.offsets.offsets)) {
    for (const [partitionKey, recovered] of Object.entries(partitions)) {
      const partition = Number(partitionKey);
      const check = checks.get(`${topic}\u0000${partition}`);
      result.push({
        topic,
        partition,
        offset: recovered.offset,
        leaderEpoch: recovered.leaderEpoch,
        metadata: recovered.metadata,
        logStartOffset: check?.logStartOffset ?? null,
        logEndOffset: check?.logEndOffset ?? null,
        lag: check?.lag ?? null,
        status: check ? (check.status === 'MISSING' ? 'UNKNOWN' : check.status) : 'UNKNOWN',
      });
    }
  }
  return result.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

export function diffTargetOffsets(planned: PlannedOffset[], existing: CommittedOffsetEntry[]): TargetOffsetDiff[] {
  const current = new Map(existing.map((e) => [`${e.topic}\u0000${e.partition}`, e.offset]));
  return planned
    .filter((p) => current.has(`${p.topic}\u0000${p.partition}`))
    .map((p) => {
      const value = current.get(`${p.topic}\u0000${p.partition}`)!;
      return { topic: p.topic, partition: p.partition, existing: value.toString(), planned: p.offset, change: value.toString() === p.offset ? 'SAME' : 'OVERWRITE' };
    });
}

function sumLag(offsets: PlannedOffset[]): string | null {
  if (offsets.length === 0 || offsets.some((o) => o.lag === null)) return null;
  return offsets.reduce((total, o) => total + BigInt(o.lag!), 0n).toString();
}

async function chooseSuggestedTarget(
  port: KafkaPort,
  layout: CoordinatorLayout,
  input: PlanningInput,
  source: string,
  taken: Set<string>,
): Promise<{ name: string; inspection: TargetInspection } | { name: null; reason: string }> {
  const pattern = input.targetGroupPattern;
  // A custom pattern may admit no suggestion at all; say so instead of probing 200 names IAM refuses.
  if (pattern !== undefined && !matchesNamePattern(suggestedName(source, 1), pattern) && !matchesNamePattern(suggestedName(source, 2), pattern)) {
    return { name: null, reason: `the suggested names "${source}-recovered-<n>" are outside recovery:targetGroupPattern "${pattern}"` };
  }
  for (let n = 1; n <= MAX_SUGGESTION_ATTEMPTS; n++) {
    const name = suggestedName(source, n);
    if (taken.has(name) || shardProblem(layout, input, name) !== null) continue;
    if (pattern !== undefined && !matchesNamePattern(name, pattern)) continue;
    const inspection = await inspectTarget(port, name);
    // A suggestion must be a fresh group: no error, no members, no offsets to argue about.
    if (inspection.error === null && inspection.members === 0 && inspection.existing.length === 0) return { name, inspection };
  }
  return { name: null, reason: `no name "${source}-recovered-<n>" up to n=${MAX_SUGGESTION_ATTEMPTS} lands on a healthy, unused coordinator` };
}

/** States in which a group has no generation to fence a standalone commit: no member can overwrite it. */
const RESTORABLE_STATES = new Set(['Empty', 'Dead']);

/**
 * Restoring in place: the group takes its offsets back on its own coordinator. That coordinator
 * must answer (a Kafka 3.x shard that lost offsets on load does; a FAILED 4.x shard does not) and
 * the group must be without members, or their next commits would overwrite the restored offsets.
 */
async function inPlaceTarget(port: KafkaPort, layout: CoordinatorLayout, input: PlanningInput, source: string): Promise<{ inspection: TargetInspection; blockedReason: string | null }> {
  const pattern = input.targetGroupPattern;
  if (pattern !== undefined && !matchesNamePattern(source, pattern)) {
    return {
      inspection: { state: null, members: 0, existing: [], error: null },
      blockedReason: `restoreInPlace: "${source}" is outside recovery:targetGroupPattern "${pattern}", so the runbook may not write to it. Recover into a new group (drop restoreInPlace) or redeploy with a pattern that covers it`,
    };
  }
  const { partition, leader } = shardOf(layout, source);
  if (leader < 0) return { inspection: { state: null, members: 0, existing: [], error: null }, blockedReason: `restoreInPlace: __consumer_offsets-${partition}, where "${source}" hashes, has no leader. Recover into a new group (drop restoreInPlace)` };
  const inspection = await inspectTarget(port, source);
  if (inspection.error?.startsWith('NOT_COORDINATOR')) {
    return {
      inspection,
      blockedReason: `restoreInPlace: the coordinator of "${source}" (__consumer_offsets-${partition}) answers NOT_COORDINATOR, so the group cannot take commits (a FAILED shard). Recover into a new group (drop restoreInPlace)`,
    };
  }
  if (inspection.error !== null) return { inspection, blockedReason: `restoreInPlace: the coordinator of "${source}" does not answer (${inspection.error}). Plan again once it does, or recover into a new group` };
  if (inspection.members > 0) {
    return { inspection, blockedReason: `restoreInPlace: "${source}" has ${inspection.members} active member(s) (state ${inspection.state}); their commits would overwrite the restored offsets. Stop its consumers and plan again` };
  }
  if (!RESTORABLE_STATES.has(inspection.state ?? '')) {
    return { inspection, blockedReason: `restoreInPlace: "${source}" is in state ${inspection.state}, not Empty or Dead. Stop its consumers and plan again` };
  }
  return { inspection, blockedReason: null };
}

async function planGroup(port: KafkaPort, layout: CoordinatorLayout, input: PlanningInput, recovery: GroupRecovery, taken: Set<string>): Promise<GroupPlan> {
  const source = recovery.groupId;
  const offsets = plannedOffsets(recovery);
  const warnings: string[] = recovery.completeness.issues.map((issue) => issue.message);
  // Notes say what the check could not see (no subscription to hold offsets against, metadata from before the window): the approver decides with them.
  for (const note of recovery.completeness.notes ?? []) warnings.push(`Note: ${note}`);
  const scan = recovery.offsets.scan;
  if (!scan.complete && BigInt(scan.nextOffset) < BigInt(scan.endOffset)) {
    warnings.push(`The scan of __consumer_offsets-${recovery.offsets.offsetsPartition} stopped at offset ${recovery.offsets.scan.nextOffset} before the log end ${recovery.offsets.scan.endOffset}; later commits may be missing`);
  }
  const skippedTotal = Object.values(recovery.offsets.scan.skipped).reduce((a, b) => a + b, 0);
  if (skippedTotal > 0) warnings.push(`${skippedTotal} record(s) in __consumer_offsets-${recovery.offsets.offsetsPartition} could not be decoded and were skipped`);

  const given = input.request.targetNames[source];
  let targetGroup: string;
  let inspection: TargetInspection;
  let blockedReason: string | null = null;
  const inPlace = input.request.restoreInPlace === true;
  if (inPlace) {
    targetGroup = source;
    ({ inspection, blockedReason } = await inPlaceTarget(port, layout, input, source));
  } else if (given !== undefined) {
    targetGroup = given;
    inspection = await inspectTarget(port, given);
    const problem = shardProblem(layout, input, given);
    const pattern = input.targetGroupPattern;
    // Diagnose refuses such names already; a request edited by hand between steps must not get further.
    if (pattern !== undefined && !matchesNamePattern(given, pattern)) {
      blockedReason = `targetNames.${source}: "${given}" is outside recovery:targetGroupPattern "${pattern}". Pick a name that matches it, or omit it for a suggested one`;
    } else if (problem !== null) blockedReason = `targetNames.${source}: ${problem}. Pick another name (a suggested name is used when you omit it)`;
    else if (inspection.error?.startsWith('GROUP_AUTHORIZATION_FAILED')) {
      blockedReason = `targetNames.${source}: this runbook may not use group "${given}" (${inspection.error}). Pick a name its IAM policy or ACLs allow (the stack's target group pattern), or omit it for a suggested one`;
    } else if (inspection.error !== null) blockedReason = `targetNames.${source}: the coordinator of "${given}" does not answer (${inspection.error}). Pick another name`;
  } else {
    const choice = await chooseSuggestedTarget(port, layout, input, source, taken);
    if (choice.name === null) {
      targetGroup = suggestedName(source, 1);
      inspection = { state: null, members: 0, existing: [], error: null };
      blockedReason = `${choice.reason}. Give targetNames.${source} explicitly`;
    } else {
      targetGroup = choice.name;
      inspection = choice.inspection;
    }
  }
  taken.add(targetGroup);

  const existingTargetOffsets = diffTargetOffsets(offsets, inspection.existing);
  const overwritten = existingTargetOffsets.filter((d) => d.change === 'OVERWRITE');
  // In place, offsets behind the log's last commit are what was lost on load: restoring them is the point.
  // One ahead of it means the group committed after the window; going back needs the explicit overwrite.
  const restoredBehind = inPlace ? overwritten.filter((d) => BigInt(d.existing!) < BigInt(d.planned)).length : 0;
  const overwrites = overwritten.length - restoredBehind;
  const plannedKeys = new Set(offsets.map((o) => `${o.topic}\u0000${o.partition}`));
  const extra = inspection.existing.filter((e) => !plannedKeys.has(`${e.topic}\u0000${e.partition}`)).length;
  if (extra > 0) warnings.push(`Target "${targetGroup}" already has offsets for ${extra} partition(s) outside the plan; they stay as they are`);

  if (blockedReason === null && offsets.length === 0) {
    blockedReason = `No committed offsets of "${source}" were found in the window; widen it (since / lookbackMinutes) and start a new execution`;
  }
  if (blockedReason === null && inspection.members > 0) {
    blockedReason = `Target "${targetGroup}" has ${inspection.members} active member(s); stop its consumers or pick another target name`;
  }
  if (blockedReason === null && overwrites > 0 && !input.request.overwriteExistingTargetOffsets && inPlace) {
    blockedReason = `"${source}" answers offsets ahead of the log's last commit in the window for ${overwrites} partition(s) (see the diff): it committed after the window ended. Widen the window (until), or set overwriteExistingTargetOffsets to true to go back`;
  }
  if (blockedReason === null && overwrites > 0 && !input.request.overwriteExistingTargetOffsets) {
    blockedReason = `Target "${targetGroup}" already has different offsets for ${overwrites} partition(s) (see the diff); set overwriteExistingTargetOffsets to true or pick another target name`;
  }
  if (inPlace && input.failedShards.includes(shardOf(layout, source).partition)) {
    warnings.push(
      `__consumer_offsets-${shardOf(layout, source).partition} failed its last load: until the record that broke it is gone, its next load (a broker restart, a leader move) can lose "${source}"'s offsets again; recovering into a new group on another shard avoids that`,
    );
  }
  if (restoredBehind > 0) warnings.push(`${restoredBehind} offset(s) "${source}" answers behind the log's last commit will be restored (lost on load)`);
  if (overwrites > 0 && input.request.overwriteExistingTargetOffsets) warnings.push(`${overwrites} existing offset(s) of "${targetGroup}" will be overwritten`);
  const below = offsets.filter((o) => o.status === 'BELOW_LOG_START').length;
  if (below > 0) warnings.push(`${below} offset(s) point below the log start (data deleted by retention); consumers will reset per auto.offset.reset there`);
  const unchecked = offsets.filter((o) => o.status === 'UNCHECKED').length;
  if (unchecked > 0) warnings.push(`${unchecked} offset(s) are UNCHECKED: their partitions' log start and end could not be read, so they are not validated; approve only if you accept that, or re-run once those partitions have a leader`);
  const uncertain = offsets.filter((o) => o.status === 'UNCERTAIN').length;
  if (uncertain > 0) warnings.push(`${uncertain} offset(s) are UNCERTAIN: __consumer_offsets data was deleted while it was scanned and a newer commit may have been lost with it; restarting there may re-deliver messages`);

  const { partition, leader } = shardOf(layout, targetGroup);
  return {
    sourceGroup: source,
    targetGroup,
    restore: inPlace ? 'IN_PLACE' : 'NEW_GROUP',
    targetNameSource: inPlace ? 'source' : given !== undefined ? 'input' : 'suggested',
    target: { partition, brokerId: leader, brokerHost: brokerAddress(layout, leader) },
    targetState: { state: inspection.state, members: inspection.members },
    offsets,
    existingTargetOffsets,
    blocked: blockedReason !== null,
    blockedReason,
    warnings,
    totalLag: sumLag(offsets),
  };
}

export async function planTargets(port: KafkaPort, input: PlanningInput): Promise<RecoveryPlan> {
  const layout = await readCoordinatorLayout(port);
  const recoveries = [...input.recoveries].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  // Source names and explicitly requested names are off limits for suggestions.
  const taken = new Set<string>([...recoveries.map((r) => r.groupId), ...Object.values(input.request.targetNames)]);
  const groups: GroupPlan[] = [];
  for (const recovery of recoveries) groups.push(await planGroup(port, layout, input, recovery, taken));
  const warnings: string[] = [];
  const blocked = groups.filter((g) => g.blocked).length;
  if (groups.length === 0) warnings.push('No group to recover: nothing will be written');
  else if (blocked === groups.length) warnings.push('Every group is blocked: approving writes nothing');
  else if (blocked > 0) warnings.push(`${blocked} of ${groups.length} group(s) are blocked and will not be seeded`);
  const unreadGroups = [...(input.unreadGroups ?? [])].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  if (unreadGroups.length > 0) {
    const named = unreadGroups.slice(0, 10).map((g) => g.groupId).join(', ');
    warnings.push(`${unreadGroups.length} group(s) could not be read and are not in this plan (${named}${unreadGroups.length > 10 ? ', ...' : ''}); the report names each with its error`);
  }
  return {
    planId: input.planId,
    executionArn: input.request.executionArn,
    clusterArn: input.request.clusterArn,
    createdAt: input.now.toISOString(),
    window: input.request.window,
    overwriteExistingTargetOffsets: input.request.overwriteExistingTargetOffsets,
    restoreInPlace: input.request.restoreInPlace === true,
    groups,
    warnings,
    unreadGroups,
  };
}

export function summarizePlan(plan: RecoveryPlan): PlanSummary {
  return {
    planId: plan.planId,
    groups: plan.groups.length,
    partitions: plan.groups.filter((g) => !g.blocked).reduce((total, g) => total + g.offsets.length, 0),
    blockedGroups: plan.groups.filter((g) => g.blocked).length,
    unreadGroups: plan.unreadGroups?.length ?? 0,
    warnings: plan.warnings.length + plan.groups.reduce((total, g) => total + g.warnings.length, 0),
  };
}
