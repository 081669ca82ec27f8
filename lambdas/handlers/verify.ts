/** Verify: OffsetFetch on every seeded target equals the plan. */
import type { VerifyOutput } from '../core/workflow/documents.ts';
import { verifyPlan } from '../core/workflow/verification.ts';
import { parseVerifyInput } from '../core/workflow/step-inputs.ts';
import { loadPlan } from './plan-loader.ts';
import { ARTIFACT_NAMES, artifactKey, putJson } from '../aws/artifacts.ts';
import { artifactStore, defineStep, withKafka, type HandlerDeps } from './runtime.ts';

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<VerifyOutput>('verify', overrides, async (event, deps) => {
    const { request, plan } = parseVerifyInput(event);
    const document = await loadPlan(deps, request, plan);
    const result = await withKafka(deps, request, (port) => verifyPlan(port, document));
    const fullResult = await putJson(artifactStore(deps), artifactKey(request.executionArn, ARTIFACT_NAMES.verifyResult), result);
    const verified = result.groups.filter((g) => g.ok).length;
    deps.logger.info('verified', { ok: result.ok, verified, failed: result.groups.length - verified, key: fullResult.key });
    // Counts only: every group's verification is in verify-result.json.
    return { ok: result.ok, groups: { verified, failed: result.groups.length - verified }, fullResult };
  });
}

export const handler = createHandler();
