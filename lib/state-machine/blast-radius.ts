import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FailurePath } from './failure-path.ts';
import { lambdaStep } from './lambda-step.ts';
import { STATE } from './state-names.ts';

export interface BlastRadiusPhaseProps {
  blastRadius: lambda.IFunction;
  failure: FailurePath;
  /** Parallel shard scans; default 4 (each reads a whole __consumer_offsets partition). */
  concurrency?: number;
}

/**
 * One pass per failed `__consumer_offsets` partition; the shard summaries go to `$.blastRadius`,
 * every group's offsets to the artifacts bucket. A scan that reaches its Lambda's deadline
 * returns CONTINUE with a checkpoint, and the Choice invokes it again from there: a long shard
 * takes several invocations, never a retry from offset zero.
 */
export function blastRadiusPhase(scope: Construct, props: BlastRadiusPhaseProps): sfn.Map {
  const shardTask = lambdaStep(scope, STATE.blastRadiusShard, {
    lambdaFunction: props.blastRadius,
    payload: { request: sfn.JsonPath.objectAt('$.request'), shard: sfn.JsonPath.objectAt('$.shard'), scan: sfn.JsonPath.objectAt('$.scan') },
    resultPath: '$.scan',
    timeout: Duration.minutes(16),
  });
  const scanned = new sfn.Pass(scope, STATE.shardScanned, { comment: 'The shard summary is the item result', outputPath: '$.scan' });
  const done = new sfn.Choice(scope, STATE.shardScanDone)
    // isPresent first: a Choice on a missing path fails the run.
    .when(sfn.Condition.and(sfn.Condition.isPresent('$.scan.status'), sfn.Condition.stringEquals('$.scan.status', 'CONTINUE')), shardTask)
    .otherwise(scanned);
  const blastRadius = new sfn.Map(scope, STATE.blastRadius, {
    comment: 'One pass per failed __consumer_offsets partition',
    itemsPath: '$.diagnosis.shards',
    itemSelector: { 'request.$': '$.request', 'shard.$': '$$.Map.Item.Value', scan: { continuations: 0 } },
    maxConcurrency: props.concurrency ?? 4,
    resultPath: '$.blastRadius',
  });
  blastRadius.itemProcessor(shardTask.next(done));
  props.failure.catch(blastRadius, STATE.blastRadius);
  return blastRadius;
}
