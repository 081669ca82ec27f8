/**
 * PlanTarget: target names, their coordinators, the offsets to seed, the diff; stored in S3 for
 * the audit trail. The groups come from the ReadOffsets Distributed Map's result files: each
 * succeeded item's recovery, and each failed item as a group that could not be read, which the
 * plan names instead of failing the run.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { GroupRecovery, PlanTargetOutput, ReadOffsetsOutput, ReadOffsetsResults, RecoveryRequest, UnreadGroup } from '../core/workflow/documents.ts';
import { parseChildResults, parseMapRunManifest, readableCause, type ChildExecutionResult } from '../core/workflow/map-run-results.ts';
import { planTargets, summarizePlan } from '../core/workflow/planning.ts';
import { parsePlanTargetInput } from '../core/workflow/step-inputs.ts';
import { ARTIFACT_NAMES, artifactKey, getJson, parseGroupResultKey, putJson, resolveStored } from '../aws/artifacts.ts';
import { ENV, optionalEnv } from './env.ts';
import { artifactStore, defineStep, withKafka, type HandlerDeps } from './runtime.ts';

/** Parallel GetObjects while gathering the groups' recoveries. */
const READ_CONCURRENCY = 16;

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function unreadGroupOf(request: RecoveryRequest, child: ChildExecutionResult, status: string): UnreadGroup {
  const key = typeof child.input === 'object' && child.input !== null ? (child.input as { groupResultKey?: unknown }).groupResultKey : undefined;
  const named = typeof key === 'string' ? parseGroupResultKey(request.executionArn, key) : null;
  return {
    groupId: named?.groupId ?? (typeof key === 'string' ? key : (child.name ?? 'unknown item')),
    partition: named?.partition ?? null,
    error: child.error ?? status,
    cause: readableCause(child.cause),
  };
}

async function gatherMapRun(s3: S3Client, request: RecoveryRequest, results: ReadOffsetsResults): Promise<{ outputs: ReadOffsetsOutput[]; unread: UnreadGroup[] }> {
  const bucket = results.ResultWriterDetails.Bucket;
  const manifestKey = results.ResultWriterDetails.Key;
  const files = parseMapRunManifest(await getJson<unknown>(s3, { bucket, key: manifestKey }), `s3://${bucket}/${manifestKey}`);
  const read = async (key: string): Promise<ChildExecutionResult[]> => parseChildResults(await getJson<unknown>(s3, { bucket, key }), `s3://${bucket}/${key}`);
  const outputs = (await mapLimited(files.succeeded, READ_CONCURRENCY, read)).flat().map((child) => child.output as ReadOffsetsOutput);
  const unread = [
    ...(await mapLimited(files.failed, READ_CONCURRENCY, read)).flat().map((child) => unreadGroupOf(request, child, 'FAILED')),
    // A map run that ended with items still pending did not read them either.
    ...(await mapLimited(files.pending, READ_CONCURRENCY, read)).flat().map((child) => unreadGroupOf(request, child, 'PENDING')),
  ];
  return { outputs, unread };
}

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<PlanTargetOutput>('plan-target', overrides, async (event, deps) => {
    const input = parsePlanTargetInput(event);
    const store = artifactStore(deps);
    const targetGroupPattern = optionalEnv(ENV.TARGET_GROUP_PATTERN, deps.env);
    const gathered = Array.isArray(input.groups) ? { outputs: input.groups, unread: [] } : await gatherMapRun(store.s3, input.request, input.groups);
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
