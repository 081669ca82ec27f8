import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { COORDINATOR_FAILURE_PHRASES } from '../lambdas/core/workflow/log-phrases.ts';

/** The error the startExecution integration raises for a name already used (both spellings seen). */
const EXECUTION_ALREADY_EXISTS = ['StepFunctions.ExecutionAlreadyExistsException', 'Sfn.ExecutionAlreadyExistsException'] as const;

export interface AlarmTriggerProps {
  /** The cluster's broker log group (Provisioned.LoggingInfo.BrokerLogs.CloudWatchLogs). */
  brokerLogGroupName: string;
  /** The runbook to start. */
  stateMachine: sfn.IStateMachine;
  /** Told when an alarm arrives while a run is in progress (the approver's topic). */
  noticeTopic: sns.ITopic;
  /** The topic's encryption key: publishing to an encrypted topic needs it. */
  noticeTopicKey: kms.IKey;
  /** The cluster the runbook should examine. */
  clusterArn: string;
  /** Diagnose searches the broker logs this far back from the alarm time. */
  lookbackMinutes: number;
  /** Namespace of the custom metric; default CoordinatorRecovery. */
  metricNamespace?: string;
  /** Also names the metric, so two stacks in one account do not share a metric. */
  alarmName: string;
  /** Other alarms that start the runbook the same way (the shard canary's). */
  otherAlarms?: cloudwatch.IAlarm[];
  logRetention?: logs.RetentionDays;
}

/**
 * Broker log lines -> metric -> alarm -> EventBridge -> a small starter state machine that
 * starts the runbook under a deterministic name. EventBridge cannot name executions, and an
 * alarm can flap or an event be delivered twice, so the starter (a) starts nothing while a run
 * is in progress, but tells the topic that the alarm fired again (it may be a second shard), and
 * (b) names the run after the alarm's hour, treating "already exists" as success at once.
 */
export class AlarmTrigger extends Construct {
  readonly metricFilter: logs.MetricFilter;
  readonly alarm: cloudwatch.Alarm;
  readonly rule: events.Rule;
  readonly starter: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: AlarmTriggerProps) {
    super(scope, id);
    const namespace = props.metricNamespace ?? 'CoordinatorRecovery';
    const brokerLogs = logs.LogGroup.fromLogGroupName(this, 'BrokerLogs', props.brokerLogGroupName);

    this.metricFilter = new logs.MetricFilter(this, 'CoordinatorLoadFailures', {
      logGroup: brokerLogs,
      filterPattern: logs.FilterPattern.anyTerm(...COORDINATOR_FAILURE_PHRASES),
      metricNamespace: namespace,
      metricName: `CoordinatorLoadFailures-${props.alarmName}`,
      metricValue: '1',
      defaultValue: 0,
    });

    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: props.alarmName,
      alarmDescription: 'A Kafka group coordinator shard failed to load; the recovery runbook starts automatically',
      metric: this.metricFilter.metric({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.starter = this.buildStarter(props);
    props.noticeTopicKey.grant(this.starter, 'kms:Decrypt', 'kms:GenerateDataKey');

    this.rule = new events.Rule(this, 'OnAlarm', {
      description: 'Start the coordinator recovery runbook when the coordinator-failure alarm goes to ALARM',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [this.alarm.alarmArn, ...(props.otherAlarms ?? []).map((alarm) => alarm.alarmArn)],
        detail: { state: { value: ['ALARM'] } },
      },
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(this.starter, {
        input: events.RuleTargetInput.fromObject({
          alarmName: events.EventField.fromPath('$.detail.alarmName'),
          alarmTime: events.EventField.fromPath('$.detail.state.timestamp'),
          // The event time is ISO-8601 with a Z; the alarm's own timestamp uses +0000.
          eventTime: events.EventField.time,
        }),
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      }),
    );
  }

  private buildStarter(props: AlarmTriggerProps): sfn.StateMachine {
    const listRunning = new tasks.CallAwsService(this, 'ListRunningRuns', {
      service: 'sfn',
      action: 'listExecutions',
      parameters: { StateMachineArn: props.stateMachine.stateMachineArn, StatusFilter: 'RUNNING', MaxResults: 1 },
      iamResources: [props.stateMachine.stateMachineArn],
      iamAction: 'states:ListExecutions',
      resultSelector: { 'executions.$': '$.Executions' },
      resultPath: '$.running',
    });
    listRunning.addRetry({ errors: ['Sfn.SfnException', 'States.TaskFailed'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });

    const start = new tasks.StepFunctionsStartExecution(this, 'StartRunbook', {
      stateMachine: props.stateMachine,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      // "2026-11-24T17:04:40Z" -> "alarm-2026-11-24T17": one run per alarm hour, and execution names may not contain ':'.
      name: sfn.JsonPath.format('alarm-{}', sfn.JsonPath.arrayGetItem(sfn.JsonPath.stringSplit(sfn.JsonPath.stringAt('$.eventTime'), ':'), 0)),
      input: sfn.TaskInput.fromObject({
        clusterArn: props.clusterArn,
        until: sfn.JsonPath.stringAt('$.eventTime'),
        lookbackMinutes: props.lookbackMinutes,
        trigger: {
          source: 'alarm',
          alarmName: sfn.JsonPath.stringAt('$.alarmName'),
          alarmTime: sfn.JsonPath.stringAt('$.alarmTime'),
        },
        comment: 'Started by the coordinator-failure alarm',
      }),
      resultPath: '$.started',
    });
    const alreadyStarted = new sfn.Succeed(this, 'AlreadyStarted', { comment: 'This alarm hour already has a run' });
    // Retriers are tried in order and the first match wins: "already exists" is final, never
    // retried, and goes straight to the Catch below instead of waiting out the generic retrier.
    start.addRetry({ errors: [...EXECUTION_ALREADY_EXISTS], maxAttempts: 0 });
    start.addRetry({
      errors: ['StepFunctions.SfnException', 'StepFunctions.ExecutionLimitExceededException', 'States.TaskFailed'],
      interval: Duration.seconds(5),
      maxAttempts: 3,
      backoffRate: 2,
    });
    start.addCatch(alreadyStarted, { errors: [...EXECUTION_ALREADY_EXISTS], resultPath: '$.duplicate' });

    const tellRunInProgress = new tasks.SnsPublish(this, 'TellRunInProgress', {
      topic: props.noticeTopic,
      subject: 'Coordinator recovery: the alarm fired again during a run',
      message: sfn.TaskInput.fromText(
        sfn.JsonPath.format(
          'The alarm {} fired at {} while execution {} of the recovery runbook is in progress, so no new run was started. If it names another shard than the running one, start a new execution for it once this one has ended (or now from the console, with the groups of that shard).',
          sfn.JsonPath.stringAt('$.alarmName'),
          sfn.JsonPath.stringAt('$.eventTime'),
          sfn.JsonPath.stringAt('$.running.executions[0].name'),
        ),
      ),
      resultPath: sfn.JsonPath.DISCARD,
    });
    tellRunInProgress.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
    const inProgress = new sfn.Succeed(this, 'RunAlreadyInProgress', { comment: 'The approver is already working on a run' });
    // A lost notice must not fail the starter: the run in progress is what matters.
    tellRunInProgress.addCatch(inProgress, { errors: ['States.ALL'], resultPath: '$.noticeError' });

    const definition = listRunning.next(
      new sfn.Choice(this, 'RunInProgress')
        .when(sfn.Condition.isPresent('$.running.executions[0]'), tellRunInProgress.next(inProgress))
        .otherwise(start.next(new sfn.Succeed(this, 'Started'))),
    );

    const logGroup = new logs.LogGroup(this, 'StarterLogs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return new sfn.StateMachine(this, 'Starter', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: 'Starts the coordinator recovery runbook once per alarm hour',
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      timeout: Duration.minutes(5),
    });
  }
}
