/**
 * The broker log group check: scripts/check-broker-logs.ts asks the MSK stand-in (real
 * @aws-sdk/client-kafka, DescribeClusterV2) and records the answer; the stack synthesized with
 * that answer fails on a mismatch with recovery:brokerLogGroupName and says what to set.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { brokerLogGroupVerdict, CLUSTER_BROKER_LOG_GROUP_CONTEXT } from '../../../lib/broker-log-check.ts';
import { RecoveryStack } from '../../../lib/recovery-stack.ts';
import { startAwsStandins, type AwsStandins } from '../../../local/aws/index.ts';
import { BrokerLogSink } from '../../../local/kafka/broker-log.ts';
import { recordInContextFile, reportedBrokerLogGroup } from '../../../scripts/check-broker-logs.ts';
import { tempDirForSuite } from '../../support/temp-dir.ts';

const standins: AwsStandins[] = [];
const clients: KafkaClient[] = [];
const dir = tempDirForSuite('broker-log-check-');

async function askCluster(options: { brokerLogs?: boolean } = {}): Promise<{ aws: AwsStandins; answer: Awaited<ReturnType<typeof reportedBrokerLogGroup>> }> {
  const aws = await startAwsStandins({ cluster: { brokers: [], logs: new BrokerLogSink() }, clusterName: 'orders-prod', region: 'eu-west-1', ...options });
  standins.push(aws);
  const kafka = new KafkaClient(aws.clientConfig('kafka'));
  clients.push(kafka);
  return { aws, answer: await reportedBrokerLogGroup(kafka, aws.clusterArn) };
}

afterAll(async () => {
  for (const client of clients) client.destroy();
  await Promise.all(standins.map((s) => s.stop()));
});

describe('the broker log group check', () => {
  it('records what DescribeClusterV2 reports, beside what the context file already holds', async () => {
    const { aws, answer } = await askCluster();
    expect(answer).toEqual({ clusterArn: aws.clusterArn, logGroup: aws.logGroupName });
    const file = join(dir, 'cdk.context.json');
    writeFileSync(file, JSON.stringify({ 'vpc-provider:account=1': { vpcId: 'vpc-1' } }));
    recordInContextFile(file, answer);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ 'vpc-provider:account=1': { vpcId: 'vpc-1' }, [CLUSTER_BROKER_LOG_GROUP_CONTEXT]: answer });

    const off = await askCluster({ brokerLogs: false });
    expect(off.answer.logGroup).toBe('');
  });

  it('judges the configured group by the answer: same, different, no delivery, not checked or another cluster', async () => {
    const { aws, answer } = await askCluster();
    const configured = { clusterArn: aws.clusterArn, brokerLogGroupName: aws.logGroupName };
    expect(brokerLogGroupVerdict(configured, answer).level).toBe('ok');
    const wrong = brokerLogGroupVerdict({ ...configured, brokerLogGroupName: '/aws/msk/orders-prod/broker' }, answer);
    expect(wrong).toEqual({ level: 'error', message: expect.stringContaining(`set recovery:brokerLogGroupName to "${aws.logGroupName}"`) });
    expect(brokerLogGroupVerdict(configured, { ...answer, logGroup: '' })).toEqual({ level: 'warning', message: expect.stringContaining('delivers no broker logs') });
    expect(brokerLogGroupVerdict(configured, undefined)).toEqual({ level: 'warning', message: expect.stringContaining('npm run check:broker-logs') });
    expect(brokerLogGroupVerdict(configured, { ...answer, clusterArn: `${aws.clusterArn}-other` }).message).toContain('not checked');
  });

  it('fails the synthesis of a stack whose broker log group is not the one the cluster reports', async () => {
    const { aws, answer } = await askCluster();
    const app = new App({ outdir: join(dir, 'cdk.out'), context: { 'aws:cdk:bundling-stacks': [], [CLUSTER_BROKER_LOG_GROUP_CONTEXT]: answer } });
    const stack = new RecoveryStack(app, 'CoordinatorRecovery', { config: { clusterArn: aws.clusterArn, brokerLogGroupName: '/aws/msk/orders-prod/broker' } });
    Annotations.fromStack(stack).hasError('*', Match.stringLikeRegexp(`but the cluster delivers its broker logs to "${aws.logGroupName}"`));
  }, 120_000);
});
