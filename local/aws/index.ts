/**
 * The AWS stand-ins for one local cluster: each service on its own loopback port, speaking the
 * protocol the AWS SDK v3 client speaks, so production code runs unmodified with only an
 * endpoint (the SDK's own `AWS_ENDPOINT_URL_<SERVICE>` variables, or `endpoint` in the client
 * config), a region and dummy credentials.
 */
import { randomUUID } from 'node:crypto';
import type { BrokerLogSink } from '../kafka/broker-log.ts';
import { awsJsonError } from './aws-json.ts';
import { CloudWatchLogsStandin } from './cloudwatch-logs.ts';
import { startHttpService, type RunningService } from './http-service.ts';
import { MskStandin, mskError, type MskListener } from './msk.ts';
import { S3Standin, s3Error } from './s3.ts';
import { SecretsManagerStandin } from './secrets-manager.ts';
import { SnsStandin, snsError } from './sns.ts';
import { StepFunctionsStandin } from './step-functions.ts';

export { brokerStreamName, CloudWatchLogsStandin } from './cloudwatch-logs.ts';
export { MskStandin, type MskListener } from './msk.ts';
export { S3Standin, type StoredObject } from './s3.ts';
export { SecretsManagerStandin, secretArn } from './secrets-manager.ts';
export { SnsStandin, type PublishedMessage } from './sns.ts';
export { StepFunctionsStandin, type TaskOutcome } from './step-functions.ts';
export { parseFilterPattern, matchesFilter, FilterPatternError, type FilterPattern } from './filter-pattern.ts';

export interface AwsStandinsOptions {
  /** The local cluster to describe: its brokers and its broker-log sink (a LocalCluster fits). */
  cluster: { brokers: ReadonlyArray<{ brokerId: number; host: string; port: number }>; logs: BrokerLogSink };
  region?: string;
  account?: string;
  /** MSK cluster name (default local-kafka) */
  clusterName?: string;
  /** The listener the local cluster runs: plaintext (default) or SASL/SCRAM when it requires authentication. */
  listener?: MskListener;
  /** false: DescribeClusterV2 says broker logs are not delivered to CloudWatch */
  brokerLogs?: boolean;
  kafkaVersion?: string;
  /** S3 buckets that exist from the start */
  buckets?: string[];
  /** SNS topic ARNs that exist from the start */
  topics?: string[];
  /** Secrets Manager secrets (ARN -> SecretString) */
  secrets?: Record<string, string>;
  /** FilterLogEvents page size before `limit` (AWS: up to 10000 events or 1 MB); small values exercise paging. */
  logsPageSize?: number;
  /** ListNodes page size when the caller gives no maxResults (AWS: 10). */
  nodesPageSize?: number;
}

export type StandinService = 'logs' | 'kafka' | 's3' | 'sns' | 'sfn' | 'secretsManager';

/** The SDK's service ids, upper-cased with `_`, as `AWS_ENDPOINT_URL_<ID>` expects them. */
export const ENDPOINT_ENV_BY_SERVICE: Record<StandinService, string> = {
  logs: 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
  kafka: 'AWS_ENDPOINT_URL_KAFKA',
  s3: 'AWS_ENDPOINT_URL_S3',
  sns: 'AWS_ENDPOINT_URL_SNS',
  sfn: 'AWS_ENDPOINT_URL_SFN',
  secretsManager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
};

/** Credentials the stand-ins accept (they do not check signatures); any real key would work too. */
export const DUMMY_CREDENTIALS = { accessKeyId: 'AKIALOCALSTANDIN0000', secretAccessKey: 'local-stand-in-secret-key' } as const;

export interface AwsClientSettings {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface AwsStandins {
  region: string;
  account: string;
  clusterArn: string;
  clusterName: string;
  logGroupName: string;
  endpoints: Record<StandinService, string>;
  logs: CloudWatchLogsStandin;
  msk: MskStandin;
  s3: S3Standin;
  sns: SnsStandin;
  sfn: StepFunctionsStandin;
  secrets: SecretsManagerStandin;
  /** What an SDK client constructor needs to talk to one stand-in. */
  clientConfig(service: StandinService): AwsClientSettings;
  /** Environment for code that builds its clients with only a region: the endpoint variables, region and credentials. */
  environment(): Record<string, string>;
  stop(): Promise<void>;
}

export async function startAwsStandins(options: AwsStandinsOptions): Promise<AwsStandins> {
  const region = options.region ?? 'eu-west-1';
  const account = options.account ?? '123456789012';
  const clusterName = options.clusterName ?? 'local-kafka';
  if (!/^[A-Za-z0-9-]{1,64}$/.test(clusterName)) throw new Error(`clusterName: MSK names hold letters, digits and -, got ${JSON.stringify(clusterName)}`);
  const clusterArn = `arn:aws:kafka:${region}:${account}:cluster/${clusterName}/${randomUUID()}-1`;
  const logGroupName = `/aws/msk/${clusterName}/broker-logs`;
  const brokers = () => options.cluster.brokers.map((b) => ({ brokerId: b.brokerId, host: b.host, port: b.port }));

  const logs = new CloudWatchLogsStandin({
    logs: options.cluster.logs,
    logGroupName,
    clusterName,
    brokerIds: () => options.cluster.brokers.map((b) => b.brokerId),
    region,
    account,
    ...(options.logsPageSize !== undefined ? { pageSize: options.logsPageSize } : {}),
  });
  const msk = new MskStandin({
    clusterArn,
    clusterName,
    kafkaVersion: options.kafkaVersion ?? '3.9.x',
    brokers,
    listener: options.listener ?? 'plaintext',
    brokerLogGroup: options.brokerLogs === false ? null : logGroupName,
    createdAt: new Date(),
    ...(options.nodesPageSize !== undefined ? { nodesPageSize: options.nodesPageSize } : {}),
  });
  const s3 = new S3Standin(options.buckets ?? []);
  const sns = new SnsStandin(options.topics ?? []);
  const sfn = new StepFunctionsStandin();
  const secrets = new SecretsManagerStandin();
  for (const [arn, value] of Object.entries(options.secrets ?? {})) secrets.put(arn, value);

  const started: RunningService[] = [];
  const start = async (service: Parameters<typeof startHttpService>): Promise<string> => {
    const running = await startHttpService(...service);
    started.push(running);
    return running.url;
  };
  let endpoints: Record<StandinService, string>;
  try {
    endpoints = {
      logs: await start([logs.handler, awsJsonError('1.1'), { region, service: 'logs' }]),
      kafka: await start([msk.handler, mskError, { region, service: 'kafka', errors: { missing: ['UnauthorizedException', 401], scope: ['UnauthorizedException', 401] } }]),
      s3: await start([s3.handler, s3Error, { region, service: 's3', errors: { missing: ['AccessDenied', 403], scope: ['AuthorizationHeaderMalformed', 400] } }]),
      sns: await start([sns.handler, snsError, { region, service: 'sns', errors: { missing: ['MissingAuthenticationToken', 403], scope: ['SignatureDoesNotMatch', 403] } }]),
      sfn: await start([sfn.handler, awsJsonError('1.0'), { region, service: 'states' }]),
      secretsManager: await start([secrets.handler, awsJsonError('1.1'), { region, service: 'secretsmanager' }]),
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.close()));
    throw error;
  }

  return {
    region,
    account,
    clusterArn,
    clusterName,
    logGroupName,
    endpoints,
    logs,
    msk,
    s3,
    sns,
    sfn,
    secrets,
    clientConfig: (service) => ({ endpoint: endpoints[service], region, credentials: { ...DUMMY_CREDENTIALS } }),
    environment: () => ({
      ...Object.fromEntries(Object.entries(ENDPOINT_ENV_BY_SERVICE).map(([service, variable]) => [variable, endpoints[service as StandinService]])),
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    }),
    stop: async () => {
      await Promise.all(started.map((s) => s.close()));
    },
  };
}
