/** PlanTarget: target names, their coordinators, the offsets to seed, the diff; stored in S3 for the audit trail. */
import { randomUUID } from 'node:crypto';
import type { GroupRecovery, PlanTargetOutput } from '../core/workflow/documents.ts';
import { planTargets, summarizePlan } from '../core/workflow/planning.ts';
import { parsePlanTargetInput } from '../core/workflow/step-inputs.ts';
import { ARTIFACT_NAMES, artifactKey, putJson, resolveStored } from '../aws/artifacts.ts';
import { ENV, optionalEnv } from './env.ts';
import { artifactStore, defineStep, withKafka, type HandlerDeps } from './runtime.ts';

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<PlanTargetOutput>('plan-target', overrides, async (event, deps) => {
    const input = parsePlanTargetInput(event);
    const store = artifactStore(deps);
    const targetGroupPattern = optionalEnv(ENV.TARGET_GROUP_PATTERN, deps.env);
    const recoveries: GroupRecovery[] = [];
    for (const item of input.groups) recoveries.push(await resolveStored(store.s3, item));
    const plan = await withKafka(deps, input.request, (port) =>
      planTargets(port, {
        request: input.request,
        failedShards: input.failedShards,
        failingBrokers: input.failingBrokers,
        recoveries,
        planId: randomUUID(),
        now: deps.now(),
        ...(targetGroupPattern ? { targetGroupPattern } : {}),
      }),
    );
    const ref = await putJson(store, artifactKey(input.request.executionArn, ARTIFACT_NAMES.plan), plan);
    const summary = summarizePlan(plan);
    deps.logger.info('plan stored', { key: ref.key, sha256: ref.sha256, ...summary });
    return { plan: ref, planSha256: ref.sha256, summary };
  });
}

export const handler = createHandler();
