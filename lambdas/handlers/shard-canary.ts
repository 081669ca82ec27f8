/**
 * Shard canary (scheduled): probes every `__consumer_offsets` shard with read-only calls and
 * publishes how many are FAILED, and which, as CloudWatch metrics (embedded metric format on
 * stdout, so no API call). Its alarm starts the runbook like the broker-log alarm does, which
 * makes detection work on clusters without broker-log delivery.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ShardProbeReport } from '../core/model.ts';
import { probeShards } from '../core/operations/shard-probe.ts';
import { RecoveryError } from '../core/errors.ts';
import { ENV, optionalEnv, requireEnv } from './env.ts';
import { configuredAuthMode, defineStep, withKafka, type HandlerDeps } from './runtime.ts';

export const CANARY_METRICS = {
  failed: 'FailedShards',
  unresolved: 'UnresolvedShards',
  probed: 'ProbedShards',
} as const;
export const DEFAULT_METRICS_NAMESPACE = 'CoordinatorRecovery';

/** Time kept after the last probe to publish the metrics before the Lambda timeout. */
const PUBLISH_RESERVE_MS = 5_000;

export interface CanaryOutput {
  clusterName: string;
  failedShards: number[];
  unresolvedShards: number[];
  probed: number;
  failingBrokers: number[];
}

/** "orders-prod" from arn:aws:kafka:<region>:<account>:cluster/orders-prod/<uuid>. */
function clusterNameOf(clusterArn: string): string {
  return /:cluster\/([^/]+)\//.exec(clusterArn)?.[1] ?? clusterArn;
}

/** The metrics of one canary run; shards not reached or answering oddly count as unresolved. */
export function canaryMetrics(report: ShardProbeReport, clusterName: string, namespace: string): Metrics {
  const metrics = new Metrics({ namespace, serviceName: 'shard-canary', defaultDimensions: { ClusterName: clusterName } });
  metrics.addMetric(CANARY_METRICS.failed, MetricUnit.Count, report.failed.length);
  metrics.addMetric(CANARY_METRICS.unresolved, MetricUnit.Count, report.unresolved.length + report.notProbed.length);
  metrics.addMetric(CANARY_METRICS.probed, MetricUnit.Count, report.checks.length);
  // Which shards: searchable in the log line that carries the metrics, without a metric per shard.
  metrics.addMetadata('failedShards', report.failed.join(','));
  metrics.addMetadata('failingBrokers', report.failingBrokers.join(','));
  return metrics;
}

export function createHandler(overrides?: Partial<HandlerDeps>, publish: (metrics: Metrics) => void = (metrics) => metrics.publishStoredMetrics()) {
  return defineStep<CanaryOutput>('shard-canary', overrides, async (_event, deps, context) => {
    const clusterArn = requireEnv(ENV.CLUSTER_ARN, deps.env);
    const authMode = configuredAuthMode(deps.env);
    if (authMode === undefined) {
      throw new RecoveryError('CONFIGURATION', 'Environment variable AUTH_MODE is not set. Deploy the stack from lib/ (it sets it).', { details: { variable: 'AUTH_MODE' } });
    }
    const region = requireEnv(ENV.AWS_REGION, deps.env);
    const remaining = context?.getRemainingTimeInMillis?.();
    const report = await withKafka(deps, { clusterArn, authMode, region }, (port) =>
      probeShards(port, { sleep: deps.sleep, ...(remaining !== undefined ? { deadline: Date.now() + remaining - PUBLISH_RESERVE_MS } : {}) }),
    );
    const clusterName = clusterNameOf(clusterArn);
    publish(canaryMetrics(report, clusterName, optionalEnv(ENV.METRICS_NAMESPACE, deps.env) ?? DEFAULT_METRICS_NAMESPACE));
    const output: CanaryOutput = {
      clusterName,
      failedShards: report.failed,
      unresolvedShards: [...report.unresolved, ...report.notProbed].sort((a, b) => a - b),
      probed: report.checks.length,
      failingBrokers: report.failingBrokers,
    };
    if (output.failedShards.length > 0) deps.logger.warn('FAILED coordinator shards', { ...output });
    else deps.logger.info('shard canary', { ...output });
    return output;
  });
}

export const handler = createHandler();
