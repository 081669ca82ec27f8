/**
 * The broker log group the stack names (recovery:brokerLogGroupName: the log alarm's metric
 * filter and Diagnose's only FilterLogEvents grant) checked against the group the cluster
 * actually delivers to. Synthesis makes no AWS call, so the cluster's answer comes in as a
 * context value that `npm run check:broker-logs` fills from DescribeClusterV2
 * (scripts/check-broker-logs.ts); without it the stack says the check was not made.
 */
export const CLUSTER_BROKER_LOG_GROUP_CONTEXT = 'recovery:clusterBrokerLogGroup';

/** What the check records: the cluster it asked, and its broker log group ("" when it delivers none to CloudWatch Logs). */
export interface ReportedBrokerLogGroup {
  clusterArn: string;
  logGroup: string;
}

export interface BrokerLogGroupVerdict {
  level: 'ok' | 'warning' | 'error';
  message: string;
}

export function brokerLogGroupVerdict(configured: { clusterArn: string; brokerLogGroupName: string }, reported: unknown): BrokerLogGroupVerdict {
  const recorded = reported as Partial<ReportedBrokerLogGroup> | undefined;
  if (recorded === undefined || recorded === null || typeof recorded.logGroup !== 'string' || recorded.clusterArn !== configured.clusterArn) {
    return {
      level: 'warning',
      message: `recovery:brokerLogGroupName "${configured.brokerLogGroupName}" is not checked against the cluster; run \`npm run check:broker-logs\` with the cluster's credentials before deploying (it records what DescribeClusterV2 reports in ${CLUSTER_BROKER_LOG_GROUP_CONTEXT}).`,
    };
  }
  if (recorded.logGroup === '') {
    return {
      level: 'warning',
      message: 'The cluster delivers no broker logs to CloudWatch Logs (DescribeClusterV2): the log alarm will never fire and detection rests on the shard canary; Diagnose probes every shard. Turn delivery on (MSK console > Monitoring > Broker log delivery) for log evidence.',
    };
  }
  if (recorded.logGroup !== configured.brokerLogGroupName) {
    return {
      level: 'error',
      message: `recovery:brokerLogGroupName is "${configured.brokerLogGroupName}" but the cluster delivers its broker logs to "${recorded.logGroup}" (DescribeClusterV2, recorded in ${CLUSTER_BROKER_LOG_GROUP_CONTEXT}); set recovery:brokerLogGroupName to "${recorded.logGroup}", or the log alarm never fires and Diagnose may not search where the evidence is.`,
    };
  }
  return { level: 'ok', message: `recovery:brokerLogGroupName matches the cluster's broker log group "${recorded.logGroup}".` };
}
