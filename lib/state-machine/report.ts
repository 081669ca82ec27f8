import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { FailurePath } from './failure-path.ts';
import { lambdaStep } from './lambda-step.ts';
import { STATE } from './state-names.ts';

export interface ReportPhaseProps {
  report: lambda.IFunction;
  failure: FailurePath;
}

/** The three ways into the report; each shapes the state into a ReportInput. */
export interface ReportPhase {
  /** After Verify: the state already is a ReportInput. */
  report: tasks.LambdaInvoke;
  /** No failed shards: only the request and the diagnosis. */
  nothingToRecover: sfn.Pass;
  /** Failed shards without groups to recover made an empty plan: reported, never sent for approval. */
  nothingToApprove: sfn.Pass;
}

/**
 * Report publishes and stores the result; the run then ends as Done (RECOVERED,
 * NOTHING_TO_RECOVER) or RecoveryIncomplete, so a partial recovery shows up red.
 */
export function reportPhase(scope: Construct, props: ReportPhaseProps): ReportPhase {
  // Report takes the whole state (no Parameters): each path into it shapes the state into a ReportInput.
  const report = lambdaStep(scope, STATE.report, { lambdaFunction: props.report, timeout: Duration.minutes(2) });
  props.failure.catch(report, STATE.report);

  const outcome = new sfn.Choice(scope, STATE.outcome)
    .when(
      sfn.Condition.or(sfn.Condition.stringEquals('$.outcome', 'RECOVERED'), sfn.Condition.stringEquals('$.outcome', 'NOTHING_TO_RECOVER')),
      new sfn.Succeed(scope, STATE.succeeded),
    )
    .otherwise(
      new sfn.Fail(scope, STATE.incomplete, {
        comment: 'The report lists which groups were not seeded or did not verify',
        error: 'RecoveryIncomplete',
        causePath: '$.summary',
      }),
    );
  report.next(outcome);

  const nothingToRecover = new sfn.Pass(scope, STATE.nothingToRecover, {
    parameters: { 'request.$': '$.request', 'diagnosis.$': '$.diagnosis' },
  });
  nothingToRecover.next(report);
  const nothingToApprove = new sfn.Pass(scope, STATE.nothingToApprove, {
    parameters: { 'request.$': '$.request', 'diagnosis.$': '$.diagnosis', 'blastRadius.$': '$.blastRadius', 'plan.$': '$.plan' },
  });
  nothingToApprove.next(report);

  return { report, nothingToRecover, nothingToApprove };
}
