/** BlastRadius (one Map item): which groups and topics a failed shard holds, read from the raw log. */
import type { BlastRadiusOutput } from '../core/workflow/documents.ts';
import { parseBlastRadiusInput } from '../core/workflow/step-inputs.ts';
import { affectedGroups } from '../core/operations/index.ts';
import { artifactKey, putJson } from '../aws/artifacts.ts';
import { artifactStore, defineStep, scanDeadline, withKafka, type HandlerDeps } from './runtime.ts';

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<BlastRadiusOutput>('blast-radius', overrides, async (event, deps, context) => {
    const { request, shard } = parseBlastRadiusInput(event);
    const signal = scanDeadline(deps, context);
    const result = await withKafka(deps, request, (port) =>
      affectedGroups(port, shard.partition, { since: request.window.since }, signal ? { signal } : {}),
    );
    const all = result.groups.map((g) => g.groupId).sort();
    const groupsToRecover = shard.groups === null ? all : [...shard.groups].sort();
    const missing = groupsToRecover.filter((g) => !all.includes(g));
    if (missing.length > 0) deps.logger.warn('requested groups have no commits on the shard in the window', { partition: shard.partition, missing });
    const topics = [...new Set(result.groups.flatMap((g) => [...g.topics, ...g.subscribedTopics]))].sort();
    return {
      partition: shard.partition,
      brokerId: shard.brokerId,
      groupsToRecover,
      affectedGroups: all,
      topics,
      // Always by reference: the Map gathers every shard's output into one state.
      detail: { artifact: await putJson(artifactStore(deps), artifactKey(request.executionArn, `blast-radius/partition-${shard.partition}.json`), result) },
    };
  });
}

export const handler = createHandler();
