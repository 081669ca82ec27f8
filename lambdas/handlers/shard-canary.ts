/**
 * Shard canary (scheduled): probes every `__consumer_offsets` shard with read-only calls and
 * publishes how many are FAILED, and which, as CloudWatch metrics (embedded metric format on
 * stdout, so no API call). Its alarm starts the runbook like the broker-log alarm does, which
 * makes detection work on clusters without broker-log delivery.
 */
import { probeShards } from '../core/operations/shard-probe.ts';
import { RecoveryError } from '../core/errors.ts';
import { ENV, requireEnv } from './env.ts';
import { clusterNameOf } from './metric-names.ts';
import { configuredAuthMode, defineStep, withKafka, type HandlerDeps } from './runtime.ts';
import { recordShardProbe } from './step-metrics.ts';

/** Time kept after the last probe to publish the metrics before the Lambda timeout. */
const PUBLISH_RESERVE_MS = 5_000;

export interface CanaryOutput {
  clusterName: string;
  failedShards: number[];
  unresolvedShards: number[];
  probed: number;
  failingBrokers: number[];
}

export function createHandler(overrides?: Partial<HandlerDeps>) {
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
    recordShardProbe(deps.metrics, report);
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
