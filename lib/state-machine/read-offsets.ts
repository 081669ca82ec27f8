import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FailurePath } from './failure-path.ts';
import { lambdaStep } from './lambda-step.ts';
import { STATE } from './state-names.ts';

export interface ReadOffsetsPhaseProps {
  readOffsets: lambda.IFunction;
  failure: FailurePath;
  /** Parallel group reads; default 4. */
  concurrency?: number;
}

/**
 * Every group the blast radius found: its offsets as the shard's one pass stored them, checked
 * for completeness; the results, per shard and per group, go to `$.groups`.
 *
 * Nested Maps (shards, then each shard's groups) instead of flattening with `[*]`: only
 * definite paths, which every interpreter evaluates alike, and an empty shard is just [].
 * A group hashes to exactly one shard, so no group is recovered twice.
 */
export function readOffsetsPhase(scope: Construct, props: ReadOffsetsPhaseProps): sfn.Map {
  const groupTask = lambdaStep(scope, STATE.readGroupOffsets, {
    lambdaFunction: props.readOffsets,
    payload: { request: sfn.JsonPath.objectAt('$.request'), groupId: sfn.JsonPath.stringAt('$.groupId'), partition: sfn.JsonPath.numberAt('$.partition') },
    timeout: Duration.minutes(6),
  });
  const readShardGroups = new sfn.Map(scope, STATE.readShardGroups, {
    comment: 'Each group of this shard, from the shard scan stored in S3',
    itemsPath: '$.groups',
    itemSelector: { 'request.$': '$.request', 'groupId.$': '$$.Map.Item.Value', 'partition.$': '$.partition' },
    maxConcurrency: props.concurrency ?? 4,
  });
  readShardGroups.itemProcessor(groupTask);
  const readOffsets = new sfn.Map(scope, STATE.readOffsets, {
    comment: 'Shards one at a time, so at most groupConcurrency reads run at once',
    itemsPath: '$.blastRadius',
    itemSelector: { 'request.$': '$.request', 'groups.$': '$$.Map.Item.Value.groupsToRecover', 'partition.$': '$$.Map.Item.Value.partition' },
    maxConcurrency: 1,
    resultPath: '$.groups',
  });
  readOffsets.itemProcessor(readShardGroups);
  props.failure.catch(readOffsets, STATE.readOffsets);
  return readOffsets;
}
