/**
 * AWS SDK clients shared by every invocation of a warm Lambda container: created on first use,
 * then reused (connection reuse, credential caching), each captured by the X-Ray tracer. Region
 * comes from AWS_REGION, which Lambda sets. Functions in this folder take a client as a parameter; only handlers use these.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { traced } from './tracing.ts';

function region(): string | undefined {
  return process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
}

let msk: KafkaClient | undefined;
let logs: CloudWatchLogsClient | undefined;
let s3: S3Client | undefined;
let sns: SNSClient | undefined;
let sfn: SFNClient | undefined;
let secrets: SecretsManagerClient | undefined;

export const awsClients = {
  msk: (): KafkaClient => (msk ??= traced(new KafkaClient({ region: region() }))),
  // Standard retries like every other client: a dropped connection or a 5xx is retried by the
  // SDK; broker-logs.ts backs off further only when throttling outlasts them.
  logs: (): CloudWatchLogsClient => (logs ??= traced(new CloudWatchLogsClient({ region: region() }))),
  s3: (): S3Client => (s3 ??= traced(new S3Client({ region: region() }))),
  sns: (): SNSClient => (sns ??= traced(new SNSClient({ region: region() }))),
  sfn: (): SFNClient => (sfn ??= traced(new SFNClient({ region: region() }))),
  secrets: (): SecretsManagerClient => (secrets ??= traced(new SecretsManagerClient({ region: region() }))),
};
