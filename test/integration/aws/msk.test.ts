/**
 * lambdas/aws/msk.ts with the real @aws-sdk/client-kafka against the MSK stand-in describing a
 * real local cluster: DescribeClusterV2, ListNodes (every page), GetBootstrapBrokers per auth mode,
 * and the errors the runbook turns into operator messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeClusterV2Command, KafkaClient, ListNodesCommand } from '@aws-sdk/client-kafka';
import { describeMskCluster, getBootstrapBrokers, listBrokerNodes, requireBrokerLogGroup } from '../../../lambdas/aws/msk.ts';
import { startAwsStandins, type AwsStandins } from '../../../local/aws/index.ts';
import { startLocalCluster, type LocalCluster } from '../../../local/kafka/index.ts';

let local: LocalCluster;
const standins: AwsStandins[] = [];
const clients: KafkaClient[] = [];

async function standinsWith(options: Partial<Parameters<typeof startAwsStandins>[0]> = {}): Promise<{ aws: AwsStandins; kafka: KafkaClient }> {
  const aws = await startAwsStandins({ cluster: local, clusterName: 'orders-prod', ...options });
  standins.push(aws);
  const kafka = new KafkaClient(aws.clientConfig('kafka'));
  clients.push(kafka);
  return { aws, kafka };
}

beforeAll(async () => {
  local = await startLocalCluster({ brokers: 3, offsetsPartitions: 4, transactionPartitions: 1 });
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await Promise.all(standins.map((s) => s.stop()));
  await local?.stop();
});

describe('the MSK stand-in', () => {
  it('describes the local cluster as an active provisioned cluster delivering broker logs to the stand-in group', async () => {
    const { aws, kafka } = await standinsWith({ kafkaVersion: '3.8.x' });
    const cluster = await describeMskCluster(kafka, aws.clusterArn);
    expect(cluster).toEqual({
      clusterArn: aws.clusterArn,
      clusterName: 'orders-prod',
      clusterType: 'PROVISIONED',
      state: 'ACTIVE',
      kafkaVersion: '3.8.x',
      brokerCount: 3,
      brokerLogGroup: '/aws/msk/orders-prod/broker-logs',
    });
    expect(requireBrokerLogGroup(cluster)).toBe(aws.logGroupName);
    const raw = await kafka.send(new DescribeClusterV2Command({ ClusterArn: aws.clusterArn }));
    expect(raw.ClusterInfo?.CreationTime).toBeInstanceOf(Date);
    expect(raw.ClusterInfo?.Provisioned?.BrokerNodeGroupInfo?.InstanceType).toBe('kafka.m5.large');
  });

  it('lists every broker with its endpoint across ListNodes pages', async () => {
    const { aws, kafka } = await standinsWith({ nodesPageSize: 2 });
    const firstPage = await kafka.send(new ListNodesCommand({ ClusterArn: aws.clusterArn }));
    expect(firstPage.NodeInfoList).toHaveLength(2);
    expect(firstPage.NextToken).toBeDefined();
    const nodes = await listBrokerNodes(kafka, aws.clusterArn);
    expect(nodes).toEqual(local.brokers.map((b) => ({ brokerId: b.brokerId, endpoints: [`${b.host}:${b.port}`] })));
  });

  it('gives the bootstrap string of the listener the cluster runs, and names the missing one otherwise', async () => {
    const { aws, kafka } = await standinsWith();
    expect(await getBootstrapBrokers(kafka, aws.clusterArn, 'plaintext')).toEqual(local.bootstrapServers);
    await expect(getBootstrapBrokers(kafka, aws.clusterArn, 'iam')).rejects.toMatchObject({
      code: 'CONFIGURATION',
      message: expect.stringContaining('has no iam listener (port 9098)'),
      details: { available: ['plaintext'] },
    });
    const scram = await standinsWith({ listener: 'sasl-scram' });
    expect(await getBootstrapBrokers(scram.kafka, scram.aws.clusterArn, 'scram')).toEqual(local.bootstrapServers);
    await expect(getBootstrapBrokers(scram.kafka, scram.aws.clusterArn, 'plaintext')).rejects.toMatchObject({ code: 'CONFIGURATION' });
  });

  it('broker logs off: the runbook says how to turn them on', async () => {
    const { aws, kafka } = await standinsWith({ brokerLogs: false });
    const cluster = await describeMskCluster(kafka, aws.clusterArn);
    expect(cluster.brokerLogGroup).toBeNull();
    expect(() => requireBrokerLogGroup(cluster)).toThrow(/not delivered to CloudWatch Logs.*update-monitoring/s);
  });

  it('an unknown cluster is NotFoundException (404) and a malformed ARN BadRequestException (400), as MSK answers', async () => {
    const { aws, kafka } = await standinsWith();
    const unknown = aws.clusterArn.replace(/-1$/, '-2');
    await expect(kafka.send(new DescribeClusterV2Command({ ClusterArn: unknown }))).rejects.toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(describeMskCluster(kafka, unknown)).rejects.toMatchObject({ code: 'NOT_FOUND', details: { field: 'clusterArn' } });
    await expect(listBrokerNodes(kafka, unknown)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(describeMskCluster(kafka, 'arn:aws:kafka:eu-west-1:123456789012:cluster/no-uuid')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
