/**
 * plan: the workflow's PlanTarget from a terminal. Recovers each group's offsets from the raw
 * log, checks them, picks (or checks the given) target group on a healthy coordinator with no
 * members, diffs the offsets the target already has, and writes the same plan document the
 * workflow stores, with its sha256 beside it. Read-only: nothing is committed here.
 */
import { randomUUID } from 'node:crypto';
import { invalidInput } from '../../../lambdas/core/errors.ts';
import { checkCompleteness, readCommittedOffsets } from '../../../lambdas/core/operations/index.ts';
import type { GroupRecovery, RecoveryPlan, RecoveryRequest } from '../../../lambdas/core/workflow/documents.ts';
import { diagnoseCoordinators } from '../../../lambdas/core/workflow/diagnosis.ts';
import { planTargets } from '../../../lambdas/core/workflow/planning.ts';
import { renderPlanText } from '../../../lambdas/core/workflow/plan-text.ts';
import { PROGRAM, type Command, type FlagValues } from '../command.ts';
import { EXIT_INCOMPLETE, EXIT_OK } from '../exit-codes.ts';
import { clusterIdentity, hashFileOf, writePlanFiles } from '../plan-file.ts';
import { SCAN_FLAGS, scanOptions, scanWindow } from './scan-flags.ts';


/** `--target NAME` for a single group, `--target SOURCE=NAME` (repeatable) for several. */
export function parseTargets(values: readonly string[], groups: readonly string[]): Record<string, string> {
  const targets: Record<string, string> = {};
  for (const value of values) {
    const pair = /^([^=]+)=(.+)$/.exec(value);
    if (pair) {
      const [, source, target] = pair as unknown as [string, string, string];
      if (!groups.includes(source)) throw invalidInput('--target', `"${source}" is not one of the groups to plan (${groups.join(', ')})`, `Write --target SOURCE=TARGET with SOURCE one of them`);
      targets[source] = target;
    } else if (groups.length === 1) {
      targets[groups[0] as string] = value;
    } else {
      throw invalidInput('--target', `"${value}" does not say which of the ${groups.length} groups it is for`, `Write --target SOURCE=TARGET, e.g. --target ${groups[0]}=${groups[0]}-v2`);
    }
  }
  for (const [source, target] of Object.entries(targets)) {
    if (target === source) throw invalidInput('--target', `"${target}" is the group being recovered`, 'Name a new group; the old one answers NOT_COORDINATOR');
    if (target.length > 249) throw invalidInput('--target', `"${target.slice(0, 20)}..." is longer than 249 characters`, 'Pick a shorter group id');
  }
  return targets;
}

function stringList(value: FlagValues[string]): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [String(value)];
}

export interface PlanCommandDocument {
  planFile: string;
  planSha256: string;
  plan: RecoveryPlan;
  recoveries: { groupId: string; complete: boolean; issues: string[]; scanComplete: boolean }[];
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'recover the offsets of groups, pick target groups on healthy coordinators and write the plan to seed (nothing is written to Kafka)',
  positionals: [{ name: 'group', description: 'consumer group id(s) to recover', variadic: true }],
  flags: {
    out: { type: 'string', placeholder: 'FILE', description: 'where to write the plan (required); its sha256 goes to FILE.sha256' },
    target: { type: 'string', multiple: true, placeholder: 'NAME', description: 'target group (one group), or SOURCE=NAME per group; default: a suggested <group>-recovered-<n>' },
    'in-place': { type: 'boolean', description: 'restore each group into itself (its coordinator must answer and the group must have no members: the Kafka 3.x offsets-lost-on-load case)' },
    'overwrite-existing-target-offsets': { type: 'boolean', description: 'plan over a target that already has different offsets (they are shown as a diff)' },
    'cluster-arn': { type: 'string', placeholder: 'ARN', description: 'name the cluster by its MSK ARN in the plan (default: the cluster id from metadata)' },
    comment: { type: 'string', placeholder: 'TEXT', description: 'free text for the plan and approval record, e.g. an incident id' },
    ...SCAN_FLAGS,
  },
  details: [
    'Example: coordinator-recovery plan orders-service --since 6h --target orders-service-v2 --out plan.json',
    '         coordinator-recovery plan payments-service --in-place --out plan.json   # after diagnose says OFFSETS_LOST_ON_LOAD',
    `Then review it and run: ${PROGRAM} seed --plan plan.json`,
    'With --in-place the group itself takes its offsets back (checked live: Empty or Dead, no members);',
    'a group whose coordinator answers NOT_COORDINATOR (a FAILED shard) needs a new group instead.',
    'A group is BLOCKED (kept in the plan, never seeded) when its target has members, has different',
    'offsets (without --overwrite-existing-target-offsets), lands on a failed shard or nothing was recovered;',
    `the exit code is then ${EXIT_INCOMPLETE}.`,
  ].join('\n'),
  async run(context, { positionals, flags }) {
    const out = flags['out'];
    if (typeof out !== 'string' || out.trim() === '') throw invalidInput('--out', 'is required', 'Pass --out plan.json: seed and verify read the plan from there');
    const groups = [...new Set(positionals)].sort();
    const targetNames = parseTargets(stringList(flags['target']), groups);
    const inPlace = flags['in-place'] === true;
    if (inPlace && Object.keys(targetNames).length > 0) {
      throw invalidInput('--in-place', 'restores each group into itself, so --target has nothing to name', 'Drop --target to restore in place, or drop --in-place to recover into the named group');
    }
    const now = context.io.now();
    const window = scanWindow(flags, now);
    const port = await context.port();
    const clusterArn = typeof flags['cluster-arn'] === 'string' ? flags['cluster-arn'] : await clusterIdentity(port);
    const planId = randomUUID();
    const request: RecoveryRequest = {
      clusterArn,
      region: '',
      groups,
      window: { since: window.since ?? 0, until: now },
      targetNames,
      overwriteExistingTargetOffsets: flags['overwrite-existing-target-offsets'] === true,
      restoreInPlace: inPlace,
      authMode: 'plaintext',
      executionArn: `cli:${planId}`,
      trigger: { source: 'cli', alarmName: null, alarmTime: null },
      comment: typeof flags['comment'] === 'string' ? flags['comment'] : null,
    };
    context.progress('checking the coordinators of the groups');
    // In place, the comparison with the raw log tells which shards lost offsets on load (the plan warns about their next load).
    const diagnosis = await diagnoseCoordinators(port, request, [], { compareRequestedWithLog: inPlace });
    for (const groupId of groups) {
      if (!inPlace && !diagnosis.failedShards.includes(diagnosis.liveChecks.find((c) => c.groupId === groupId)?.partition ?? -1)) {
        context.note(`note: ${groupId}: its coordinator answers group calls; planning anyway (a migration, not a recovery)`);
      }
    }
    const recoveries: GroupRecovery[] = [];
    for (const groupId of groups) {
      const offsets = await readCommittedOffsets(port, groupId, window, scanOptions(context));
      recoveries.push({ groupId, offsets, completeness: await checkCompleteness(port, offsets) });
    }
    const plan = await planTargets(port, {
      request,
      failedShards: diagnosis.failedShards,
      failingBrokers: diagnosis.failingBrokers,
      recoveries,
      planId,
      now: new Date(now),
    });
    const planSha256 = writePlanFiles(out, plan);
    const document: PlanCommandDocument = {
      planFile: out,
      planSha256,
      plan,
      recoveries: recoveries.map((r) => ({
        groupId: r.groupId,
        complete: r.completeness.complete,
        issues: r.completeness.issues.map((i) => `${i.kind}: ${i.message}`),
        scanComplete: r.offsets.scan.complete,
      })),
    };
    const blocked = plan.groups.some((g) => g.blocked);
    return {
      data: document,
      exitCode: blocked ? EXIT_INCOMPLETE : EXIT_OK,
      human: () =>
        [
          renderPlanText(plan, planSha256, out).trimEnd(),
          '',
          `Wrote ${out} and ${hashFileOf(out)}. Nothing was written to Kafka.`,
          `Next: ${PROGRAM} seed --plan ${out}   (asks before writing; --yes for scripts)`,
        ].join('\n'),
    };
  },
};
