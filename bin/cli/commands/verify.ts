/** verify: OffsetFetch on every seeded target must return exactly the plan. Read-only. */
import { RecoveryError } from '../../../lambdas/core/errors.ts';
import type { VerifyResultDocument } from '../../../lambdas/core/workflow/documents.ts';
import { verifyPlan } from '../../../lambdas/core/workflow/verification.ts';
import type { Command } from '../command.ts';
import { EXIT_FAILED, EXIT_OK } from '../exit-codes.ts';
import { loadPlanFile, requireSameCluster } from '../plan-file.ts';
import { renderTable } from '../table.ts';

export function renderVerify(result: VerifyResultDocument): string {
  const lines: string[] = [];
  for (const group of result.groups) {
    if (group.error) lines.push(`${group.targetGroup}: FAILED to read its offsets: ${group.error}`);
    else if (group.ok) lines.push(`${group.targetGroup}: OK, all ${group.matched} partition(s) match the plan`);
    else {
      lines.push(`${group.targetGroup}: ${group.mismatches.length} MISMATCH(ES), ${group.matched} partition(s) match`);
      lines.push(renderTable(['TOPIC', 'PARTITION', 'PLANNED', 'ACTUAL'], group.mismatches.map((m) => [m.topic, String(m.partition), m.expected, m.actual ?? 'none']), { rightAlign: [1, 2, 3] }));
    }
  }
  if (result.groups.length === 0) lines.push('nothing to verify: every group of the plan is blocked');
  return lines.join('\n');
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: "check that each target group's committed offsets equal the plan (exit 0) or list the mismatches (exit 1)",
  positionals: [],
  flags: {
    plan: { type: 'string', placeholder: 'FILE', description: 'the plan that was seeded (required)' },
    'cluster-arn': { type: 'string', placeholder: 'ARN', description: 'for plans that name an MSK cluster ARN' },
  },
  details: 'Example: coordinator-recovery verify --plan plan.json\nBlocked groups were never seeded and are not checked. Read-only.',
  async run(context, { flags }) {
    const planFile = flags['plan'];
    if (typeof planFile !== 'string' || planFile === '') throw new RecoveryError('INVALID_INPUT', '--plan: is required. Pass --plan plan.json (the plan that was seeded)', { details: { field: '--plan' } });
    const { plan } = loadPlanFile(planFile, context.io.readFile, undefined);
    const port = await context.port();
    await requireSameCluster(port, plan, typeof flags['cluster-arn'] === 'string' ? flags['cluster-arn'] : undefined);
    const result = await verifyPlan(port, plan);
    return { data: result, exitCode: result.ok ? EXIT_OK : EXIT_FAILED, human: () => renderVerify(result) };
  },
};
