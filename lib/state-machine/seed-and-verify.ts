import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FailurePath } from './failure-path.ts';
import { lambdaStep } from './lambda-step.ts';
import { STATE } from './state-names.ts';

export interface SeedAndVerifyPhaseProps {
  seedOffsets: lambda.IFunction;
  verify: lambda.IFunction;
  failure: FailurePath;
}

/**
 * The only write: SeedOffsets commits the approved plan to the target groups (`$.seed`), then
 * Verify reads them back with OffsetFetch (`$.verify`).
 */
export function seedAndVerifyPhase(scope: Construct, props: SeedAndVerifyPhaseProps): sfn.Chain {
  const request = sfn.JsonPath.objectAt('$.request');
  const seedOffsets = lambdaStep(scope, STATE.seedOffsets, {
    lambdaFunction: props.seedOffsets,
    payload: { request, plan: sfn.JsonPath.objectAt('$.plan'), approval: sfn.JsonPath.objectAt('$.approval') },
    resultPath: '$.seed',
    timeout: Duration.minutes(6),
  });
  props.failure.catch(seedOffsets, STATE.seedOffsets);

  const verify = lambdaStep(scope, STATE.verify, {
    lambdaFunction: props.verify,
    payload: { request, plan: sfn.JsonPath.objectAt('$.plan'), seed: sfn.JsonPath.objectAt('$.seed') },
    resultPath: '$.verify',
    timeout: Duration.minutes(6),
  });
  props.failure.catch(verify, STATE.verify);

  return sfn.Chain.start(seedOffsets).next(verify);
}
