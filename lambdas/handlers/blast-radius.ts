/**
 * BlastRadius (one Map item, possibly several invocations): one pass over a failed shard's
 * window replays every group at once and stores each group's recovered offsets in the
 * artifacts bucket, where ReadOffsets reads them. Near the Lambda deadline the scan stores its
 * checkpoint and returns CONTINUE; the state machine invokes it again with that output.
 */
import type { BlastRadiusContinue, BlastRadiusOutput, BlastRadiusStepOutput } from '../core/workflow/documents.ts';
import type { ScanCheckpoint } from '../core/model.ts';
import { parseBlastRadiusInput } from '../core/workflow/step-inputs.ts';
import { scanShard, shardGroupOffsets } from '../core/operations/index.ts';
import { artifactKey, getJson, putJson, shardGroupResultKey, shardGroupResultsPrefix, shardScanPrefix } from '../aws/artifacts.ts';
import { artifactStore, defineStep, scanDeadlineAt, withKafka, type HandlerDeps } from './runtime.ts';

/** Parallel PutObjects while storing the groups: enough to hide S3 latency, few enough for one Lambda. */
const GROUP_WRITE_CONCURRENCY = 16;

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<BlastRadiusStepOutput>('blast-radius', overrides, async (event, deps, context) => {
    const { request, shard, scan: progress } = parseBlastRadiusInput(event);
    const store = artifactStore(deps);
    const prefix = shardScanPrefix(request.executionArn, shard.partition);
    const checkpoint = progress?.checkpoint ? await getJson<ScanCheckpoint>(store.s3, progress.checkpoint) : undefined;
    const continuations = progress?.continuations ?? 0;
    const deadline = scanDeadlineAt(deps, context);
    const groupResults = shardGroupResultsPrefix(request.executionArn, shard.partition);
    const outcome = await withKafka(deps, request, async (port) => {
      const scanned = await scanShard(port, { partition: shard.partition, window: { since: request.window.since } }, {
        ...(checkpoint ? { checkpoint } : {}),
        ...(deadline === undefined ? {} : { deadline }),
      });
      if (scanned.status === 'done') {
        // A requested group without commits gets its (empty) result too: ReadOffsets reports it MISSING, as a scan would.
        const queue = shard.groups === null ? scanned.shard.groups() : [...shard.groups].sort();
        const writer = async (): Promise<void> => {
          for (let groupId = queue.shift(); groupId !== undefined; groupId = queue.shift()) {
            await putJson(store, shardGroupResultKey(groupResults, groupId), await shardGroupOffsets(port, scanned.shard, groupId));
          }
        };
        await Promise.all(Array.from({ length: Math.min(GROUP_WRITE_CONCURRENCY, queue.length) }, writer));
      }
      return scanned;
    });

    if (outcome.status === 'continue') {
      const ref = await putJson(store, `${prefix}checkpoint.json`, outcome.checkpoint);
      const position = outcome.checkpoint.position;
      deps.logger.info('shard scan continues in the next invocation', { partition: shard.partition, nextOffset: position.nextOffset, endOffset: position.endOffset, continuations: continuations + 1 });
      const next: BlastRadiusContinue = {
        status: 'CONTINUE',
        partition: shard.partition,
        brokerId: shard.brokerId,
        continuations: continuations + 1,
        checkpoint: ref,
        nextOffset: position.nextOffset,
        endOffset: position.endOffset,
      };
      return next;
    }

    const result = outcome.shard.affectedGroups();
    const all = result.groups.map((g) => g.groupId);
    const groupsToRecover = shard.groups === null ? all : [...shard.groups].sort();
    const missing = groupsToRecover.filter((g) => !all.includes(g));
    if (missing.length > 0) deps.logger.warn('requested groups have no commits on the shard in the window', { partition: shard.partition, missing });

    const topics = [...new Set(result.groups.flatMap((g) => [...g.topics, ...g.subscribedTopics]))].sort();
    deps.logger.info('shard scanned', { partition: shard.partition, groups: all.length, stored: groupsToRecover.length, bytes: result.scan.bytes, records: result.scan.records, continuations });
    const done: BlastRadiusOutput = {
      status: 'DONE',
      partition: shard.partition,
      brokerId: shard.brokerId,
      continuations,
      bytesRead: result.scan.bytes,
      records: result.scan.records,
      groupCount: groupsToRecover.length,
      affectedGroupCount: all.length,
      topicCount: topics.length,
      // Always by reference: the Map gathers every shard's output into one state.
      detail: { artifact: await putJson(store, artifactKey(request.executionArn, `blast-radius/partition-${shard.partition}.json`), result) },
      groupResults,
    };
    return done;
  });
}

export const handler = createHandler();
