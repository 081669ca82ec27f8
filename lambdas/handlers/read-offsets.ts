/** ReadOffsets (one Map item): a group's committed offsets from the raw log, with the completeness check. */
import type { GroupRecovery, ReadOffsetsOutput } from '../core/workflow/documents.ts';
import { parseReadOffsetsInput } from '../core/workflow/step-inputs.ts';
import { checkCompleteness, readCommittedOffsets } from '../core/operations/index.ts';
import { artifactKey, putJson } from '../aws/artifacts.ts';
import { artifactStore, defineStep, scanDeadline, withKafka, type HandlerDeps } from './runtime.ts';

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<ReadOffsetsOutput>('read-offsets', overrides, async (event, deps, context) => {
    const { request, groupId } = parseReadOffsetsInput(event);
    const signal = scanDeadline(deps, context);
    const recovery: GroupRecovery = await withKafka(deps, request, async (port) => {
      const offsets = await readCommittedOffsets(port, groupId, { since: request.window.since }, signal ? { signal } : {});
      return { groupId, offsets, completeness: await checkCompleteness(port, offsets) };
    });
    deps.logger.info('offsets recovered', {
      groupId,
      topics: Object.keys(recovery.offsets.offsets).length,
      complete: recovery.completeness.complete,
      issues: recovery.completeness.issues.length,
    });
    // Always by reference: the Map gathers every group's output into one state.
    return { artifact: await putJson(artifactStore(deps), artifactKey(request.executionArn, `read-offsets/${encodeURIComponent(groupId)}.json`), recovery) };
  });
}

export const handler = createHandler();
