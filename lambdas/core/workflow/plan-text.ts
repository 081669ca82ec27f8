/** The plan as a person reads it: in the approval e-mail, on the approval page and in the report. */
import type { GroupPlan, RecoveryPlan } from './documents.ts';

export const MAX_ROWS_PER_GROUP = 200;

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
}

export function renderGroupPlan(group: GroupPlan, fullPlanLocation: string): string[] {
  const lines: string[] = [];
  if (group.restore === 'IN_PLACE') {
    lines.push(`Group ${group.sourceGroup}, restored in place (the same group)`);
    lines.push(`  its coordinator: broker ${group.target.brokerId} (${group.target.brokerHost}), __consumer_offsets-${group.target.partition}; state ${group.targetState.state ?? 'unknown'}, ${group.targetState.members} member(s)`);
  } else {
    const naming = group.targetNameSource === 'suggested' ? ' (suggested name)' : '';
    lines.push(`Group ${group.sourceGroup} -> ${group.targetGroup}${naming}, a new group`);
    lines.push(`  new coordinator: broker ${group.target.brokerId} (${group.target.brokerHost}), __consumer_offsets-${group.target.partition}; target state ${group.targetState.state ?? 'unknown'}, ${group.targetState.members} member(s)`);
  }
  if (group.blocked) lines.push(`  BLOCKED, will not be seeded: ${group.blockedReason}`);
  const rows = [['topic', 'partition', 'offset', 'log start', 'log end', 'lag', 'status']];
  for (const o of group.offsets.slice(0, MAX_ROWS_PER_GROUP)) {
    rows.push([o.topic, String(o.partition), o.offset, o.logStartOffset ?? '?', o.logEndOffset ?? '?', o.lag ?? '?', o.status]);
  }
  if (group.offsets.length > 0) lines.push(...table(rows).map((line) => `  ${line}`));
  else lines.push('  (no offsets recovered)');
  if (group.offsets.length > MAX_ROWS_PER_GROUP) lines.push(`  ... ${group.offsets.length - MAX_ROWS_PER_GROUP} more partition(s); the full plan is in ${fullPlanLocation}`);
  lines.push(`  ${group.offsets.length} partition(s), total lag ${group.totalLag ?? 'unknown'}`);
  if (group.existingTargetOffsets.length > 0) {
    lines.push(`  The target already has offsets (${group.existingTargetOffsets.length}):`);
    for (const d of group.existingTargetOffsets.slice(0, MAX_ROWS_PER_GROUP)) {
      lines.push(`    ${d.topic}-${d.partition}: ${d.existing} -> ${d.planned} ${d.change}`);
    }
  }
  for (const warning of group.warnings) lines.push(`  WARNING: ${warning}`);
  return lines;
}

export function renderPlanText(plan: RecoveryPlan, planSha256: string, fullPlanLocation: string): string {
  const lines = [
    `Plan ${plan.planId} (sha256 ${planSha256})`,
    `Cluster: ${plan.clusterArn}`,
    `Window: ${new Date(plan.window.since).toISOString()} .. ${new Date(plan.window.until).toISOString()}`,
    `Restore: ${plan.restoreInPlace ? 'in place (each group takes its offsets back)' : 'into new groups'}`,
    `Overwrite existing target offsets: ${plan.overwriteExistingTargetOffsets ? 'yes' : 'no'}`,
    `Full plan: ${fullPlanLocation}`,
    '',
  ];
  for (const warning of plan.warnings) lines.push(`WARNING: ${warning}`);
  if (plan.warnings.length > 0) lines.push('');
  for (const group of plan.groups) lines.push(...renderGroupPlan(group, fullPlanLocation), '');
  return lines.join('\n');
}
