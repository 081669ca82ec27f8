import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { APPROVAL_REJECTED_ERROR } from '../../lambdas/core/workflow/documents.ts';
import { lambdaStep } from './lambda-step.ts';
import { STATE } from './state-names.ts';

/** The errors that mean "nobody said yes": the run ends with nothing written. */
export const NOT_APPROVED_ERRORS = [APPROVAL_REJECTED_ERROR, 'States.Timeout', 'States.HeartbeatTimeout'];

export interface FailurePathProps {
  /** Publishes the notice and stores `failure.json`. */
  notifyFailure: lambda.IFunction;
}

export interface CatchOptions {
  /** Default every error. */
  errors?: string[];
  /** The marker state's name; default `<step>Failed`. */
  markerName?: string;
}

/**
 * Where every run that does not reach the report ends: a marker naming the step that stopped,
 * NotifyFailure, then NotApproved (rejection, timeout) or RecoveryFailed (anything else).
 */
export class FailurePath {
  readonly notifyFailure: tasks.LambdaInvoke;

  constructor(
    private readonly scope: Construct,
    props: FailurePathProps,
  ) {
    const notApproved = new sfn.Fail(scope, STATE.notApproved, {
      comment: 'Rejected or timed out: nothing was written to Kafka',
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    const failed = new sfn.Fail(scope, STATE.failed, {
      comment: 'A step failed; NotifyFailure published the reason',
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    const failureKind = new sfn.Choice(scope, STATE.failureKind)
      .when(sfn.Condition.or(...NOT_APPROVED_ERRORS.map((name) => sfn.Condition.stringEquals('$.error.Error', name))), notApproved)
      .otherwise(failed);
    this.notifyFailure = lambdaStep(scope, STATE.notifyFailure, {
      lambdaFunction: props.notifyFailure,
      payload: {
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        state: sfn.JsonPath.stringAt('$.failedState'),
        input: sfn.JsonPath.objectAt('$$.Execution.Input'),
        error: sfn.JsonPath.objectAt('$.error'),
      },
      resultPath: '$.notification',
      timeout: Duration.minutes(2),
    });
    // A notice that cannot be sent must not hide the original failure.
    this.notifyFailure.addCatch(failureKind, { errors: ['States.ALL'], resultPath: '$.notificationError' });
    this.notifyFailure.next(failureKind);
  }

  /** Sends `state`'s errors into the failure path, remembering that `stepName` is where the run stopped. */
  catch(state: sfn.TaskStateBase | sfn.Map | sfn.DistributedMap, stepName: string, options: CatchOptions = {}): void {
    const marker = new sfn.Pass(this.scope, options.markerName ?? `${stepName}Failed`, {
      comment: `Remember that ${stepName} is where the run stopped`,
      parameters: { 'failedState': stepName, 'error.$': '$.error' },
    });
    marker.next(this.notifyFailure);
    state.addCatch(marker, { errors: options.errors ?? ['States.ALL'], resultPath: '$.error' });
  }
}
