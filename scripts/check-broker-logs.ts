/**
 * Asks the cluster where it delivers its broker logs (kafka:DescribeClusterV2, with the caller's
 * credentials) and records the answer in cdk.context.json as recovery:clusterBrokerLogGroup, so
 * that the next synthesis checks recovery:brokerLogGroupName against it (lib/broker-log-check.ts).
 *
 *   npm run check:broker-logs                       # the cluster in cdk.json's context
 *   npm run check:broker-logs -- --cluster-arn ARN  # another
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { describeMskCluster, parseClusterArn } from '../lambdas/aws/msk.ts';
import { brokerLogGroupVerdict, CLUSTER_BROKER_LOG_GROUP_CONTEXT, type ReportedBrokerLogGroup } from '../lib/broker-log-check.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The cluster's broker log group as DescribeClusterV2 reports it; "" when it delivers none to CloudWatch Logs. */
export async function reportedBrokerLogGroup(kafka: KafkaClient, clusterArn: string): Promise<ReportedBrokerLogGroup> {
  const cluster = await describeMskCluster(kafka, clusterArn);
  return { clusterArn, logGroup: cluster.brokerLogGroup ?? '' };
}

/** Merges the answer into a cdk.context.json (CDK's cache of looked-up values, which synthesis reads). */
export function recordInContextFile(path: string, reported: ReportedBrokerLogGroup): void {
  const context = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  context[CLUSTER_BROKER_LOG_GROUP_CONTEXT] = reported;
  writeFileSync(path, `${JSON.stringify(context, null, 2)}\n`);
}

async function main(): Promise<number> {
  const context = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  const flag = process.argv.indexOf('--cluster-arn');
  const clusterArn = flag >= 0 ? process.argv[flag + 1] : (context['recovery:clusterArn'] as string | undefined);
  const parts = clusterArn ? parseClusterArn(clusterArn) : null;
  if (!clusterArn || !parts) {
    process.stderr.write('check:broker-logs: give the cluster with --cluster-arn arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid> or set recovery:clusterArn in cdk.json.\n');
    return 2;
  }
  const kafka = new KafkaClient({ region: parts.region });
  try {
    const reported = await reportedBrokerLogGroup(kafka, clusterArn);
    recordInContextFile(join(ROOT, 'cdk.context.json'), reported);
    const verdict = brokerLogGroupVerdict({ clusterArn, brokerLogGroupName: String(context['recovery:brokerLogGroupName'] ?? '') }, reported);
    process.stdout.write(`${verdict.level}: ${verdict.message}\nRecorded in cdk.context.json (${CLUSTER_BROKER_LOG_GROUP_CONTEXT}).\n`);
    return verdict.level === 'error' ? 1 : 0;
  } finally {
    kafka.destroy();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = await main();
