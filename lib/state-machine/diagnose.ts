import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FailurePath } from './failure-path.ts';
import { lambdaStep } from './lambda-step.ts';
import { STATE } from './state-names.ts';

export interface DiagnosePhaseProps {
  diagnose: lambda.IFunction;
  failure: FailurePath;
}

/**
 * Diagnose validates the execution input into `request` and finds the failed shards; then the
 * state keeps only `{ request, diagnosis }`.
 */
export function diagnosePhase(scope: Construct, props: DiagnosePhaseProps): sfn.Chain {
  const diagnose = lambdaStep(scope, STATE.diagnose, {
    lambdaFunction: props.diagnose,
    payload: {
      input: sfn.JsonPath.objectAt('$'),
      executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
      startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
    },
    resultPath: '$.diagnosis',
    timeout: Duration.minutes(6),
  });
  props.failure.catch(diagnose, STATE.diagnose);

  // The raw execution input is not needed after Diagnose validated it into `request`.
  const normalize = new sfn.Pass(scope, STATE.normalize, {
    parameters: { 'request.$': '$.diagnosis.request', 'diagnosis.$': '$.diagnosis' },
  });
  return sfn.Chain.start(diagnose).next(normalize);
}
