/**
 * diagnose: the Diagnose step from a terminal. Live checks (FindCoordinator answers, but group
 * calls get NOT_COORDINATOR: the shard is FAILED) for named groups and, with --all-shards, a
 * probe of every __consumer_offsets partition; with --cluster-arn or --log-group, the MSK
 * broker logs too. Read-only: DescribeGroups on probe names creates nothing.
 */
import { invalidInput } from '../../../lambdas/core/errors.ts';
import type { LiveCheck, LogFinding, LogSearchSummary, LostOffsetsGroup, RecoveryRequest, Verdict, Evidence } from '../../../lambdas/core/workflow/documents.ts';
import { diagnoseCoordinators } from '../../../lambdas/core/workflow/diagnosis.ts';
import type { Command, CommandContext, FlagValues } from '../command.ts';
import { renderTable } from '../table.ts';
import { parseSince } from '../values.ts';

const PROBE_PREFIX = 'coordinator-recovery-probe-';
const DEFAULT_LOG_LOOKBACK_MS = 2 * 3_600_000;

export interface DiagnoseDocument {
  verdict: Verdict;
  failedShards: { partition: number; brokerId: number }[];
  failingBrokers: number[];
  offsetsPartitionCount: number;
  checkedShards: number;
  liveChecks: LiveCheck[];
  evidence: Evidence[];
  logSearch: (LogSearchSummary & { findings: LogFinding[] }) | null;
  /** OFFSETS_LOST_ON_LOAD: each group whose coordinator answers less than the raw log holds, per partition */
  lostOffsets: LostOffsetsGroup[];
}

interface LogSearch {
  findings: LogFinding[];
  summary: LogSearchSummary;
}

/** The broker-log half, through lambdas/aws; loaded only when asked for, so the SDK never slows the live check. */
async function searchLogs(context: CommandContext, flags: FlagValues, window: { since: number; until: number }): Promise<LogSearch | null> {
  const clusterArn = typeof flags['cluster-arn'] === 'string' ? flags['cluster-arn'] : undefined;
  let logGroup = typeof flags['log-group'] === 'string' ? flags['log-group'] : undefined;
  if (clusterArn === undefined && logGroup === undefined) return null;
  const { parseClusterArn, describeMskCluster, requireBrokerLogGroup } = await import('../../../lambdas/aws/msk.ts');
  const { searchBrokerLogs } = await import('../../../lambdas/aws/broker-logs.ts');
  const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
  const parsedArn = clusterArn === undefined ? null : parseClusterArn(clusterArn);
  if (clusterArn !== undefined && parsedArn === null) {
    throw invalidInput('--cluster-arn', `"${clusterArn}" is not an MSK cluster ARN`, 'Pass it as `aws kafka list-clusters-v2` prints it: arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>');
  }
  // --region is the connection flag (also MSK IAM's); the ARN's own region wins for the cluster's logs.
  const region = parsedArn?.region ?? (typeof flags['region'] === 'string' ? flags['region'] : undefined) ?? context.io.env['AWS_REGION'] ?? context.io.env['AWS_DEFAULT_REGION'];
  if (region === undefined) throw invalidInput('--region', 'is needed to find the log group', 'Pass --region eu-west-1 or set AWS_REGION');
  if (logGroup === undefined) {
    const { KafkaClient } = await import('@aws-sdk/client-kafka');
    const msk = new KafkaClient({ region });
    try {
      logGroup = requireBrokerLogGroup(await describeMskCluster(msk, clusterArn as string));
    } finally {
      msk.destroy();
    }
  }
  context.progress(`searching ${logGroup} for coordinator load failures`);
  const logs = new CloudWatchLogsClient({ region, maxAttempts: 1 });
  try {
    return await searchBrokerLogs(logs, { logGroup, since: window.since, until: window.until });
  } finally {
    logs.destroy();
  }
}

function isProbe(check: LiveCheck): boolean {
  return check.groupId.startsWith(PROBE_PREFIX);
}

export function renderDiagnosis(doc: DiagnoseDocument): string {
  const lines = [`verdict: ${doc.verdict}`];
  lines.push(
    doc.failedShards.length === 0
      ? `failed shards: none (${doc.checkedShards} of ${doc.offsetsPartitionCount} __consumer_offsets partitions checked)`
      : `failed shards: ${doc.failedShards.map((s) => `__consumer_offsets-${s.partition} (broker ${s.brokerId})`).join(', ')}; failing brokers: ${doc.failingBrokers.join(', ') || 'none (the shards serve, with offsets lost on load)'}`,
  );
  // Healthy probes are the bulk of an --all-shards run; they are counted, not listed.
  const shown = doc.liveChecks.filter((c) => !isProbe(c) || c.groupCall !== 'OK');
  if (shown.length > 0) {
    lines.push(
      renderTable(
        ['GROUP', 'PARTITION', 'COORDINATOR', 'GROUP CALL', 'STATE'],
        shown.map((c) => [c.groupId, String(c.partition), c.coordinator ? `${c.coordinator.brokerId} (${c.coordinator.host})` : `- (${c.findCoordinatorError ?? '?'})`, c.groupCall, c.groupState ? `${c.groupState}, ${c.members} member(s)` : '-']),
        { rightAlign: [1] },
      ),
    );
  }
  const healthyProbes = doc.liveChecks.filter((c) => isProbe(c) && c.groupCall === 'OK').length;
  if (healthyProbes > 0) lines.push(`${healthyProbes} ${shown.length > 0 ? 'other ' : ''}shard(s) answered group calls`);
  if (doc.logSearch) {
    lines.push(`broker logs ${doc.logSearch.logGroup}: ${doc.logSearch.events} matching line(s) in ${doc.logSearch.pages} page(s)${doc.logSearch.truncated ? ' (search cut short)' : ''}`);
  }
  if (doc.lostOffsets.length > 0) {
    lines.push('offsets lost on load (the coordinator answers less than the raw __consumer_offsets log holds):');
    const rows = doc.lostOffsets.flatMap((g) => g.differences.map((d) => [g.groupId, `__consumer_offsets-${g.partition}`, `${d.topic}-${d.partition}`, d.logOffset, d.fetchedOffset ?? 'none', d.logRecordOffset]));
    lines.push(renderTable(['GROUP', 'SHARD', 'PARTITION', 'LOG', 'COORDINATOR', 'AT LOG OFFSET'], rows, { rightAlign: [3, 4, 5] }));
  }
  // The table has every live answer; the evidence below is what says why (logs, refusals, metadata, offsets lost on load).
  const evidence = doc.evidence.filter((e) => e.kind !== 'LIVE' || /DescribeGroups failed|FindCoordinator failed|failed to load according|lost offsets on the load|nothing was lost on load|not compared with the log/.test(e.message));
  if (evidence.length > 0) lines.push('evidence:', ...evidence.map((e) => `  ${e.kind}: ${e.message}`));
  return lines.join('\n');
}

export const diagnoseCommand: Command = {
  name: 'diagnose',
  summary: 'is a coordinator shard FAILED? live checks per group, or of every shard with --all-shards; MSK broker logs with --cluster-arn',
  positionals: [{ name: 'group', description: 'consumer group id(s) to check', variadic: true, optional: true }],
  flags: {
    'all-shards': { type: 'boolean', description: 'probe every __consumer_offsets partition (read-only DescribeGroups on a probe name per partition)' },
    'cluster-arn': { type: 'string', placeholder: 'ARN', description: 'also search this MSK cluster\'s broker logs in CloudWatch Logs (AWS credentials needed)' },
    'log-group': { type: 'string', placeholder: 'NAME', description: 'search this CloudWatch Logs group directly instead of asking MSK for it' },
    since: { type: 'string', placeholder: 'TIME', description: 'broker-log window start: ISO time, duration back (6h) or epoch ms; default 2h' },
    'compare-log': { type: 'boolean', description: 'hold each named group\'s committed offsets against the raw __consumer_offsets log (finds offsets lost on load on Kafka 3.x without broker logs; reads the group\'s shard)' },
  },
  details: [
    'Example: coordinator-recovery diagnose --all-shards --bootstrap b-1.example:9092',
    '         coordinator-recovery diagnose orders-service --cluster-arn arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0a1b-2',
    '         coordinator-recovery diagnose payments-service --compare-log      # Kafka 3.x, no broker logs at hand',
    'Verdict: COORDINATOR_FAILED (a shard refuses group calls after a re-check), OFFSETS_LOST_ON_LOAD (Kafka 3.x:',
    'a shard failed to load but serves, and groups answer older offsets or none where the raw log has newer',
    'commits; each difference is listed, and plan --in-place restores them), HEALTHY, or INCONCLUSIVE',
    '(calls failed for other reasons). Exit 0 whatever the verdict; the evidence says why.',
  ].join('\n'),
  async run(context, { positionals, flags }) {
    const groups = [...new Set(positionals)].sort();
    const allShards = flags['all-shards'] === true;
    const searchesLogs = typeof flags['cluster-arn'] === 'string' || typeof flags['log-group'] === 'string';
    const compareLog = flags['compare-log'] === true;
    if (compareLog && groups.length === 0) {
      throw invalidInput('--compare-log', 'compares named groups, and none was named', 'Name the groups to compare, e.g. diagnose payments-service --compare-log');
    }
    if (groups.length === 0 && !allShards && !searchesLogs) {
      throw invalidInput('diagnose', 'has nothing to check', 'Name groups, or pass --all-shards to probe every shard, or --cluster-arn ARN to read the broker logs');
    }
    const now = context.io.now();
    const window = { since: typeof flags['since'] === 'string' ? parseSince(flags['since'], now) : now - DEFAULT_LOG_LOOKBACK_MS, until: now };
    const logs = await searchLogs(context, flags, window);
    const port = await context.port();
    const request: RecoveryRequest = {
      clusterArn: typeof flags['cluster-arn'] === 'string' ? flags['cluster-arn'] : '',
      region: '',
      groups,
      window,
      targetNames: {},
      overwriteExistingTargetOffsets: false,
      restoreInPlace: false,
      authMode: 'plaintext',
      executionArn: 'cli:diagnose',
      trigger: { source: 'cli', alarmName: null, alarmTime: null },
      comment: null,
    };
    context.progress(allShards ? 'probing every coordinator shard' : 'checking the coordinators');
    if (compareLog) context.progress('comparing the groups\' committed offsets with the raw log');
    const parts = await diagnoseCoordinators(port, request, logs?.findings ?? [], { allShards, compareRequestedWithLog: compareLog });
    const leaderOf = new Map(parts.liveChecks.map((c) => [c.partition, c.coordinator?.brokerId ?? -1]));
    const document: DiagnoseDocument = {
      verdict: parts.verdict,
      failedShards: parts.failedShards.map((partition) => ({ partition, brokerId: leaderOf.get(partition) ?? -1 })),
      failingBrokers: parts.failingBrokers,
      offsetsPartitionCount: parts.offsetsPartitionCount,
      checkedShards: new Set(parts.liveChecks.map((c) => c.partition)).size,
      liveChecks: parts.liveChecks,
      evidence: parts.evidence,
      logSearch: logs ? { ...logs.summary, findings: logs.findings } : null,
      lostOffsets: parts.lostOffsets,
    };
    return { data: document, human: () => renderDiagnosis(document) };
  },
};
