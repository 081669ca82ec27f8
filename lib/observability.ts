import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CLUSTER_DIMENSION, DEFAULT_METRICS_NAMESPACE, METRIC, OUTCOME_DIMENSION, RUN_OUTCOMES } from '../lambdas/handlers/metric-names.ts';

export interface RecoveryObservabilityProps {
  /** The runbook. */
  stateMachine: sfn.StateMachine;
  /** The runbook's step functions, by the name shown on the dashboard (at most 10: one alarm's metric math limit). */
  stepFunctions: Record<string, lambda.IFunction>;
  /** The shard canary Lambda and its FailedShards alarm. */
  canaryFunction: lambda.IFunction;
  canaryAlarm: cloudwatch.IAlarm;
  /** The ClusterName dimension the Lambdas publish under (the name in the cluster ARN). */
  clusterName: string;
  /** Where the alarms go (the approval topic) and the key it is encrypted with. */
  topic: sns.ITopic;
  topicKey: kms.IKey;
  /** Prefix of the dashboard and alarm names (the stack name). */
  namePrefix: string;
  /** default CoordinatorRecovery, as the handlers' default. */
  metricNamespace?: string;
}

const PERIOD = Duration.minutes(5);

/**
 * What an operator looks at, and what pages when the runbook itself breaks: a dashboard of the
 * runbook (executions, step durations and errors, records scanned, groups recovered, outcomes)
 * and the canary (FAILED shards), and alarms on failed or timed-out executions and on errors
 * of the runbook's and the canary's Lambdas, to the approval topic.
 */
export class RecoveryObservability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly executionsFailedAlarm: cloudwatch.Alarm;
  readonly executionsTimedOutAlarm: cloudwatch.Alarm;
  readonly stepErrorsAlarm: cloudwatch.Alarm;
  readonly canaryErrorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RecoveryObservabilityProps) {
    super(scope, id);
    const namespace = props.metricNamespace ?? DEFAULT_METRICS_NAMESPACE;
    const custom = (metricName: string, statistic: string, extra: Record<string, string> = {}, label?: string): cloudwatch.Metric =>
      new cloudwatch.Metric({ namespace, metricName, dimensionsMap: { [CLUSTER_DIMENSION]: props.clusterName, ...extra }, statistic, period: PERIOD, ...(label ? { label } : {}) });
    const machine = props.stateMachine;
    const steps = Object.entries(props.stepFunctions);
    if (steps.length > 10) throw new Error(`RecoveryObservability: ${steps.length} step functions; one alarm's metric math takes at most 10`);

    // Alarm actions on an encrypted topic: CloudWatch must be allowed to use the topic's key.
    props.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const notify = new actions.SnsAction(props.topic);
    const alarm = (alarmId: string, name: string, description: string, metric: cloudwatch.IMetric): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${props.namePrefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        // No executions or invocations in a period is the normal state, not a breach.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      return created;
    };

    this.executionsFailedAlarm = alarm('ExecutionsFailed', 'runbook-failed', 'A coordinator recovery run ended FAILED (the topic also has its notice with the reason); see the execution history', machine.metricFailed({ period: PERIOD, statistic: 'Sum' }));
    this.executionsTimedOutAlarm = alarm('ExecutionsTimedOut', 'runbook-timed-out', 'A coordinator recovery run TIMED_OUT; see the execution history for the step it was in', machine.metricTimedOut({ period: PERIOD, statistic: 'Sum' }));
    const stepErrors = Object.fromEntries(steps.map(([name, fn], index) => [`e${index}`, fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: name })]));
    this.stepErrorsAlarm = alarm('StepErrors', 'runbook-step-errors',
      'A runbook Lambda failed (transient errors the state machine retries count too; a run that fails is alarmed separately); the dashboard shows which step',
      new cloudwatch.MathExpression({ expression: Object.keys(stepErrors).join(' + '), usingMetrics: stepErrors, period: PERIOD, label: 'runbook Lambda errors' }));
    this.canaryErrorsAlarm = alarm('CanaryErrors', 'shard-canary-errors',
      'The shard canary failed: until it runs again, a FAILED coordinator shard is not detected without broker logs',
      props.canaryFunction.metricErrors({ period: PERIOD, statistic: 'Sum' }));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.namePrefix}-coordinator-recovery`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 255),
      defaultInterval: Duration.days(7),
    });
    const wide = 12;
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Coordinator recovery: ${props.clusterName}\nThe runbook (state machine \`${machine.node.id}\`) and the shard canary. A FAILED shard starts a run; nothing is written to Kafka before approval.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [props.canaryAlarm, this.executionsFailedAlarm, this.executionsTimedOutAlarm, this.stepErrorsAlarm, this.canaryErrorsAlarm],
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Shard canary: FAILED coordinator shards',
        left: [custom(METRIC.failedShards, 'Maximum', {}, 'FAILED shards'), custom(METRIC.unresolvedShards, 'Maximum', {}, 'unresolved shards')],
        right: [custom(METRIC.probedShards, 'Maximum', {}, 'shards probed')],
        leftAnnotations: [{ value: 1, label: 'alarm', color: cloudwatch.Color.RED }],
        width: wide,
      }),
      new cloudwatch.GraphWidget({
        title: 'Runbook executions',
        left: [
          machine.metricStarted({ period: PERIOD, statistic: 'Sum', label: 'started' }),
          machine.metricSucceeded({ period: PERIOD, statistic: 'Sum', label: 'succeeded' }),
          machine.metricFailed({ period: PERIOD, statistic: 'Sum', label: 'failed' }),
          machine.metricTimedOut({ period: PERIOD, statistic: 'Sum', label: 'timed out' }),
          machine.metricAborted({ period: PERIOD, statistic: 'Sum', label: 'aborted' }),
        ],
        width: wide,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Run outcomes',
        left: RUN_OUTCOMES.map((outcome) => custom(METRIC.runs, 'Sum', { [OUTCOME_DIMENSION]: outcome }, outcome)),
        width: wide,
      }),
      new cloudwatch.GraphWidget({
        title: 'Groups recovered, and run duration',
        left: [custom(METRIC.groupsRecovered, 'Sum', {}, 'groups recovered')],
        right: [machine.metricTime({ period: PERIOD, statistic: 'Maximum', label: 'execution time (ms, includes the wait for approval)' })],
        width: wide,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Step durations (p90, ms)',
        left: steps.map(([name, fn]) => fn.metricDuration({ period: PERIOD, statistic: 'p90', label: name })),
        width: wide,
      }),
      new cloudwatch.GraphWidget({
        title: 'Step errors',
        left: [...steps.map(([name, fn]) => fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: name })), props.canaryFunction.metricErrors({ period: PERIOD, statistic: 'Sum', label: 'shard-canary' })],
        width: wide,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: '__consumer_offsets records scanned',
        left: [custom(METRIC.recordsScanned, 'Sum', {}, 'records scanned')],
        right: [custom(METRIC.scanRate, 'Average', {}, 'records per second (per invocation)')],
        width: 24,
      }),
    );
  }
}
