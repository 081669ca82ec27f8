/** Diagnose: validate the execution input, search the broker logs, check coordinators live, give a verdict. */
import type { DiagnoseOutput } from '../core/workflow/documents.ts';
import { diagnoseCoordinators } from '../core/workflow/diagnosis.ts';
import { validateExecutionInput } from '../core/workflow/input.ts';
import { parseDiagnoseInput } from '../core/workflow/step-inputs.ts';
import { runArtifactPrefixes } from '../aws/artifacts.ts';
import { searchBrokerLogs } from '../aws/broker-logs.ts';
import { describeMskCluster, listBrokerNodes, requireBrokerLogGroup } from '../aws/msk.ts';
import { ENV, optionalEnv } from './env.ts';
import { configuredAuthMode, defineStep, withKafka, type HandlerDeps } from './runtime.ts';

/** Time kept for the live checks after the log search, out of the Lambda's remaining time. */
const LIVE_CHECK_RESERVE_MS = 90_000;
/**
 * Time kept after the last shard probe for the verdict and the answer to Step Functions; a
 * Lambda given less time than that keeps a quarter of it, so its probes still run.
 */
const PROBE_RESERVE_MS = 10_000;
const PROBE_RESERVE_SHARE = 0.25;

/** Why the configured group may miss the cluster's lines, or null when it is the group the cluster delivers to. */
function logGroupMismatch(configured: string, delivered: string | null): string | null {
  if (delivered === configured) return null;
  if (delivered === null) {
    return `The cluster does not deliver broker logs to CloudWatch Logs now; ${configured} (recovery:brokerLogGroupName) holds only older lines, so every shard was probed live`;
  }
  return `The cluster delivers broker logs to ${delivered}, but this stack searches ${configured} (recovery:brokerLogGroupName), so every shard was probed live. Redeploy with -c recovery:brokerLogGroupName=${delivered}`;
}

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<DiagnoseOutput>('diagnose', overrides, async (event, deps, context) => {
    const parsed = parseDiagnoseInput(event);
    const lookback = optionalEnv(ENV.DEFAULT_LOOKBACK_MINUTES, deps.env);
    const targetGroupPattern = optionalEnv(ENV.TARGET_GROUP_PATTERN, deps.env);
    const request = validateExecutionInput(parsed.input, {
      executionArn: parsed.executionArn,
      ...(parsed.startTime ? { startTime: parsed.startTime } : {}),
      defaults: {
        clusterArn: optionalEnv(ENV.CLUSTER_ARN, deps.env),
        authMode: configuredAuthMode(deps.env),
        ...(lookback ? { lookbackMinutes: Number(lookback) } : {}),
        ...(targetGroupPattern ? { targetGroupPattern } : {}),
      },
      now: () => deps.now().getTime(),
    });
    const msk = deps.clients.msk();
    const cluster = await describeMskCluster(msk, request.clusterArn);
    // IAM lets Diagnose read only the configured group, so that is the one searched.
    const configuredLogGroup = optionalEnv(ENV.BROKER_LOG_GROUP, deps.env);
    const logGroup = configuredLogGroup ?? requireBrokerLogGroup(cluster);
    const logGroupNotice = configuredLogGroup !== undefined ? logGroupMismatch(configuredLogGroup, cluster.brokerLogGroup) : null;
    const brokers = await listBrokerNodes(msk, request.clusterArn);
    const remaining = context?.getRemainingTimeInMillis?.();
    const logs = await searchBrokerLogs(deps.clients.logs(), {
      logGroup,
      since: request.window.since,
      until: request.window.until,
      ...(remaining !== undefined ? { deadline: Date.now() + remaining - LIVE_CHECK_RESERVE_MS } : {}),
    });
    deps.logger.info('broker log search', { ...logs.summary, findings: logs.findings.length });
    const parts = await withKafka(deps, request, (port) =>
      diagnoseCoordinators(port, request, logs.findings, {
        sleep: deps.sleep,
        logSearch: logs.summary,
        logsUnreliable: logGroupNotice !== null,
        ...(remaining !== undefined ? { deadline: Date.now() + remaining - Math.min(PROBE_RESERVE_MS, remaining * PROBE_RESERVE_SHARE) } : {}),
      }),
    );
    if (logGroupNotice !== null) parts.evidence.unshift({ kind: 'METADATA', message: logGroupNotice, partition: null, brokerId: null });
    if (cluster.state !== 'ACTIVE') {
      // MAINTENANCE / REBOOTING_BROKER / UPDATING explain transient NOT_COORDINATOR answers.
      parts.evidence.unshift({ kind: 'METADATA', message: `The cluster is ${cluster.state}, not ACTIVE; coordinators move while brokers restart`, partition: null, brokerId: null });
    }
    deps.logger.info('verdict', { verdict: parts.verdict, failedShards: parts.failedShards, failingBrokers: parts.failingBrokers });
    return {
      request,
      cluster: {
        clusterArn: cluster.clusterArn,
        clusterName: cluster.clusterName,
        state: cluster.state,
        kafkaVersion: cluster.kafkaVersion,
        brokerLogGroup: logGroup,
        brokers,
        offsetsPartitionCount: parts.offsetsPartitionCount,
      },
      verdict: parts.verdict,
      evidence: parts.evidence,
      findings: logs.findings,
      logSearch: logs.summary,
      liveChecks: parts.liveChecks,
      failingBrokers: parts.failingBrokers,
      failedShards: parts.failedShards,
      shards: parts.shards,
      groups: parts.groups,
      ...(parts.lostOffsets.length > 0 ? { lostOffsets: parts.lostOffsets } : {}),
      // Keys only, nothing is stored here: the Map states' ItemReader and ResultWriter take them from the state.
      artifactPrefixes: runArtifactPrefixes(request.executionArn),
    };
  });
}

export const handler = createHandler();
