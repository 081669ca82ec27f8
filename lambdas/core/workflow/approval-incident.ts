/**
 * What the approver sees beside the plan: the verdict, the evidence lines and the blast radius
 * (broker -> shard -> groups -> topics). AwaitApproval passes it from the state; it is context
 * for a person, not an input to any decision, so a missing or odd piece is dropped rather than
 * failing the approval request.
 */
import type { Evidence, GroupPlan, RecoveryPlan, Verdict } from './documents.ts';

export interface IncidentShard {
  partition: number;
  brokerId: number;
  groups: string[];
  topics: string[];
}

export interface ApprovalIncident {
  verdict: Verdict | null;
  evidence: Evidence[];
  shards: IncidentShard[];
}

/** Enough for ten seconds of reading; the full lists stay in the execution history. */
export const MAX_INCIDENT_EVIDENCE = 40;
export const MAX_INCIDENT_SHARDS = 50;

const VERDICTS: readonly Verdict[] = ['COORDINATOR_FAILED', 'HEALTHY', 'INCONCLUSIVE'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function integerOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

/** Reads `{ diagnosis: DiagnoseOutput, blastRadius: BlastRadiusOutput[] }` as AwaitApproval passes it. */
export function parseApprovalIncident(raw: unknown): ApprovalIncident | null {
  if (!isObject(raw)) return null;
  const diagnosis = isObject(raw['diagnosis']) ? raw['diagnosis'] : {};
  const verdict = VERDICTS.find((v) => v === diagnosis['verdict']) ?? null;
  const evidence: Evidence[] = (Array.isArray(diagnosis['evidence']) ? diagnosis['evidence'] : [])
    .filter(isObject)
    .filter((e) => typeof e['message'] === 'string')
    .slice(0, MAX_INCIDENT_EVIDENCE)
    .map((e) => ({
      kind: e['kind'] === 'LOG' || e['kind'] === 'LIVE' || e['kind'] === 'METADATA' ? e['kind'] : 'LIVE',
      message: e['message'] as string,
      partition: integerOrNull(e['partition']),
      brokerId: integerOrNull(e['brokerId']),
    }));
  const shards: IncidentShard[] = [];
  for (const item of (Array.isArray(raw['blastRadius']) ? raw['blastRadius'] : []).filter(isObject)) {
    const partition = integerOrNull(item['partition']);
    const brokerId = integerOrNull(item['brokerId']);
    if (partition === null || brokerId === null) continue;
    shards.push({ partition, brokerId, groups: strings(item['affectedGroups']), topics: strings(item['topics']) });
  }
  shards.sort((a, b) => a.brokerId - b.brokerId || a.partition - b.partition);
  return { verdict, evidence, shards: shards.slice(0, MAX_INCIDENT_SHARDS) };
}

export interface PlanOverview {
  groups: number;
  seededGroups: number;
  blockedGroups: number;
  partitions: number;
  /** Sum of the known lags; `lagUnknown` counts the partitions without one. */
  totalLag: bigint;
  lagUnknown: number;
  warnings: number;
  /** Partitions whose target already holds a different offset. */
  overwrites: number;
}

function groupWarnings(group: GroupPlan): number {
  return group.warnings.length + (group.blocked ? 1 : 0);
}

export function planOverview(plan: RecoveryPlan): PlanOverview {
  let partitions = 0;
  let totalLag = 0n;
  let lagUnknown = 0;
  let overwrites = 0;
  for (const group of plan.groups) {
    if (group.blocked) continue;
    partitions += group.offsets.length;
    for (const offset of group.offsets) {
      if (offset.lag === null) lagUnknown += 1;
      else totalLag += BigInt(offset.lag);
    }
    overwrites += group.existingTargetOffsets.filter((d) => d.change === 'OVERWRITE').length;
  }
  const blockedGroups = plan.groups.filter((g) => g.blocked).length;
  return {
    groups: plan.groups.length,
    seededGroups: plan.groups.length - blockedGroups,
    blockedGroups,
    partitions,
    totalLag,
    lagUnknown,
    warnings: plan.warnings.length + plan.groups.reduce((n, g) => n + groupWarnings(g), 0),
    overwrites,
  };
}

/** "3 h 12 min", "40 min", "expired": the time an approver still has. */
export function timeLeft(expiresAtMs: number, nowMs: number): string {
  const minutes = Math.floor((expiresAtMs - nowMs) / 60_000);
  if (minutes < 1) return expiresAtMs > nowMs ? 'less than a minute' : 'expired';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${rest} min`;
  return `${rest} min`;
}
