/** The final report: what was wrong, what was recovered where, and what the operator does next. */
import type { AffectedGroupsResult } from '../model.ts';
import type {
  ApprovalDecision,
  DiagnoseOutput,
  LogSearchSummary,
  Outcome,
  RecoveryPlan,
  RecoveryReport,
  RecoveryRequest,
  SeedResultDocument,
  VerifyResultDocument,
} from './documents.ts';

const MAX_EVIDENCE_LINES = 20;

export interface ReportParts {
  request: RecoveryRequest;
  diagnosis: DiagnoseOutput;
  /** Each failed shard's stored scan result (BlastRadiusOutput.detail): the affected groups and topics. */
  shardScans: AffectedGroupsResult[];
  plan: RecoveryPlan | null;
  approval: ApprovalDecision | null;
  seed: SeedResultDocument | null;
  verify: VerifyResultDocument | null;
  now: Date;
}

/** A group that could not be read counts as not recovered: the outcome is never RECOVERED while one is missing. */
export function decideOutcome(parts: Pick<ReportParts, 'plan' | 'seed' | 'verify'>): Outcome {
  const plan = parts.plan;
  const unread = plan?.unreadGroups?.length ?? 0;
  if (!plan || plan.groups.length + unread === 0) return 'NOTHING_TO_RECOVER';
  const verified = new Set((parts.verify?.groups ?? []).filter((g) => g.ok).map((g) => g.targetGroup));
  const recovered = plan.groups.filter((g) => !g.blocked && verified.has(g.targetGroup)).length;
  if (recovered === plan.groups.length + unread) return 'RECOVERED';
  return recovered > 0 ? 'PARTIALLY_RECOVERED' : 'NOT_RECOVERED';
}

/** Why the search did not read the whole window, in the report's words; '' when it did. */
function searchStopText(search: LogSearchSummary): string {
  if (search.stoppedBy === 'PAGE_CAP') return ' (search stopped at the page cap before the end of the window)';
  if (search.stoppedBy === 'DEADLINE') return ' (search stopped at its deadline before the end of the window)';
  // A document written before stoppedBy existed says only that the search was cut short.
  return search.truncated ? ' (search cut short before the end of the window)' : '';
}

export function buildReport(parts: ReportParts): RecoveryReport {
  const { request, diagnosis, plan, seed, verify } = parts;
  const outcome = decideOutcome(parts);
  const affectedGroups = [...new Set(parts.shardScans.flatMap((s) => s.groups.map((g) => g.groupId)).concat(diagnosis.groups))].sort();
  const affectedTopics = [...new Set(parts.shardScans.flatMap((s) => s.groups.flatMap((g) => [...g.topics, ...g.subscribedTopics])))].sort();
  const unreadGroups = plan?.unreadGroups ?? [];
  const seedByTarget = new Map((seed?.groups ?? []).map((g) => [g.targetGroup, g]));
  const verifyByTarget = new Map((verify?.groups ?? []).map((g) => [g.targetGroup, g]));

  const groups = (plan?.groups ?? []).map((g) => ({
    sourceGroup: g.sourceGroup,
    targetGroup: g.targetGroup,
    restore: g.restore ?? 'NEW_GROUP',
    seeded: seedByTarget.get(g.targetGroup)?.status ?? null,
    verified: verifyByTarget.get(g.targetGroup)?.ok ?? null,
  }));

  const lines: string[] = [
    `Coordinator recovery report: ${outcome}`,
    `Execution: ${request.executionArn}`,
    `Cluster: ${request.clusterArn} (${diagnosis.cluster.clusterName}, Kafka ${diagnosis.cluster.kafkaVersion})`,
    `Window: ${new Date(request.window.since).toISOString()} .. ${new Date(request.window.until).toISOString()}`,
    `Cluster state: ${diagnosis.cluster.state}`,
    `Diagnosis: ${diagnosis.verdict}; failed shards: ${diagnosis.failedShards.map((p) => `__consumer_offsets-${p}`).join(', ') || 'none'}; failing brokers: ${diagnosis.failingBrokers.join(', ') || 'none'}`,
    `Broker-log lines: ${diagnosis.logSearch.events} in ${diagnosis.logSearch.pages} page(s)${searchStopText(diagnosis.logSearch)}`,
    `Affected groups: ${affectedGroups.join(', ') || 'none found'}`,
    `Affected topics: ${affectedTopics.join(', ') || 'none found'}`,
  ];
  const evidence = diagnosis.evidence.slice(0, MAX_EVIDENCE_LINES).map((e) => `  - ${e.message}`);
  if (evidence.length > 0) lines.push('Evidence:', ...evidence);
  if (diagnosis.evidence.length > MAX_EVIDENCE_LINES) lines.push(`  ... ${diagnosis.evidence.length - MAX_EVIDENCE_LINES} more in the result document`);
  if (parts.approval) lines.push(`Approved by ${parts.approval.approvedBy} at ${parts.approval.approvedAt} via ${parts.approval.channel}`);
  lines.push('');
  for (const g of plan?.groups ?? []) {
    const seeded = seedByTarget.get(g.targetGroup);
    const verified = verifyByTarget.get(g.targetGroup);
    const where = g.restore === 'IN_PLACE' ? `${g.sourceGroup} (restored in place)` : `${g.sourceGroup} -> ${g.targetGroup} (new group)`;
    lines.push(`${where}: ${g.blocked ? `blocked (${g.blockedReason})` : `${g.offsets.length} partition(s)`}`);
    if (seeded) {
      lines.push(`  seed: ${seeded.status}, ${seeded.committed} committed${seeded.error ? `, ${seeded.error}` : ''}${seeded.errors.length > 20 ? `, ${seeded.errors.length} partition error(s)` : ''}`);
      for (const e of seeded.errors.slice(0, 20)) lines.push(`    ${e.topic}-${e.partition}: ${e.errorName}`);
    }
    if (verified) {
      lines.push(`  verify: ${verified.ok ? 'offsets match the plan' : `${verified.mismatches.length} mismatch(es)${verified.error ? `, ${verified.error}` : ''}`}`);
      for (const m of verified.mismatches.slice(0, 20)) lines.push(`    ${m.topic}-${m.partition}: expected ${m.expected}, found ${m.actual ?? 'nothing'}`);
    }
    if (!g.blocked && verified?.ok) {
      lines.push(g.restore === 'IN_PLACE' ? `  next: restart the consumers of ${g.sourceGroup} unchanged; they resume from the restored offsets` : `  next: restart the consumers of ${g.sourceGroup} with group.id = ${g.targetGroup}`);
    }
  }
  if (unreadGroups.length > 0) {
    lines.push('', `Not recovered, their offsets could not be read (${unreadGroups.length}):`);
    for (const g of unreadGroups) {
      const shard = g.partition === null ? '' : ` (__consumer_offsets-${g.partition})`;
      lines.push(`${g.groupId}${shard}: ${g.error}${g.cause ? `: ${g.cause}` : ''}`);
    }
  }
  lines.push('');
  switch (outcome) {
    case 'RECOVERED':
      if (plan!.groups.every((g) => g.restore === 'IN_PLACE')) lines.push('Every group was restored in place; its consumers keep their group ids. Report the broker failure to AWS support with the log lines above.');
      else lines.push('Every group was recovered. Update routing, dashboards and lag alerts to the new group names, and report the broker failure to AWS support with the log lines above.');
      break;
    case 'PARTIALLY_RECOVERED':
      lines.push('Some groups were not recovered; see the reasons above, fix them and start a new execution for those groups.');
      break;
    case 'NOT_RECOVERED':
      lines.push('No group was recovered; see the reasons above. Nothing else was changed.');
      break;
    case 'NOTHING_TO_RECOVER':
      if (diagnosis.verdict === 'HEALTHY') lines.push('The coordinators answer normally; nothing to recover.');
      else if (diagnosis.verdict === 'INCONCLUSIVE') {
        lines.push('The diagnosis was inconclusive (see the evidence): a coordinator could not be reached or answered with an unexpected error. Nothing was written; check connectivity from the Lambdas to the brokers and start a new execution.');
      } else lines.push('No group with commits in the window was found on the failed shards; nothing was written. Widen the window to recover idle groups.');
      break;
  }

  return {
    executionArn: request.executionArn,
    clusterArn: request.clusterArn,
    outcome,
    verdict: diagnosis.verdict,
    generatedAt: parts.now.toISOString(),
    text: lines.join('\n'),
    groups,
    unreadGroups,
    affectedGroups,
    affectedTopics,
  };
}
