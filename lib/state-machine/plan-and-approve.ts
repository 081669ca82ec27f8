import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { NOT_APPROVED_ERRORS, type FailurePath } from './failure-path.ts';
import { LAMBDA_TRANSIENT_ERRORS, STEP_TRANSIENT_ERRORS, lambdaStep } from './lambda-step.ts';
import { STATE } from './state-names.ts';

export interface PlanAndApprovePhaseProps {
  planTarget: lambda.IFunction;
  requestApproval: lambda.IFunction;
  failure: FailurePath;
  /** How long the plan waits for a decision; default 24 hours. */
  approvalTimeout?: Duration;
  /** Optional heartbeat on the approval task; default none (a person does not heartbeat). */
  approvalHeartbeat?: Duration;
}

export interface PlanAndApprovePhase {
  /** PlanTarget: stores the plan, its summary goes to `$.plan`. */
  plan: tasks.LambdaInvoke;
  /** KeepPlan -> AwaitApproval: the decision goes to `$.approval`; a rejection or timeout fails it. */
  approval: sfn.Chain;
}

/** The plan (target groups, offsets, warnings), then a person's decision on it. */
export function planAndApprovePhase(scope: Construct, props: PlanAndApprovePhaseProps): PlanAndApprovePhase {
  const request = sfn.JsonPath.objectAt('$.request');
  const plan = lambdaStep(scope, STATE.planTarget, {
    lambdaFunction: props.planTarget,
    payload: {
      request,
      diagnosis: {
        failingBrokers: sfn.JsonPath.listAt('$.diagnosis.failingBrokers'),
        failedShards: sfn.JsonPath.listAt('$.diagnosis.failedShards'),
      },
      // Per shard, per group; PlanTarget flattens.
      groups: sfn.JsonPath.listAt('$.groups'),
    },
    resultPath: '$.plan',
    timeout: Duration.minutes(6),
  });
  props.failure.catch(plan, STATE.planTarget);

  // The per-group offsets now live in the stored plan; dropping them keeps the state small.
  const keepPlan = new sfn.Pass(scope, STATE.keepPlan, {
    parameters: {
      'request.$': '$.request',
      'diagnosis.$': '$.diagnosis',
      'blastRadius.$': '$.blastRadius',
      'plan.$': '$.plan',
    },
  });

  const awaitApproval = new tasks.LambdaInvoke(scope, STATE.awaitApproval, {
    comment: 'Publishes the plan and waits for send-task-success (approve) or send-task-failure (reject)',
    lambdaFunction: props.requestApproval,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    retryOnServiceExceptions: false,
    payload: sfn.TaskInput.fromObject({
      request,
      plan: sfn.JsonPath.objectAt('$.plan'),
      taskToken: sfn.JsonPath.taskToken,
      // Context for the approval page (verdict, evidence, blast radius); never part of a decision.
      // Whole objects, not their fields: a field path that is missing would fail the task.
      incident: {
        diagnosis: sfn.JsonPath.objectAt('$.diagnosis'),
        blastRadius: sfn.JsonPath.listAt('$.blastRadius'),
      },
    }),
    resultPath: '$.approval',
    taskTimeout: sfn.Timeout.duration(props.approvalTimeout ?? Duration.hours(24)),
    ...(props.approvalHeartbeat ? { heartbeatTimeout: sfn.Timeout.duration(props.approvalHeartbeat) } : {}),
  });
  // Only the invocation is retried: a rejection or an expired wait is a decision, not a glitch.
  awaitApproval.addRetry({
    errors: LAMBDA_TRANSIENT_ERRORS,
    interval: Duration.seconds(2),
    maxAttempts: 4,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  // RequestApproval's own transient failures (SNS throttling past the SDK's retries, a 5xx)
  // must not end a run that may have scanned for an hour. A retry stores a new approval request
  // (new approval id and task token), so links of the failed attempt read as replaced.
  awaitApproval.addRetry({
    errors: STEP_TRANSIENT_ERRORS,
    interval: Duration.seconds(5),
    maxAttempts: 4,
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  props.failure.catch(awaitApproval, STATE.awaitApproval, { errors: NOT_APPROVED_ERRORS, markerName: `${STATE.awaitApproval}NotApproved` });
  props.failure.catch(awaitApproval, STATE.awaitApproval);

  return { plan, approval: sfn.Chain.start(keepPlan).next(awaitApproval) };
}
