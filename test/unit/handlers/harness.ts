/**
 * Handler test harness: every AWS SDK client mocked at the SDK boundary (S3 behaves like a tiny
 * bucket, conditional puts included), the Kafka port replaced by an in-memory cluster.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeClusterV2Command, GetBootstrapBrokersCommand, KafkaClient, ListNodesCommand } from '@aws-sdk/client-kafka';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { HandlerDeps } from '../../../lambdas/handlers/runtime.ts';
import type { KafkaConnectionConfig } from '../../../lambdas/kafka/index.ts';
import { CLUSTER_ARN, ShardFailingKafka } from '../core/workflow/fixtures.ts';

export const mocks = {
  msk: mockClient(KafkaClient),
  logs: mockClient(CloudWatchLogsClient),
  s3: mockClient(S3Client),
  sns: mockClient(SNSClient),
  sfn: mockClient(SFNClient),
  secrets: mockClient(SecretsManagerClient),
};

export const NOW = new Date('2026-11-24T22:00:00Z');
export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:CoordinatorRecovery';
export const SIGNING_KEY = 'signing-key-'.repeat(4);
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:approvals';

export interface Harness {
  kafka: ShardFailingKafka;
  objects: Map<string, string>;
  connections: KafkaConnectionConfig[];
  deps: Partial<HandlerDeps>;
}

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', message: name, $metadata: { httpStatusCode: status } });
}

export function setUp(env: Record<string, string> = {}): Harness {
  for (const mock of Object.values(mocks)) mock.reset();
  const objects = new Map<string, string>();
  mocks.s3.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Body: string; IfNoneMatch?: string }) => {
    const key = `${input.Bucket}/${input.Key}`;
    if (input.IfNoneMatch === '*' && objects.has(key)) throw s3Error('PreconditionFailed', 412);
    objects.set(key, input.Body);
    return {};
  });
  mocks.s3.on(GetObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    const text = objects.get(`${input.Bucket}/${input.Key}`);
    if (text === undefined) throw s3Error('NoSuchKey', 404);
    return { Body: { transformToString: async () => text } };
  });
  mocks.s3.on(DeleteObjectCommand).callsFake(async (input: { Bucket: string; Key: string }) => {
    objects.delete(`${input.Bucket}/${input.Key}`);
    return {};
  });
  mocks.msk.on(GetBootstrapBrokersCommand).resolves({
    BootstrapBrokerStringSaslIam: 'b-1.orders:9098,b-2.orders:9098',
    BootstrapBrokerStringSaslScram: 'b-1.orders:9096',
    BootstrapBrokerStringTls: 'b-1.orders:9094',
  });
  mocks.msk.on(DescribeClusterV2Command).resolves({
    ClusterInfo: {
      ClusterArn: CLUSTER_ARN,
      ClusterName: 'orders',
      ClusterType: 'PROVISIONED',
      State: 'ACTIVE',
      Provisioned: {
        BrokerNodeGroupInfo: undefined,
        NumberOfBrokerNodes: 3,
        CurrentBrokerSoftwareInfo: { KafkaVersion: '3.9.x' },
        LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true, LogGroup: 'msk/broker-logs/orders' } } },
      },
    },
  });
  mocks.msk.on(ListNodesCommand).resolves({
    NodeInfoList: [1, 2, 3].map((id) => ({ NodeType: 'BROKER' as const, BrokerNodeInfo: { BrokerId: id, Endpoints: [`b-${id}.orders`] } })),
  });
  mocks.logs.on(FilterLogEventsCommand).resolves({ events: [] });
  mocks.secrets.on(GetSecretValueCommand, { SecretId: 'arn:signing' }).resolves({ SecretString: SIGNING_KEY });
  // A key that was never rotated has no AWSPREVIOUS version.
  mocks.secrets
    .on(GetSecretValueCommand, { SecretId: 'arn:signing', VersionStage: 'AWSPREVIOUS' })
    .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS", $metadata: {} }));
  mocks.secrets.on(GetSecretValueCommand, { SecretId: 'arn:scram' }).resolves({ SecretString: '{"username":"recovery","password":"pw"}' });
  mocks.sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  mocks.sfn.on(SendTaskSuccessCommand).resolves({});
  mocks.sfn.on(SendTaskFailureCommand).resolves({});

  const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12, startTime: BigInt(NOW.getTime() - 3_600_000) });
  const connections: KafkaConnectionConfig[] = [];
  return {
    kafka,
    objects,
    connections,
    deps: {
      env: {
        AWS_REGION: 'us-east-1',
        ARTIFACTS_BUCKET: 'artifacts',
        APPROVAL_TOPIC_ARN: TOPIC_ARN,
        STATE_MACHINE_ARN,
        CLUSTER_ARN,
        AUTH_MODE: 'iam',
        APPROVAL_SIGNING_SECRET_ARN: 'arn:signing',
        APPROVAL_ENDPOINT_URL: 'https://approve.lambda-url.us-east-1.on.aws/',
        SCRAM_SECRET_ARN: 'arn:scram',
        ...env,
      },
      now: () => NOW,
      sleep: async () => {},
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      kafkaPort: (config) => {
        connections.push(config);
        return kafka;
      },
    },
  };
}

export function urlEvent(method: 'GET' | 'POST' | 'PUT', query: string, body?: string): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: query,
    queryStringParameters: Object.fromEntries(new URLSearchParams(query)),
    headers: {},
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'x',
      domainName: 'approve.lambda-url.us-east-1.on.aws',
      domainPrefix: 'approve',
      http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test-browser' },
      requestId: 'r',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}

/** A request as the AWS_IAM function URL delivers it: Lambda verified the signature and names the caller. */
export function iamEvent(userArn: string, body: unknown, method: 'POST' | 'GET' = 'POST'): LambdaFunctionURLEvent {
  const event = urlEvent(method, '', JSON.stringify(body));
  const accountId = userArn.split(':')[4] ?? '';
  return {
    ...event,
    headers: { 'content-type': 'application/json' },
    requestContext: {
      ...event.requestContext,
      accountId,
      authorizer: { iam: { accessKey: 'AKIAEXAMPLE', accountId, callerId: 'AIDAEXAMPLE', cognitoIdentity: null, principalOrgId: null, userArn, userId: 'AIDAEXAMPLE' } },
    },
  } as LambdaFunctionURLEvent;
}
