/** SeedOffsets: after approval, commit exactly the approved plan to the target groups. */
import { invalidInput } from '../core/errors.ts';
import type { GroupSeedResult, SeedCounts, SeedOffsetsOutput, SeedResultDocument } from '../core/workflow/documents.ts';
import { seedPlan } from '../core/workflow/seeding.ts';
import { parseSeedOffsetsInput } from '../core/workflow/step-inputs.ts';
import { ARTIFACT_NAMES, artifactKey, getJsonIfExists, putJson, putJsonIfAbsent, serializeDocument, sha256Hex } from '../aws/artifacts.ts';
import { loadPlan } from './plan-loader.ts';
import { artifactStore, defineStep, withKafka, type HandlerDeps } from './runtime.ts';

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<SeedOffsetsOutput>('seed-offsets', overrides, async (event, deps) => {
    const { request, plan, approval } = parseSeedOffsetsInput(event, deps.now());
    if (approval.planSha256 !== plan.planSha256) {
      throw invalidInput(
        'approval.planSha256',
        `${approval.planSha256} is not the hash of the plan awaiting approval (${plan.planSha256})`,
        'Copy planSha256 from the approval message; approving binds to that exact plan',
      );
    }
    const document = await loadPlan(deps, request, plan);
    const store = artifactStore(deps);

    // The approval is recorded once, before the first write, so the audit trail has it even if seeding fails.
    const approvalKey = artifactKey(request.executionArn, ARTIFACT_NAMES.approval);
    let approvalRecord = await putJsonIfAbsent(store, approvalKey, approval);
    if (approvalRecord === null) {
      const existing = await getJsonIfExists(store.s3, { bucket: store.bucket, key: approvalKey });
      const text = existing?.text ?? serializeDocument(approval);
      approvalRecord = { bucket: store.bucket, key: approvalKey, bytes: Buffer.byteLength(text), sha256: sha256Hex(text) };
    }

    const groups = await withKafka(deps, request, (port) => seedPlan(port, document));
    const ok = groups.every((g) => g.status === 'SEEDED' || g.status === 'SKIPPED_BLOCKED');
    const result: SeedResultDocument = { planSha256: plan.planSha256, ok, groups };
    const fullResult = await putJson(store, artifactKey(request.executionArn, ARTIFACT_NAMES.seedResult), result);
    const counts = countSeedResults(groups);
    deps.logger.info('seeded', { ok, ...counts, key: fullResult.key });
    // Counts only: the per-group results are in seed-result.json, however many groups there are.
    return { planSha256: plan.planSha256, ok, groups: counts, approvalRecord, fullResult };
  });
}

export function countSeedResults(groups: GroupSeedResult[]): SeedCounts {
  const count = (status: GroupSeedResult['status']): number => groups.filter((g) => g.status === status).length;
  return { seeded: count('SEEDED'), partial: count('PARTIAL'), failed: count('FAILED'), skippedBlocked: count('SKIPPED_BLOCKED') };
}

export const handler = createHandler();
