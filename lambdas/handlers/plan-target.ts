/**
 * PlanTarget: target names, their coordinators, the offsets to seed, the diff; stored in S3 for
 * the audit trail. The groups come from the ReadOffsets Distributed Map's result files: each
 * succeeded item's recovery, and each failed item as a group that could not be read, which the
 * plan names instead of failing the run.
 */
import { randomUUID } from 'node:crypto';
import { mapLimited } from '../core/concurrency.ts';
import type { GroupRecovery, PlanTargetOutput, ReadOffsetsOutput, RecoveryRequest, UnreadGroup } from '../core/workflow/documents.ts';
import { planTargets, summarizePlan } from '../core/workflow/planning.ts';
import { parsePlanTargetInput } from '../core/workflow/step-inputs.ts';
import { ARTIFACT_NAMES, artifactKey, parseGroupResultKey, putJson, resolveStored } from '../aws/artifacts.ts';
import { readMapRunResults, type ChildExecutionRecord } from '../aws/map-run-results.ts';
import { ENV, optionalEnv } from './env.ts';
import { artifactStore, defineStep, withKafka, type HandlerDeps } from './runtime.ts';

/** Parallel GetObjects while gathering the groups' recoveries. */
const READ_CONCURRENCY = 16;

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A Lambda failure's Cause is `{"errorType","errorMessage","trace"}`: people want the message. */
export function readableCause(cause: string | undefined): string {
  const parsed = parseJson(cause);
  if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { errorMessage?: unknown }).errorMessage === 'string') return (parsed as { errorMessage: string }).errorMessage;
  return cause ?? '';
}

/** The group a failed (or pending) item stood for, from the key it was given, and why it failed. */
function unreadGroupOf(request: RecoveryRequest, record: ChildExecutionRecord): UnreadGroup {
  const input = parseJson(record.Input);
  const key = typeof input === 'object' && input !== null ? (input as { groupResultKey?: unknown }).groupResultKey : undefined;
  const named = typeof key === 'string' ? parseGroupResultKey(request.executionArn, key) : null;
  return {
    groupId: named?.groupId ?? (typeof key === 'string' ? key : record.ExecutionArn),
    partition: named?.partition ?? null,
    error: record.Error ?? record.Status,
    cause: readableCause(record.Cause),
  };
}

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<PlanTargetOutput>('plan-target', overrides, async (event, deps) => {
    const input = parsePlanTargetInput(event);
    const store = artifactStore(deps);
    const targetGroupPattern = optionalEnv(ENV.TARGET_GROUP_PATTERN, deps.env);
    let gathered: { outputs: ReadOffsetsOutput[]; unread: UnreadGroup[] } = { outputs: [], unread: [] };
    if (Array.isArray(input.groups)) gathered.outputs = input.groups;
    else {
      const run = await readMapRunResults<ReadOffsetsOutput>(store.s3, input.groups.ResultWriterDetails);
      gathered = { outputs: run.succeeded, unread: run.unfinished.map((record) => unreadGroupOf(input.request, record)) };
    }
    const recoveries: GroupRecovery[] = await mapLimited(gathered.outputs, READ_CONCURRENCY, (item) => resolveStored(store.s3, item));
    if (gathered.unread.length > 0) deps.logger.warn('groups whose offsets could not be read', { count: gathered.unread.length, groups: gathered.unread.slice(0, 20) });
    const plan = await withKafka(deps, input.request, (port) =>
      planTargets(port, {
        request: input.request,
        failedShards: input.failedShards,
        failingBrokers: input.failingBrokers,
        recoveries,
        unreadGroups: gathered.unread,
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
