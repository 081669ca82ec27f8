/**
 * The Lambdas' custom metrics through Powertools Metrics (embedded metric format on stdout, no
 * API call). One Metrics per invocation, created by the runtime and flushed when the step ends,
 * with the dimension set lib/ reads (metric-names.ts): Powertools adds a `service` dimension by
 * default, which would make every metric a different one from what the alarms watch.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ShardProbeReport } from '../core/model.ts';
import { ENV, optionalEnv } from './env.ts';
import { CLUSTER_DIMENSION, DEFAULT_METRICS_NAMESPACE, METRIC, OUTCOME_DIMENSION, clusterNameOf, type RunOutcome } from './metric-names.ts';

/** Where EMF documents go: stdout in Lambda (CloudWatch Logs extracts the metrics); the local runner collects them. */
export type MetricsSink = (emfDocument: string) => void;
export const STDOUT_SINK: MetricsSink = (emfDocument) => {
  process.stdout.write(`${emfDocument}\n`);
};

/**
 * The Metrics of one invocation with exactly `dimensions` on every data point (Powertools'
 * `service` removed), remembering where it publishes so a run's outcome can go beside it.
 */
export class StepMetrics extends Metrics {
  readonly metricsNamespace: string;
  readonly dimensions: Record<string, string>;
  readonly sink: MetricsSink;
  constructor(namespace: string, dimensions: Record<string, string>, sink: MetricsSink = STDOUT_SINK) {
    super({ namespace, serviceName: 'coordinator-recovery' });
    this.clearDefaultDimensions();
    this.setDefaultDimensions(dimensions);
    this.metricsNamespace = namespace;
    this.dimensions = dimensions;
    this.sink = sink;
  }

  /** As Powertools' (one EMF document, then everything cleared), written to the sink. */
  override publishStoredMetrics(): this {
    if (this.hasStoredMetrics()) this.sink(JSON.stringify(this.serializeMetrics()));
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }
}

/** The metrics of one invocation: namespace METRICS_NAMESPACE (default CoordinatorRecovery), dimension ClusterName from CLUSTER_ARN. */
export function stepMetrics(env: NodeJS.ProcessEnv, sink: MetricsSink = STDOUT_SINK): StepMetrics {
  const clusterArn = optionalEnv(ENV.CLUSTER_ARN, env);
  return new StepMetrics(optionalEnv(ENV.METRICS_NAMESPACE, env) ?? DEFAULT_METRICS_NAMESPACE, clusterArn === undefined ? {} : { [CLUSTER_DIMENSION]: clusterNameOf(clusterArn) }, sink);
}

/** Writes what the step recorded; a metric that cannot be written never fails the step. */
export function flushStepMetrics(metrics: StepMetrics, logger: Logger): void {
  if (!metrics.hasStoredMetrics()) return;
  try {
    metrics.publishStoredMetrics();
  } catch (error) {
    logger.warn('publishing the step metrics failed', { error: String(error) });
  }
}

/** One BlastRadius invocation's share of a shard scan. */
export function recordShardScan(metrics: StepMetrics, scan: { records: number; seconds: number }): void {
  metrics.addMetric(METRIC.recordsScanned, MetricUnit.Count, scan.records);
  if (scan.seconds > 0) metrics.addMetric(METRIC.scanRate, MetricUnit.CountPerSecond, scan.records / scan.seconds);
}

/** How a run ended, one data point per run; `groupsRecovered` only for runs that got to a report. */
export function recordRunOutcome(metrics: StepMetrics, outcome: RunOutcome, groupsRecovered?: number): void {
  if (groupsRecovered !== undefined) metrics.addMetric(METRIC.groupsRecovered, MetricUnit.Count, groupsRecovered);
  // A document of its own: Outcome is a dimension only this metric has.
  const runs = new StepMetrics(metrics.metricsNamespace, { ...metrics.dimensions, [OUTCOME_DIMENSION]: outcome }, metrics.sink);
  runs.addMetric(METRIC.runs, MetricUnit.Count, 1);
  runs.publishStoredMetrics();
}

/** The shard canary's run: how many shards are FAILED (and which, as metadata, not one metric per shard). */
export function recordShardProbe(metrics: StepMetrics, report: ShardProbeReport): void {
  metrics.addMetric(METRIC.failedShards, MetricUnit.Count, report.failed.length);
  metrics.addMetric(METRIC.unresolvedShards, MetricUnit.Count, report.unresolved.length + report.notProbed.length);
  metrics.addMetric(METRIC.probedShards, MetricUnit.Count, report.checks.length);
  metrics.addMetadata('failedShards', report.failed.join(','));
  metrics.addMetadata('failingBrokers', report.failingBrokers.join(','));
}
