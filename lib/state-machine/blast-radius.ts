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

/** One scan per failed `__consumer_offsets` partition; the shard summaries go to `$.blastRadius`. */
export function blastRadiusPhase(scope: Construct, props: BlastRadiusPhaseProps): sfn.Map {
  const shardTask = lambdaStep(scope, STATE.blastRadiusShard, {
    lambdaFunction: props.blastRadius,
    payload: { request: sfn.JsonPath.objectAt('$.request'), shard: sfn.JsonPath.objectAt('$.shard') },
    timeout: Duration.minutes(16),
  });
  const blastRadius = new sfn.Map(scope, STATE.blastRadius, {
    comment: 'One scan per failed __consumer_offsets partition',
    itemsPath: '$.diagnosis.shards',
    itemSelector: { 'request.$': '$.request', 'shard.$': '$$.Map.Item.Value' },
    maxConcurrency: props.concurrency ?? 4,
    resultPath: '$.blastRadius',
  });
  blastRadius.itemProcessor(shardTask);
  props.failure.catch(blastRadius, STATE.blastRadius);
  return blastRadius;
}
