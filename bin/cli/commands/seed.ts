/**
 * seed: the only command that writes to Kafka. It commits exactly the plan file, after a person
 * approved it (a "y" on a terminal, or --yes), to target groups that still have no members and
 * no other offsets; the approval record is written beside the plan before the first commit.
 */
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { RecoveryError, refusedForSafety } from '../../../lambdas/core/errors.ts';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import type { ApprovalDecision, GroupPlan, GroupSeedResult } from '../../../lambdas/core/workflow/documents.ts';
import { describeGroupOrAbsent } from '../../../lambdas/core/operations/group-calls.ts';
import { renderPlanText } from '../../../lambdas/core/workflow/plan-text.ts';
import { seedPlan } from '../../../lambdas/core/workflow/seeding.ts';
import { PROGRAM, type Command } from '../command.ts';
import { askConsent, canAsk } from '../confirm.ts';
import { EXIT_FAILED, EXIT_INCOMPLETE, EXIT_OK } from '../exit-codes.ts';
import { approvalFileOf, loadPlanFile, requireSameCluster } from '../plan-file.ts';
import { renderTable } from '../table.ts';

/** Why a target may not be written now, and what would make it acceptable; null when it may. Checked before asking, so nobody approves in vain. */
export async function targetRefusal(port: KafkaPort, group: GroupPlan, overwrite: boolean): Promise<{ reason: string; fix: string } | null> {
  const description = await describeGroupOrAbsent(port, group.targetGroup);
  const inPlace = group.restore === 'IN_PLACE';
  if (description.members.length > 0) {
    return {
      reason: `${inPlace ? 'group' : 'target'} "${group.targetGroup}" has ${description.members.length} active member(s) (state ${description.state}); their next commits would overwrite the ${inPlace ? 'restored' : 'seeded'} offsets`,
      fix: inPlace ? 'Stop its consumers and run seed again' : 'Stop its consumers and run seed again, or plan another target',
    };
  }
  if (inPlace && description.state !== 'Empty' && description.state !== 'Dead') {
    return { reason: `group "${group.targetGroup}" is in state ${description.state}, not Empty or Dead, so it cannot be restored in place`, fix: 'Stop its consumers and run seed again' };
  }
  // In place, the offsets the approver saw in the diff (those lost on load) are the ones to replace.
  const approved = new Map(inPlace ? group.existingTargetOffsets.map((d) => [`${d.topic}\u0000${d.partition}`, d.existing]) : []);
  const topics = [...new Set(group.offsets.map((o) => o.topic))];
  const current = new Map((await port.fetchCommittedOffsets(group.targetGroup, topics)).filter((e) => e.offset >= 0n).map((e) => [`${e.topic}\u0000${e.partition}`, e.offset.toString()]));
  const different = group.offsets.filter((o) => {
    const now = current.get(`${o.topic}\u0000${o.partition}`);
    return now !== undefined && now !== o.offset && now !== approved.get(`${o.topic}\u0000${o.partition}`);
  });
  if (different.length > 0 && !overwrite) {
    const first = different[0]!;
    return {
      reason: `target "${group.targetGroup}" already has different offsets for ${different.length} partition(s) (${first.topic}-${first.partition} is at ${current.get(`${first.topic}\u0000${first.partition}`)}, the plan says ${first.offset})`,
      fix: 'Pass --overwrite-existing-target-offsets to replace them, or plan another target',
    };
  }
  return null;
}

/** Who is logged in, when the environment does not say (containers often lack USER). */
function accountName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export interface SeedDocument {
  planFile: string;
  planSha256: string;
  approval: ApprovalDecision;
  approvalFile: string;
  ok: boolean;
  groups: GroupSeedResult[];
}

function renderSeed(doc: SeedDocument): string {
  const rows = doc.groups.map((g) => [g.sourceGroup, g.targetGroup, g.status, String(g.committed), g.error ?? (g.errors.length > 0 ? g.errors.map((e) => `${e.topic}-${e.partition}: ${e.errorName}`).join(', ') : '-')]);
  return [
    renderTable(['SOURCE', 'TARGET', 'STATUS', 'COMMITTED', 'PROBLEM'], rows, { rightAlign: [3] }),
    `approved by ${doc.approval.approvedBy} at ${doc.approval.approvedAt} (plan sha256 ${doc.planSha256}); recorded in ${doc.approvalFile}`,
    doc.ok
      ? `Next: ${PROGRAM} verify --plan ${doc.planFile}, then start the consumers ${doc.groups.every((g) => g.sourceGroup === g.targetGroup) ? 'unchanged (restored in place)' : 'with group.id set to the target'}`
      : 'Some groups were not fully seeded: see PROBLEM; re-running seed is safe',
  ].join('\n');
}

export const seedCommand: Command = {
  name: 'seed',
  summary: 'commit a reviewed plan to its target groups, after approval (the only command that writes)',
  positionals: [],
  flags: {
    plan: { type: 'string', placeholder: 'FILE', description: 'the plan written by "plan --out FILE" (required)' },
    yes: { type: 'boolean', description: 'approve without asking (scripts); without it a terminal is asked, and no terminal means no' },
    'plan-sha256': { type: 'string', placeholder: 'HASH', description: 'the sha256 the reviewer approved; the plan file must hash to it' },
    'overwrite-existing-target-offsets': { type: 'boolean', description: 'replace offsets a target already has that differ from the plan' },
    'cluster-arn': { type: 'string', placeholder: 'ARN', description: 'required for plans that name an MSK cluster ARN: confirms the connection reaches it' },
    'approved-by': { type: 'string', placeholder: 'NAME', description: 'who approves, for the record (default: $USER)' },
  },
  details: [
    'Example: coordinator-recovery seed --plan plan.json            # shows the plan, asks approve? [y/N]',
    '         coordinator-recovery seed --plan plan.json --yes      # scripts',
    'Refused (exit 3, nothing written): no terminal and no --yes, a "no", a plan edited after planning or for',
    'another cluster, a target with members or with other offsets. Blocked groups of the plan are skipped.',
    'The approval record (who, when, plan sha256) is written to <plan>.approval.json before the first commit.',
  ].join('\n'),
  async run(context, { flags }) {
    const planFile = flags['plan'];
    if (typeof planFile !== 'string' || planFile === '') throw new RecoveryError('INVALID_INPUT', '--plan: is required. Pass --plan plan.json (written by the plan command)', { details: { field: '--plan' } });
    const { plan, sha256 } = loadPlanFile(planFile, context.io.readFile, typeof flags['plan-sha256'] === 'string' ? flags['plan-sha256'] : undefined);
    const port = await context.port();
    await requireSameCluster(port, plan, typeof flags['cluster-arn'] === 'string' ? flags['cluster-arn'] : undefined);
    const overwrite = flags['overwrite-existing-target-offsets'] === true;
    const seedable = plan.groups.filter((g) => !g.blocked);
    if (seedable.length === 0) throw refusedForSafety(`every group of ${planFile} is blocked (${plan.groups.map((g) => g.blockedReason).join('; ') || 'no groups'})`, 'Fix the cause and plan again', { field: '--plan' });
    for (const group of seedable) {
      const refusal = await targetRefusal(port, group, overwrite);
      if (refusal !== null) throw refusedForSafety(refusal.reason, refusal.fix, { targetGroup: group.targetGroup });
    }

    // The plan is shown to the person about to answer; a script with --yes gets the result only.
    if (flags['yes'] !== true && canAsk(context)) context.io.stderr.write(`${renderPlanText(plan, sha256, planFile)}\n`);
    const offsets = seedable.reduce((total, g) => total + g.offsets.length, 0);
    const consent = await askConsent(context, `Commit ${offsets} offset(s) to ${seedable.map((g) => g.targetGroup).join(', ')}: approve?`, flags['yes'] === true);
    if (!consent.approved) throw refusedForSafety(`not approved: ${consent.why}`, 'Run seed on a terminal and answer y, or pass --yes in a script');

    const approval: ApprovalDecision = {
      approved: true,
      planSha256: sha256,
      approvedBy: typeof flags['approved-by'] === 'string' ? flags['approved-by'] : (context.io.env['USER'] ?? context.io.env['LOGNAME'] ?? accountName()),
      approvedAt: new Date(context.io.now()).toISOString(),
      channel: 'cli',
      approvalId: null,
      comment: consent.how === 'yes-flag' ? 'approved with --yes' : 'approved on the terminal',
    };
    const approvalFile = approvalFileOf(planFile);
    writeFileSync(approvalFile, `${JSON.stringify(approval, null, 2)}\n`);
    const groups = await seedPlan(port, plan);
    const ok = groups.every((g) => g.status === 'SEEDED' || g.status === 'SKIPPED_BLOCKED');
    const document: SeedDocument = { planFile, planSha256: sha256, approval, approvalFile, ok, groups };
    const skipped = groups.some((g) => g.status === 'SKIPPED_BLOCKED');
    return { data: document, exitCode: !ok ? (groups.some((g) => g.committed > 0) ? EXIT_INCOMPLETE : EXIT_FAILED) : skipped ? EXIT_INCOMPLETE : EXIT_OK, human: () => renderSeed(document) };
  },
};

