/**
 * ReadOffsets (one Map item): a group's committed offsets as its shard's one-pass scan stored
 * them (BlastRadius), with the completeness check against the topics' current log ranges. Reads
 * no `__consumer_offsets` data: the shard was read once, by BlastRadius.
 */
import type { GroupOffsetsResult } from '../core/model.ts';
import { invalidInput, RecoveryError } from '../core/errors.ts';
import type { GroupRecovery, ReadOffsetsOutput } from '../core/workflow/documents.ts';
import { parseReadOffsetsInput } from '../core/workflow/step-inputs.ts';
import { checkCompleteness } from '../core/operations/index.ts';
import { artifactKey, getJsonIfExists, groupResultsRoot, parseGroupResultKey, putJson, shardGroupResultKey, shardGroupResultsPrefix } from '../aws/artifacts.ts';
import { artifactStore, defineStep, withKafka, type HandlerDeps } from './runtime.ts';

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<ReadOffsetsOutput>('read-offsets', overrides, async (event, deps) => {
    const input = parseReadOffsetsInput(event);
    const request = input.request;
    let groupId: string;
    let partition: number;
    if ('groupResultKey' in input) {
      const named = parseGroupResultKey(request.executionArn, input.groupResultKey);
      if (!named) {
        throw invalidInput('groupResultKey', `"${input.groupResultKey}" is not a group result of this execution`, `Pass a key under ${groupResultsRoot(request.executionArn)} as the shard scan stored it`);
      }
      ({ groupId, partition } = named);
    } else {
      ({ groupId, partition } = input);
    }
    const store = artifactStore(deps);
    const location = { bucket: store.bucket, key: shardGroupResultKey(shardGroupResultsPrefix(request.executionArn, partition), groupId) };
    const stored = await getJsonIfExists<GroupOffsetsResult>(store.s3, location);
    if (!stored) {
      throw new RecoveryError('NOT_FOUND', `No scan result for group "${groupId}" at s3://${location.bucket}/${location.key}`, {
        details: { ...location, fix: `Run BlastRadius for __consumer_offsets-${partition} in this execution first, or check "partition" is the group's shard.` },
      });
    }
    const offsets = stored.document;
    if (offsets.groupId !== groupId || offsets.offsetsPartition !== partition) {
      throw new RecoveryError('CORRUPT_DATA', `s3://${location.bucket}/${location.key} holds group "${offsets.groupId}" of partition ${offsets.offsetsPartition}, not "${groupId}" of ${partition}`, { details: location });
    }
    const recovery: GroupRecovery = await withKafka(deps, request, async (port) => ({ groupId, offsets, completeness: await checkCompleteness(port, offsets) }));
    deps.logger.info('offsets recovered', {
      groupId,
      topics: Object.keys(recovery.offsets.offsets).length,
      complete: recovery.completeness.complete,
      issues: recovery.completeness.issues.length,
    });
    // Always by reference: the Map gathers every group's output into one state.
    return { artifact: await putJson(store, artifactKey(request.executionArn, `read-offsets/${encodeURIComponent(groupId)}.json`), recovery) };
  });
}

export const handler = createHandler();
