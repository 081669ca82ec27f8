/**
 * MSK control plane: what the runbook needs to know about a cluster before it talks to Kafka.
 * Every function takes its KafkaClient (from @aws-sdk/client-kafka) so tests can mock it.
 */
import {
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  ListNodesCommand,
  type GetBootstrapBrokersResponse,
  type KafkaClient,
} from '@aws-sdk/client-kafka';
import { RecoveryError, invalidInput } from '../core/errors.ts';
import type { AuthMode, BrokerNode } from '../core/workflow/documents.ts';
import { awsError, awsErrorName } from './errors.ts';

export interface MskClusterDescription {
  clusterArn: string;
  clusterName: string;
  clusterType: 'PROVISIONED';
  state: string;
  kafkaVersion: string;
  brokerCount: number;
  /** CloudWatch Logs group the brokers write to; null when CloudWatch broker logs are off. */
  brokerLogGroup: string | null;
}

const CLUSTER_ARN_PATTERN = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9-]+)\/([A-Za-z0-9-]+)$/;

export function parseClusterArn(clusterArn: string): { region: string; account: string; clusterName: string; uuid: string } | null {
  const match = CLUSTER_ARN_PATTERN.exec(clusterArn);
  if (!match) return null;
  return { region: match[1]!, account: match[2]!, clusterName: match[3]!, uuid: match[4]! };
}

function mapMskLookupError(error: unknown, clusterArn: string, action: string): RecoveryError {
  const name = awsErrorName(error);
  if (name === 'NotFoundException') {
    return new RecoveryError(
      'NOT_FOUND',
      `clusterArn: no MSK cluster ${clusterArn} in this account and region. Check the ARN with \`aws kafka list-clusters-v2\` and run the stack in the cluster's region.`,
      { details: { field: 'clusterArn', clusterArn }, cause: error },
    );
  }
  if (name === 'BadRequestException') {
    return new RecoveryError('INVALID_INPUT', `clusterArn: MSK rejected ${clusterArn} (${(error as Error).message}). Pass the ARN exactly as \`aws kafka list-clusters-v2\` prints it.`, {
      details: { field: 'clusterArn', clusterArn },
      cause: error,
    });
  }
  return awsError(error, action);
}

export async function describeMskCluster(kafka: KafkaClient, clusterArn: string): Promise<MskClusterDescription> {
  let info;
  try {
    info = (await kafka.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }))).ClusterInfo;
  } catch (error) {
    throw mapMskLookupError(error, clusterArn, 'kafka:DescribeClusterV2');
  }
  if (!info) throw new RecoveryError('AWS_ERROR', `kafka:DescribeClusterV2 returned no ClusterInfo for ${clusterArn}`);
  if (info.ClusterType === 'SERVERLESS' || (info.Serverless && !info.Provisioned)) {
    throw new RecoveryError(
      'UNSUPPORTED',
      `clusterArn: ${clusterArn} is an MSK Serverless cluster. Serverless exposes neither broker logs nor __consumer_offsets to clients, so this runbook needs a provisioned cluster.`,
      { details: { field: 'clusterArn', clusterType: 'SERVERLESS' } },
    );
  }
  const provisioned = info.Provisioned;
  const cloudWatch = provisioned?.LoggingInfo?.BrokerLogs?.CloudWatchLogs;
  return {
    clusterArn: info.ClusterArn ?? clusterArn,
    clusterName: info.ClusterName ?? parseClusterArn(clusterArn)?.clusterName ?? '',
    clusterType: 'PROVISIONED',
    state: info.State ?? 'UNKNOWN',
    kafkaVersion: provisioned?.CurrentBrokerSoftwareInfo?.KafkaVersion ?? 'unknown',
    brokerCount: provisioned?.NumberOfBrokerNodes ?? 0,
    brokerLogGroup: cloudWatch?.Enabled === true && cloudWatch.LogGroup ? cloudWatch.LogGroup : null,
  };
}

/** The broker log group, or an error telling the operator how to turn broker logs on. */
export function requireBrokerLogGroup(cluster: MskClusterDescription): string {
  if (cluster.brokerLogGroup) return cluster.brokerLogGroup;
  throw new RecoveryError(
    'CONFIGURATION',
    `Broker logs of ${cluster.clusterArn} are not delivered to CloudWatch Logs, so the coordinator failure cannot be confirmed from the logs. ` +
      'Enable them with `aws kafka update-monitoring --cluster-arn <arn> --current-version <v> --logging-info ' +
      '\'{"BrokerLogs":{"CloudWatchLogs":{"Enabled":true,"LogGroup":"<group>"}}}\'` (or in the console: Monitoring > Broker log delivery), then start a new execution.',
    { details: { clusterArn: cluster.clusterArn } },
  );
}

/** Every broker of the cluster with its endpoints, following every ListNodes page. */
export async function listBrokerNodes(kafka: KafkaClient, clusterArn: string, maxPages = 100): Promise<BrokerNode[]> {
  const brokers = new Map<number, BrokerNode>();
  const seenTokens = new Set<string>();
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    let response;
    try {
      response = await kafka.send(new ListNodesCommand({ ClusterArn: clusterArn, NextToken: nextToken }));
    } catch (error) {
      throw mapMskLookupError(error, clusterArn, 'kafka:ListNodes');
    }
    for (const node of response.NodeInfoList ?? []) {
      const info = node.BrokerNodeInfo;
      if (info?.BrokerId === undefined) continue;
      const brokerId = Math.trunc(info.BrokerId);
      brokers.set(brokerId, { brokerId, endpoints: [...(info.Endpoints ?? [])].sort() });
    }
    nextToken = response.NextToken;
    if (!nextToken || seenTokens.has(nextToken)) break;
    seenTokens.add(nextToken);
  }
  return [...brokers.values()].sort((a, b) => a.brokerId - b.brokerId);
}

interface BootstrapChoice {
  field: keyof GetBootstrapBrokersResponse;
  port: number;
  howToEnable: string;
}

const BOOTSTRAP_BY_AUTH_MODE: Record<AuthMode, BootstrapChoice> = {
  iam: { field: 'BootstrapBrokerStringSaslIam', port: 9098, howToEnable: 'turn on IAM access control (Security > Client authentication > IAM)' },
  scram: { field: 'BootstrapBrokerStringSaslScram', port: 9096, howToEnable: 'turn on SASL/SCRAM authentication and associate the secret' },
  tls: { field: 'BootstrapBrokerStringTls', port: 9094, howToEnable: 'turn on TLS encryption between clients and brokers' },
  plaintext: { field: 'BootstrapBrokerString', port: 9092, howToEnable: 'allow plaintext client traffic (encryption in transit TLS_PLAINTEXT or PLAINTEXT)' },
  'public-iam': { field: 'BootstrapBrokerStringPublicSaslIam', port: 9198, howToEnable: 'turn on public access with IAM authentication' },
  'public-scram': { field: 'BootstrapBrokerStringPublicSaslScram', port: 9196, howToEnable: 'turn on public access with SASL/SCRAM authentication' },
  'public-tls': { field: 'BootstrapBrokerStringPublicTls', port: 9194, howToEnable: 'turn on public access with TLS client authentication' },
};

export function bootstrapPortFor(authMode: AuthMode): number {
  return BOOTSTRAP_BY_AUTH_MODE[authMode].port;
}

/** The bootstrap brokers ("host:port") for the configured auth mode. */
export async function getBootstrapBrokers(kafka: KafkaClient, clusterArn: string, authMode: AuthMode): Promise<string[]> {
  const choice = BOOTSTRAP_BY_AUTH_MODE[authMode];
  if (!choice) throw invalidInput('authMode', `unknown auth mode "${String(authMode)}"`, `Use one of ${Object.keys(BOOTSTRAP_BY_AUTH_MODE).join(', ')}`);
  let response: GetBootstrapBrokersResponse;
  try {
    response = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  } catch (error) {
    throw mapMskLookupError(error, clusterArn, 'kafka:GetBootstrapBrokers');
  }
  const value = response[choice.field];
  if (typeof value !== 'string' || value.trim() === '') {
    const available = (Object.entries(BOOTSTRAP_BY_AUTH_MODE) as [AuthMode, BootstrapChoice][])
      .filter(([, c]) => typeof response[c.field] === 'string' && response[c.field] !== '')
      .map(([mode]) => mode);
    throw new RecoveryError(
      'CONFIGURATION',
      `authMode: the cluster has no ${authMode} listener (port ${choice.port}). Either ${choice.howToEnable} on the cluster, or set authMode to one it has: ${available.length > 0 ? available.join(', ') : 'none reported'}.`,
      { details: { field: 'authMode', authMode, available } },
    );
  }
  return value
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
}
