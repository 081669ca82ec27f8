import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { TRANSIENT_ERROR_NAME } from '../../lambdas/core/workflow/documents.ts';

/** Errors a Lambda invocation raises when the Lambda service itself hiccups. */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * The name handlers give failures a later attempt may not see (brokers restarting, leaders
 * moving, AWS throttling); every other handler error is `RecoveryError.<code>` and not retried.
 */
export const STEP_TRANSIENT_ERRORS = [TRANSIENT_ERROR_NAME];

export interface LambdaStepProps {
  lambdaFunction: lambda.IFunction;
  /** What the function receives; default the whole state. */
  payload?: Record<string, unknown>;
  /** Where the result goes; default it replaces the state (Map items, Report). */
  resultPath?: string;
  /** A little above the Lambda's own timeout, so a hung invocation cannot stall the run. */
  timeout: Duration;
}

/** A Task that invokes one recovery Lambda and gets its result, retried only on transient errors. */
export function lambdaStep(scope: Construct, stateName: string, props: LambdaStepProps): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, stateName, {
    lambdaFunction: props.lambdaFunction,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    ...(props.payload ? { payload: sfn.TaskInput.fromObject(props.payload) } : {}),
    ...(props.resultPath ? { resultPath: props.resultPath } : {}),
    taskTimeout: sfn.Timeout.duration(props.timeout),
  });
  addTransientRetries(task);
  return task;
}

/** Lambda service hiccups are retried quickly; a step's own transient failures wait longer. */
export function addTransientRetries(task: sfn.TaskStateBase): void {
  task.addRetry({
    errors: LAMBDA_TRANSIENT_ERRORS,
    interval: Duration.seconds(2),
    maxAttempts: 5,
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  task.addRetry({
    errors: STEP_TRANSIENT_ERRORS,
    interval: Duration.seconds(10),
    maxAttempts: 4,
    backoffRate: 2,
    maxDelay: Duration.minutes(2),
    jitterStrategy: sfn.JitterType.FULL,
  });
}
