/** Verify: OffsetFetch on every seeded target equals the plan. */
import type { VerifyOutput } from '../core/workflow/documents.ts';
import { verifyPlan } from '../core/workflow/verification.ts';
import { parseVerifyInput } from '../core/workflow/step-inputs.ts';
import { loadPlan } from './plan-loader.ts';
import { artifactKey, putJson } from '../aws/artifacts.ts';
import { capVerification } from '../core/workflow/inline-limits.ts';
import { artifactStore, defineStep, withKafka, type HandlerDeps } from './runtime.ts';

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<VerifyOutput>('verify', overrides, async (event, deps) => {
    const { request, plan } = parseVerifyInput(event);
    const document = await loadPlan(deps, request, plan);
    const result = await withKafka(deps, request, (port) => verifyPlan(port, document));
    const fullResult = await putJson(artifactStore(deps), artifactKey(request.executionArn, 'verify-result.json'), result);
    deps.logger.info('verified', { ok: result.ok, groups: result.groups.map((g) => ({ target: g.targetGroup, ok: g.ok, mismatches: g.mismatches.length })) });
    return { ok: result.ok, groups: result.groups.map((g) => capVerification(g)), fullResult };
  });
}

export const handler = createHandler();
