import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { COORDINATOR_FAILURE_PHRASES } from '../lambdas/core/workflow/log-phrases.ts';

export interface AlarmTriggerProps {
  /** The cluster's broker log group (Provisioned.LoggingInfo.BrokerLogs.CloudWatchLogs). */
  brokerLogGroupName: string;
  /** The runbook to start. */
  stateMachine: sfn.IStateMachine;
  /** The cluster the runbook should examine. */
  clusterArn: string;
  /** Diagnose searches the broker logs this far back from the alarm time. */
  lookbackMinutes: number;
  /** Namespace of the custom metric; default CoordinatorRecovery. */
  metricNamespace?: string;
  /** Also names the metric, so two stacks in one account do not share a metric. */
  alarmName: string;
  logRetention?: logs.RetentionDays;
}

/**
 * Broker log lines -> metric -> alarm -> EventBridge -> a small starter state machine that
 * starts the runbook under a deterministic name. EventBridge cannot name executions, and an
 * alarm can flap or an event be delivered twice, so the starter (a) skips when a run is
 * already in progress and (b) names the run after the alarm's hour, treating "already exists"
 * as success.
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

    this.rule = new events.Rule(this, 'OnAlarm', {
      description: 'Start the coordinator recovery runbook when the coordinator-failure alarm goes to ALARM',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [this.alarm.alarmArn],
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
    start.addCatch(alreadyStarted, {
      errors: ['StepFunctions.ExecutionAlreadyExistsException', 'Sfn.ExecutionAlreadyExistsException'],
      resultPath: '$.duplicate',
    });
    start.addRetry({
      errors: ['StepFunctions.SfnException', 'StepFunctions.ExecutionLimitExceededException', 'States.TaskFailed'],
      interval: Duration.seconds(5),
      maxAttempts: 3,
      backoffRate: 2,
    });

    const definition = listRunning.next(
      new sfn.Choice(this, 'RunInProgress')
        .when(sfn.Condition.isPresent('$.running.executions[0]'), new sfn.Succeed(this, 'RunAlreadyInProgress', { comment: 'The approver is already working on a run' }))
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
