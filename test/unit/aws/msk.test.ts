import { BadRequestException, DescribeClusterV2Command, GetBootstrapBrokersCommand, KafkaClient, ListNodesCommand, NotFoundException } from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { describeMskCluster, getBootstrapBrokers, listBrokerNodes, parseClusterArn, requireBrokerLogGroup } from '../../../lambdas/aws/msk.ts';
import type { AuthMode } from '../../../lambdas/core/workflow/documents.ts';

const kafkaMock = mockClient(KafkaClient);
const client = new KafkaClient({ region: 'us-east-1' });
afterEach(() => kafkaMock.reset());

const ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/orders/0b9c6f3e-1111-2222-3333-444455556666-7';

function provisioned(logging?: { Enabled: boolean; LogGroup?: string }) {
  return {
    ClusterInfo: {
      ClusterArn: ARN,
      ClusterName: 'orders',
      ClusterType: 'PROVISIONED' as const,
      State: 'ACTIVE' as const,
      Provisioned: {
        BrokerNodeGroupInfo: undefined,
        NumberOfBrokerNodes: 3,
        CurrentBrokerSoftwareInfo: { KafkaVersion: '3.9.x' },
        LoggingInfo: logging ? { BrokerLogs: { CloudWatchLogs: logging } } : undefined,
      },
    },
  };
}

describe('describeMskCluster', () => {
  it('reads state, version and the broker log group', async () => {
    kafkaMock.on(DescribeClusterV2Command, { ClusterArn: ARN }).resolves(provisioned({ Enabled: true, LogGroup: 'msk/broker-logs/orders' }));
    const cluster = await describeMskCluster(client, ARN);
    expect(cluster).toEqual({
      clusterArn: ARN,
      clusterName: 'orders',
      clusterType: 'PROVISIONED',
      state: 'ACTIVE',
      kafkaVersion: '3.9.x',
      brokerCount: 3,
      brokerLogGroup: 'msk/broker-logs/orders',
    });
    expect(requireBrokerLogGroup(cluster)).toBe('msk/broker-logs/orders');
  });

  it.each([
    ['no logging info at all', undefined],
    ['CloudWatch delivery disabled', { Enabled: false, LogGroup: 'msk/broker-logs/orders' }],
  ])('explains how to turn broker logs on when there is %s', async (_, logging) => {
    kafkaMock.on(DescribeClusterV2Command).resolves(provisioned(logging));
    const cluster = await describeMskCluster(client, ARN);
    expect(cluster.brokerLogGroup).toBeNull();
    expect(() => requireBrokerLogGroup(cluster)).toThrow(/update-monitoring.*BrokerLogs/s);
  });

  it('refuses a Serverless cluster with the reason', async () => {
    kafkaMock.on(DescribeClusterV2Command).resolves({ ClusterInfo: { ClusterArn: ARN, ClusterType: 'SERVERLESS', State: 'ACTIVE', Serverless: { VpcConfigs: [] } } });
    await expect(describeMskCluster(client, ARN)).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('Serverless') });
  });

  it('turns an unknown ARN into NOT_FOUND naming clusterArn', async () => {
    kafkaMock.on(DescribeClusterV2Command).rejects(new NotFoundException({ message: 'not found', $metadata: { httpStatusCode: 404 } }));
    const error = await describeMskCluster(client, ARN).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND', details: { field: 'clusterArn' } });
    expect((error as Error).message).toMatch(/^clusterArn: .*list-clusters-v2/);
  });

  it('turns a malformed ARN rejected by MSK into INVALID_INPUT', async () => {
    kafkaMock.on(DescribeClusterV2Command).rejects(new BadRequestException({ message: 'bad arn', $metadata: { httpStatusCode: 400 } }));
    await expect(describeMskCluster(client, ARN)).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'clusterArn' } });
  });
});

describe('listBrokerNodes', () => {
  it('follows every page and maps broker ids to endpoints', async () => {
    kafkaMock
      .on(ListNodesCommand)
      .resolvesOnce({ NodeInfoList: [{ NodeType: 'BROKER', BrokerNodeInfo: { BrokerId: 2, Endpoints: ['b-2.orders.kafka.us-east-1.amazonaws.com'] } }], NextToken: 'p2' })
      .resolvesOnce({ NodeInfoList: [], NextToken: 'p3' })
      .resolvesOnce({ NodeInfoList: [{ NodeType: 'BROKER', BrokerNodeInfo: { BrokerId: 1, Endpoints: ['b-1.orders.kafka.us-east-1.amazonaws.com'] } }] });
    expect(await listBrokerNodes(client, ARN)).toEqual([
      { brokerId: 1, endpoints: ['b-1.orders.kafka.us-east-1.amazonaws.com'] },
      { brokerId: 2, endpoints: ['b-2.orders.kafka.us-east-1.amazonaws.com'] },
    ]);
    expect(kafkaMock.commandCalls(ListNodesCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'p2', 'p3']);
  });
});

describe('getBootstrapBrokers', () => {
  const all = {
    BootstrapBrokerString: 'b-1:9092,b-2:9092',
    BootstrapBrokerStringTls: 'b-1:9094,b-2:9094',
    BootstrapBrokerStringSaslScram: 'b-1:9096,b-2:9096',
    BootstrapBrokerStringSaslIam: 'b-1:9098,b-2:9098',
    BootstrapBrokerStringPublicTls: 'p-1:9194',
    BootstrapBrokerStringPublicSaslScram: 'p-1:9196',
    BootstrapBrokerStringPublicSaslIam: 'p-1:9198',
  };
  it.each<[AuthMode, string[]]>([
    ['iam', ['b-1:9098', 'b-2:9098']],
    ['scram', ['b-1:9096', 'b-2:9096']],
    ['tls', ['b-1:9094', 'b-2:9094']],
    ['plaintext', ['b-1:9092', 'b-2:9092']],
    ['public-iam', ['p-1:9198']],
    ['public-scram', ['p-1:9196']],
    ['public-tls', ['p-1:9194']],
  ])('picks the %s listener', async (mode, expected) => {
    kafkaMock.on(GetBootstrapBrokersCommand).resolves(all);
    expect(await getBootstrapBrokers(client, ARN, mode)).toEqual(expected);
  });

  it('names the fix and the modes the cluster has when the mode is not enabled', async () => {
    kafkaMock.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerStringTls: 'b-1:9094', BootstrapBrokerStringSaslIam: 'b-1:9098' });
    const error = await getBootstrapBrokers(client, ARN, 'scram').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIGURATION', details: { field: 'authMode', available: ['iam', 'tls'] } });
    expect((error as Error).message).toMatch(/^authMode: .*SASL\/SCRAM.*iam, tls/);
  });

  it('maps an unknown cluster to NOT_FOUND', async () => {
    kafkaMock.on(GetBootstrapBrokersCommand).rejects(new NotFoundException({ message: 'nope', $metadata: {} }));
    await expect(getBootstrapBrokers(client, ARN, 'iam')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('parseClusterArn', () => {
  it('splits a cluster ARN and rejects other ARNs', () => {
    expect(parseClusterArn(ARN)).toEqual({ region: 'us-east-1', account: '123456789012', clusterName: 'orders', uuid: '0b9c6f3e-1111-2222-3333-444455556666-7' });
    expect(parseClusterArn('arn:aws:kafka:us-east-1:123456789012:topic/orders/x/y')).toBeNull();
  });
});
