import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { CLUSTER_DIMENSION, DEFAULT_METRICS_NAMESPACE, METRIC } from '../lambdas/handlers/metric-names.ts';

export interface ShardCanaryProps {
  /** The shard-canary Lambda (lambdas/handlers/shard-canary.ts). */
  canaryFunction: lambda.IFunction;
  /** Minutes between runs. */
  rateMinutes: number;
  /** The ClusterName dimension the canary publishes under (the name in the cluster ARN). */
  clusterName: string;
  /** Also names the alarm; the runbook's starter listens for it. */
  alarmName: string;
  /** default CoordinatorRecovery, as the handler's default. */
  metricNamespace?: string;
}

/**
 * Detection without broker logs: the canary Lambda runs on a schedule and publishes how many
 * `__consumer_offsets` shards answer NOT_COORDINATOR to a probe twice; the alarm fires on the
 * first FAILED shard and, like the log alarm, starts the runbook through the alarm starter.
 */
export class ShardCanary extends Construct {
  readonly schedule: events.Rule;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ShardCanaryProps) {
    super(scope, id);
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Probe every __consumer_offsets shard for a FAILED coordinator',
      schedule: events.Schedule.rate(Duration.minutes(props.rateMinutes)),
    });
    // A run that fails is not retried: the next one is at most a rate away.
    this.schedule.addTarget(new targets.LambdaFunction(props.canaryFunction, { retryAttempts: 0 }));

    const failedShards = new cloudwatch.Metric({
      namespace: props.metricNamespace ?? DEFAULT_METRICS_NAMESPACE,
      metricName: METRIC.failedShards,
      // Exactly the handler's dimension set: CloudWatch matches a metric by all of its dimensions.
      dimensionsMap: { [CLUSTER_DIMENSION]: props.clusterName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(props.rateMinutes),
    });
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: props.alarmName,
      alarmDescription: 'The shard canary found a FAILED group coordinator shard; the recovery runbook starts automatically',
      metric: failedShards,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No data means the canary did not run; its own errors are watched elsewhere, not read as a failure here.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
