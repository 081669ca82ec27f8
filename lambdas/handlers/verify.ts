/** Verify: OffsetFetch on every seeded target equals the plan. */
import type { VerifyOutput } from '../core/workflow/documents.ts';
import { verifyPlan } from '../core/workflow/verification.ts';
import { parseVerifyInput } from '../core/workflow/step-inputs.ts';
import { loadPlan } from './plan-loader.ts';
import { defineStep, withKafka, type HandlerDeps } from './runtime.ts';

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<VerifyOutput>('verify', overrides, async (event, deps) => {
    const { request, plan } = parseVerifyInput(event);
    const document = await loadPlan(deps, request, plan);
    const result = await withKafka(deps, request, (port) => verifyPlan(port, document));
    deps.logger.info('verified', { ok: result.ok, groups: result.groups.map((g) => ({ target: g.targetGroup, ok: g.ok, mismatches: g.mismatches.length })) });
    return result;
  });
}

export const handler = createHandler();
