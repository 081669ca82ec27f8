import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { APPROVAL_REJECTED_ERROR, TRANSIENT_ERROR_NAME } from '../lambdas/core/workflow/documents.ts';

/** State names: the local runner and the tests address states by these. */
export const STATE = {
  diagnose: 'Diagnose',
  normalize: 'KeepRequestAndDiagnosis',
  hasFailedShards: 'AnyFailedShards',
  blastRadius: 'BlastRadius',
  blastRadiusShard: 'MapShard',
  readOffsets: 'ReadOffsets',
  readShardGroups: 'ReadShardGroups',
  readGroupOffsets: 'ReadGroupOffsets',
  hasPlannedGroups: 'AnythingToApprove',
  planTarget: 'PlanTarget',
  keepPlan: 'KeepPlan',
  awaitApproval: 'AwaitApproval',
  seedOffsets: 'SeedOffsets',
  verify: 'Verify',
  report: 'Report',
  nothingToRecover: 'NothingToRecover',
  nothingToApprove: 'NothingToApprove',
  outcome: 'RecoveredCompletely',
  succeeded: 'Done',
  incomplete: 'RecoveryIncomplete',
  notifyFailure: 'NotifyFailure',
  failureKind: 'WhyDidItStop',
  notApproved: 'NotApproved',
  failed: 'RecoveryFailed',
} as const;

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

/** The errors that mean "nobody said yes": the run ends with nothing written. */
export const NOT_APPROVED_ERRORS = [APPROVAL_REJECTED_ERROR, 'States.Timeout', 'States.HeartbeatTimeout'];

export interface RecoveryStepFunctions {
  diagnose: lambda.IFunction;
  blastRadius: lambda.IFunction;
  readOffsets: lambda.IFunction;
  planTarget: lambda.IFunction;
  requestApproval: lambda.IFunction;
  seedOffsets: lambda.IFunction;
  verify: lambda.IFunction;
  report: lambda.IFunction;
  notifyFailure: lambda.IFunction;
}

export interface RecoveryStateMachineProps {
  functions: RecoveryStepFunctions;
  /** Must be known at synth time: the approval Lambdas name this machine in their policies. */
  stateMachineName: string;
  /** How long the plan waits for a decision; default 24 hours. */
  approvalTimeout?: Duration;
  /** Optional heartbeat on the approval task; default none (a person does not heartbeat). */
  approvalHeartbeat?: Duration;
  /** Parallel shard scans; default 4 (each reads a whole __consumer_offsets partition). */
  shardConcurrency?: number;
  /** Parallel group reads; default 4. */
  groupConcurrency?: number;
  logRetention?: logs.RetentionDays;
}

/**
 * The runbook: Diagnose -> BlastRadius (Map over failed shards) -> ReadOffsets (Map over groups)
 * -> PlanTarget -> AwaitApproval -> SeedOffsets -> Verify -> Report. Nothing before SeedOffsets
 * writes to Kafka; every failure, rejection and timeout is published by NotifyFailure before
 * the run ends. Large documents travel as S3 references produced by the handlers; the state
 * carries only the request, the diagnosis, the shard summaries and references.
 */
export class RecoveryStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  /** The ARN this machine will have, without a reference to the resource (no dependency cycle). */
  static arnForName(scope: Construct, stateMachineName: string): string {
    return Stack.of(scope).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  constructor(scope: Construct, id: string, props: RecoveryStateMachineProps) {
    super(scope, id);
    const fns = props.functions;

    // Failure path first: every task's Catch points at a state that records where it stopped.
    const notApproved = new sfn.Fail(this, STATE.notApproved, {
      comment: 'Rejected or timed out: nothing was written to Kafka',
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    const failed = new sfn.Fail(this, STATE.failed, {
      comment: 'A step failed; NotifyFailure published the reason',
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    const failureKind = new sfn.Choice(this, STATE.failureKind)
      .when(sfn.Condition.or(...NOT_APPROVED_ERRORS.map((name) => sfn.Condition.stringEquals('$.error.Error', name))), notApproved)
      .otherwise(failed);
    const notifyFailure = new tasks.LambdaInvoke(this, STATE.notifyFailure, {
      lambdaFunction: fns.notifyFailure,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        state: sfn.JsonPath.stringAt('$.failedState'),
        input: sfn.JsonPath.objectAt('$$.Execution.Input'),
        error: sfn.JsonPath.objectAt('$.error'),
      }),
      resultPath: '$.notification',
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    });
    addTransientRetries(notifyFailure);
    // A notice that cannot be sent must not hide the original failure.
    notifyFailure.addCatch(failureKind, { errors: ['States.ALL'], resultPath: '$.notificationError' });
    notifyFailure.next(failureKind);

    const catchInto = (state: sfn.TaskStateBase | sfn.Map, stepName: string, errors: string[] = ['States.ALL'], markerName = `${stepName}Failed`): void => {
      const marker = new sfn.Pass(this, markerName, {
        comment: `Remember that ${stepName} is where the run stopped`,
        parameters: { 'failedState': stepName, 'error.$': '$.error' },
      });
      marker.next(notifyFailure);
      state.addCatch(marker, { errors, resultPath: '$.error' });
    };

    // resultPath undefined: the result replaces the state (Map items), written as an omitted ResultPath.
    const invoke = (stateName: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string | undefined, timeout: Duration): tasks.LambdaInvoke => {
      const task = new tasks.LambdaInvoke(this, stateName, {
        lambdaFunction: fn,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        payload: sfn.TaskInput.fromObject(payload),
        ...(resultPath ? { resultPath } : {}),
        // A little above the Lambda's own timeout, so a hung invocation cannot stall the run.
        taskTimeout: sfn.Timeout.duration(timeout),
      });
      addTransientRetries(task);
      return task;
    };

    const request = sfn.JsonPath.objectAt('$.request');

    const diagnose = invoke(
      STATE.diagnose,
      fns.diagnose,
      {
        input: sfn.JsonPath.objectAt('$'),
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        startTime: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      },
      '$.diagnosis',
      Duration.minutes(6),
    );
    catchInto(diagnose, STATE.diagnose);

    // The raw execution input is not needed after Diagnose validated it into `request`.
    const normalize = new sfn.Pass(this, STATE.normalize, {
      parameters: { 'request.$': '$.diagnosis.request', 'diagnosis.$': '$.diagnosis' },
    });

    const shardTask = invoke(
      STATE.blastRadiusShard,
      fns.blastRadius,
      { request: sfn.JsonPath.objectAt('$.request'), shard: sfn.JsonPath.objectAt('$.shard') },
      undefined,
      Duration.minutes(16),
    );
    const blastRadius = new sfn.Map(this, STATE.blastRadius, {
      comment: 'One scan per failed __consumer_offsets partition',
      itemsPath: '$.diagnosis.shards',
      itemSelector: { 'request.$': '$.request', 'shard.$': '$$.Map.Item.Value' },
      maxConcurrency: props.shardConcurrency ?? 4,
      resultPath: '$.blastRadius',
    });
    blastRadius.itemProcessor(shardTask);
    catchInto(blastRadius, STATE.blastRadius);

    // Nested Maps (shards, then each shard's groups) instead of flattening with `[*]`: only
    // definite paths, which every interpreter evaluates alike, and an empty shard is just [].
    // A group hashes to exactly one shard, so no group is read twice.
    const groupTask = invoke(
      STATE.readGroupOffsets,
      fns.readOffsets,
      { request: sfn.JsonPath.objectAt('$.request'), groupId: sfn.JsonPath.stringAt('$.groupId') },
      undefined,
      Duration.minutes(16),
    );
    const readShardGroups = new sfn.Map(this, STATE.readShardGroups, {
      comment: 'One raw-log read per group of this shard',
      itemsPath: '$.groups',
      itemSelector: { 'request.$': '$.request', 'groupId.$': '$$.Map.Item.Value' },
      maxConcurrency: props.groupConcurrency ?? 4,
    });
    readShardGroups.itemProcessor(groupTask);
    const readOffsets = new sfn.Map(this, STATE.readOffsets, {
      comment: 'Shards one at a time, so at most groupConcurrency reads run at once',
      itemsPath: '$.blastRadius',
      itemSelector: { 'request.$': '$.request', 'groups.$': '$$.Map.Item.Value.groupsToRecover' },
      maxConcurrency: 1,
      resultPath: '$.groups',
    });
    readOffsets.itemProcessor(readShardGroups);
    catchInto(readOffsets, STATE.readOffsets);

    const planTarget = invoke(
      STATE.planTarget,
      fns.planTarget,
      {
        request,
        diagnosis: {
          failingBrokers: sfn.JsonPath.listAt('$.diagnosis.failingBrokers'),
          failedShards: sfn.JsonPath.listAt('$.diagnosis.failedShards'),
        },
        // Per shard, per group; PlanTarget flattens.
        groups: sfn.JsonPath.listAt('$.groups'),
      },
      '$.plan',
      Duration.minutes(6),
    );
    catchInto(planTarget, STATE.planTarget);

    // The per-group offsets now live in the stored plan; dropping them keeps the state small.
    const keepPlan = new sfn.Pass(this, STATE.keepPlan, {
      parameters: {
        'request.$': '$.request',
        'diagnosis.$': '$.diagnosis',
        'blastRadius.$': '$.blastRadius',
        'plan.$': '$.plan',
      },
    });

    const approvalTimeout = props.approvalTimeout ?? Duration.hours(24);
    const awaitApproval = new tasks.LambdaInvoke(this, STATE.awaitApproval, {
      comment: 'Publishes the plan and waits for send-task-success (approve) or send-task-failure (reject)',
      lambdaFunction: fns.requestApproval,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      retryOnServiceExceptions: false,
      payload: sfn.TaskInput.fromObject({
        request,
        plan: sfn.JsonPath.objectAt('$.plan'),
        taskToken: sfn.JsonPath.taskToken,
      }),
      resultPath: '$.approval',
      taskTimeout: sfn.Timeout.duration(approvalTimeout),
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
    catchInto(awaitApproval, STATE.awaitApproval, NOT_APPROVED_ERRORS, `${STATE.awaitApproval}NotApproved`);
    catchInto(awaitApproval, STATE.awaitApproval);

    const seedOffsets = invoke(
      STATE.seedOffsets,
      fns.seedOffsets,
      { request, plan: sfn.JsonPath.objectAt('$.plan'), approval: sfn.JsonPath.objectAt('$.approval') },
      '$.seed',
      Duration.minutes(6),
    );
    catchInto(seedOffsets, STATE.seedOffsets);

    const verify = invoke(
      STATE.verify,
      fns.verify,
      { request, plan: sfn.JsonPath.objectAt('$.plan'), seed: sfn.JsonPath.objectAt('$.seed') },
      '$.verify',
      Duration.minutes(6),
    );
    catchInto(verify, STATE.verify);

    // Report takes the whole state (no Parameters): each path into it shapes the state into a ReportInput.
    const report = new tasks.LambdaInvoke(this, STATE.report, {
      lambdaFunction: fns.report,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    });
    addTransientRetries(report);
    catchInto(report, STATE.report);

    const outcome = new sfn.Choice(this, STATE.outcome)
      .when(
        sfn.Condition.or(sfn.Condition.stringEquals('$.outcome', 'RECOVERED'), sfn.Condition.stringEquals('$.outcome', 'NOTHING_TO_RECOVER')),
        new sfn.Succeed(this, STATE.succeeded),
      )
      .otherwise(
        new sfn.Fail(this, STATE.incomplete, {
          comment: 'The report lists which groups were not seeded or did not verify',
          error: 'RecoveryIncomplete',
          causePath: '$.summary',
        }),
      );
    report.next(outcome);

    const nothingToRecover = new sfn.Pass(this, STATE.nothingToRecover, {
      parameters: { 'request.$': '$.request', 'diagnosis.$': '$.diagnosis' },
    });
    nothingToRecover.next(report);
    // Failed shards without groups to recover make an empty plan: reported, never sent for approval.
    const nothingToApprove = new sfn.Pass(this, STATE.nothingToApprove, {
      parameters: { 'request.$': '$.request', 'diagnosis.$': '$.diagnosis', 'blastRadius.$': '$.blastRadius', 'plan.$': '$.plan' },
    });
    nothingToApprove.next(report);

    const definition = diagnose
      .next(normalize)
      .next(
        new sfn.Choice(this, STATE.hasFailedShards)
          .when(sfn.Condition.isPresent('$.diagnosis.shards[0]'), blastRadius)
          .otherwise(nothingToRecover),
      );
    blastRadius.next(readOffsets).next(planTarget).next(
      new sfn.Choice(this, STATE.hasPlannedGroups)
        .when(sfn.Condition.isPresent('$.plan.summary.groups[0]'), keepPlan)
        .otherwise(nothingToApprove),
    );
    keepPlan.next(awaitApproval).next(seedOffsets).next(verify).next(report);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: 'Kafka group coordinator recovery runbook',
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        // Execution data includes the approval task token, which is as good as an approval.
        includeExecutionData: false,
      },
    });
  }
}

function addTransientRetries(task: sfn.TaskStateBase): void {
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
