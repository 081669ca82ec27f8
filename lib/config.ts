import { RecoveryError } from '../lambdas/core/errors.ts';
import { APPROVAL_MODES, type ApprovalMode } from '../lambdas/core/workflow/approval-quorum.ts';
import { parseClusterArn, type MskClusterArnParts } from './msk-arns.ts';

export type KafkaAuthMode = 'iam' | 'scram' | 'tls';

/** Everything the stack needs to know about the cluster it recovers and the people who approve. */
export interface RecoveryConfig {
  /** The MSK provisioned cluster, e.g. arn:aws:kafka:eu-west-1:123456789012:cluster/orders/<uuid>. */
  clusterArn: string;
  /** The cluster's VPC; the Kafka-facing Lambdas run in it. */
  vpcId: string;
  /** Look the VPC up in the account (needs credentials at synth time); default false. */
  lookupVpc: boolean;
  /** Availability zones of the subnets below, when the VPC is imported by attributes. */
  availabilityZones: string[];
  /** Private subnets that can reach the brokers (usually the cluster's own client subnets). */
  subnetIds: string[];
  /** A security group the brokers accept client traffic from (usually the cluster's own). */
  securityGroupId: string;
  authMode: KafkaAuthMode;
  /** AmazonMSK_* secret with the SCRAM user; required when authMode is scram, with its key below. */
  scramSecretArn?: string;
  /** The customer managed key that encrypts the SCRAM secret (MSK requires one). */
  scramSecretKmsKeyArn?: string;
  /**
   * For authMode tls on a cluster with TLS client authentication (mTLS): a Secrets Manager
   * secret {"certificate": PEM, "privateKey": PEM} issued by the cluster's ACM private CA.
   */
  tlsClientCertificateSecretArn?: string;
  /** The customer managed key of that secret, when it is not encrypted with aws/secretsmanager. */
  tlsClientCertificateSecretKmsKeyArn?: string;
  /** The CloudWatch Logs group the cluster's broker logs go to (Provisioned.LoggingInfo). */
  brokerLogGroupName: string;
  approverEmail: string;
  approvalTimeoutHours: number;
  /** How far back Diagnose searches the broker logs when the input gives no window. */
  lookbackMinutes: number;
  logRetentionDays: number;
  /**
   * IAM name pattern of the groups the runbook may write to (kafka-cluster:AlterGroup); `*` is
   * a wildcard. The default matches the names PlanTarget suggests (`<source>-recovered-<n>`);
   * target names given in the input must match it too.
   */
  targetGroupPattern: string;
  /** Which groups the runbook may describe and read; `*` is every group of this cluster. */
  sourceGroupPattern: string;
  /** Which topics the runbook may describe and commit offsets for; `*` is every topic of this cluster. */
  dataTopicPattern: string;
  /** Minutes between two runs of the shard canary (1-60); its alarm starts the runbook. */
  canaryRate: number;
  /**
   * About how many bytes of a failed shard one segment scan reads: a shard's window is split into
   * its size over this many segments (at most 64), scanned in parallel and merged. A shard
   * smaller than this is one segment.
   */
  segmentBytes: number;
  /**
   * Who may decide a plan: `link` (the signed link in the mail), `iam` (only SigV4-signed
   * `coordinator-recovery approve|reject` calls to the AWS_IAM function URL; the link shows the
   * plan) or `both`.
   */
  approvalMode: ApprovalMode;
  /** Distinct IAM principals that must approve (1 or 2); 2 needs approvalMode iam or both. */
  approvalsRequired: 1 | 2;
  /** Reserved concurrency of the approval endpoint, so a flood cannot starve the recovery functions. */
  approvalEndpointConcurrency: number;
}

export interface ResolvedRecoveryConfig {
  config: RecoveryConfig;
  cluster: MskClusterArnParts;
  /** Context keys whose value is still the documented example. */
  exampleKeys: string[];
}

export const CONTEXT_PREFIX = 'recovery:';

/** The documented example: synthesizes offline, deploys nowhere useful. */
export const EXAMPLE_CONFIG: RecoveryConfig = {
  clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/orders-prod/6e1f8c2a-0b7d-4a1e-9d3c-5f2b8e7a1c40-3',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  lookupVpc: false,
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  subnetIds: ['subnet-0aa11bb22cc33dd44', 'subnet-0ee55ff66aa77bb88', 'subnet-0cc99dd00ee11ff22'],
  securityGroupId: 'sg-0123456789abcdef0',
  authMode: 'iam',
  brokerLogGroupName: '/aws/msk/orders-prod/broker',
  approverEmail: 'kafka-oncall@example.com',
  approvalTimeoutHours: 24,
  lookbackMinutes: 120,
  logRetentionDays: 90,
  targetGroupPattern: '*-recovered-*',
  sourceGroupPattern: '*',
  dataTopicPattern: '*',
  canaryRate: 1,
  segmentBytes: 256 * 1024 * 1024,
  approvalMode: 'link',
  approvalsRequired: 1,
  approvalEndpointConcurrency: 5,
};

/** Keys that have a sensible default, as opposed to an example that must be replaced. */
const DEFAULTED_KEYS = new Set<keyof RecoveryConfig>([
  'lookupVpc',
  'authMode',
  'approvalTimeoutHours',
  'lookbackMinutes',
  'logRetentionDays',
  'targetGroupPattern',
  'sourceGroupPattern',
  'dataTopicPattern',
  'availabilityZones',
  'canaryRate',
  'segmentBytes',
  'approvalMode',
  'approvalsRequired',
  'approvalEndpointConcurrency',
]);

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

// Step Functions caps a task's timeout at one year; an approval older than a week is stale anyway.
const MAX_APPROVAL_TIMEOUT_HOURS = 7 * 24;

type ContextReader = (key: string) => unknown;

/**
 * Reads `recovery:<key>` context values (cdk.json or `-c recovery:<key>=<value>`), falls back to
 * the example configuration for any key not given, and validates the result. Props override
 * context so a program can build the stack without context at all.
 */
export function resolveRecoveryConfig(readContext: ContextReader, overrides: Partial<RecoveryConfig> = {}): ResolvedRecoveryConfig {
  const exampleKeys: string[] = [];
  const raw = {} as Record<keyof RecoveryConfig, unknown>;
  for (const key of Object.keys(EXAMPLE_CONFIG) as Array<keyof RecoveryConfig>) {
    const fromProps = overrides[key];
    const fromContext = readContext(CONTEXT_PREFIX + key);
    raw[key] = fromProps ?? fromContext ?? EXAMPLE_CONFIG[key];
  }
  for (const key of ['scramSecretArn', 'scramSecretKmsKeyArn', 'tlsClientCertificateSecretArn', 'tlsClientCertificateSecretKmsKeyArn'] as const) {
    const value = overrides[key] ?? readContext(CONTEXT_PREFIX + key);
    if (value !== undefined) raw[key] = value;
  }
  const config = validate(raw);
  // Compared by value, so the example pasted from the README into cdk.json is still reported.
  for (const key of Object.keys(EXAMPLE_CONFIG) as Array<keyof RecoveryConfig>) {
    if (!DEFAULTED_KEYS.has(key) && JSON.stringify(config[key]) === JSON.stringify(EXAMPLE_CONFIG[key])) exampleKeys.push(CONTEXT_PREFIX + key);
  }
  let cluster: MskClusterArnParts;
  try {
    cluster = parseClusterArn(config.clusterArn);
  } catch {
    throw configError('clusterArn', `has the value "${config.clusterArn}", which is not an MSK cluster ARN`,
      'copy it from the MSK console or `aws kafka list-clusters-v2`: arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>');
  }
  return { config, cluster, exampleKeys };
}

function validate(raw: Record<keyof RecoveryConfig, unknown>): RecoveryConfig {
  const authMode = oneOf(raw.authMode, 'authMode', ['iam', 'scram', 'tls'] as const);
  const scramSecretArn = optionalString(raw.scramSecretArn, 'scramSecretArn', /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:AmazonMSK_[A-Za-z0-9/_+=.@-]+$/,
    'give the ARN of the AmazonMSK_* secret associated with the cluster');
  if (authMode === 'scram' && scramSecretArn === undefined) {
    throw configError('scramSecretArn', 'is required when authMode is scram', 'set it to the AmazonMSK_* secret associated with the cluster');
  }
  const config: RecoveryConfig = {
    clusterArn: requiredString(raw.clusterArn, 'clusterArn', /^arn:/, 'copy the cluster ARN from the MSK console'),
    vpcId: requiredString(raw.vpcId, 'vpcId', /^vpc-[0-9a-f]{8,17}$/, 'give the id of the cluster\'s VPC, e.g. vpc-0a1b2c3d4e5f60718'),
    lookupVpc: bool(raw.lookupVpc, 'lookupVpc'),
    availabilityZones: stringList(raw.availabilityZones, 'availabilityZones', /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'list the subnets\' zones, e.g. ["eu-west-1a","eu-west-1b"]'),
    subnetIds: stringList(raw.subnetIds, 'subnetIds', /^subnet-[0-9a-f]{8,17}$/, 'list the cluster\'s client subnets, e.g. subnet-0aa11bb22cc33dd44,subnet-0ee55ff66aa77bb88'),
    securityGroupId: requiredString(raw.securityGroupId, 'securityGroupId', /^sg-[0-9a-f]{8,17}$/, 'give a security group the brokers accept clients from, e.g. sg-0123456789abcdef0'),
    authMode,
    brokerLogGroupName: requiredString(raw.brokerLogGroupName, 'brokerLogGroupName', /^[A-Za-z0-9._/#-]{1,512}$/,
      'give the log group of Provisioned.LoggingInfo.BrokerLogs.CloudWatchLogs (`aws kafka describe-cluster-v2`); turn broker logs on first if it is empty'),
    approverEmail: requiredString(raw.approverEmail, 'approverEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'give the on-call address that approves recoveries'),
    approvalTimeoutHours: integer(raw.approvalTimeoutHours, 'approvalTimeoutHours', 1, MAX_APPROVAL_TIMEOUT_HOURS),
    lookbackMinutes: integer(raw.lookbackMinutes, 'lookbackMinutes', 1, 14 * 24 * 60),
    logRetentionDays: logRetention(raw.logRetentionDays),
    targetGroupPattern: targetPattern(raw.targetGroupPattern),
    sourceGroupPattern: requiredString(raw.sourceGroupPattern, 'sourceGroupPattern', /^[A-Za-z0-9._*-]{1,249}$/, 'give a group name or a pattern ending in *'),
    dataTopicPattern: requiredString(raw.dataTopicPattern, 'dataTopicPattern', /^[A-Za-z0-9._*-]{1,249}$/, 'give a topic name or a pattern ending in *'),
    canaryRate: integer(raw.canaryRate, 'canaryRate', 1, 60),
    segmentBytes: integer(raw.segmentBytes, 'segmentBytes', 1024, 1024 ** 4),
    approvalMode: oneOf(raw.approvalMode, 'approvalMode', APPROVAL_MODES),
    approvalsRequired: integer(raw.approvalsRequired, 'approvalsRequired', 1, 2) as 1 | 2,
    approvalEndpointConcurrency: integer(raw.approvalEndpointConcurrency, 'approvalEndpointConcurrency', 1, 100),
  };
  if (config.approvalsRequired === 2 && config.approvalMode === 'link') {
    // A typed name on a link proves nothing, so two links could be one person twice.
    throw configError('approvalsRequired', 'is 2 but approvalMode is link', 'set recovery:approvalMode=iam (or both): only IAM approvals count as distinct approvers');
  }
  if (scramSecretArn !== undefined) config.scramSecretArn = scramSecretArn;
  const kmsKey = optionalString(raw.scramSecretKmsKeyArn, 'scramSecretKmsKeyArn', /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/, 'give the key ARN (not an alias) that encrypts the SCRAM secret');
  if (authMode === 'scram' && kmsKey === undefined) {
    // MSK accepts only secrets encrypted with a customer managed key, and reading one needs kms:Decrypt on it.
    throw configError('scramSecretKmsKeyArn', 'is required when authMode is scram', 'set it to the customer managed KMS key that encrypts the AmazonMSK_* secret (`aws secretsmanager describe-secret` > KmsKeyId)');
  }
  if (kmsKey !== undefined) config.scramSecretKmsKeyArn = kmsKey;
  const certificateSecret = optionalString(raw.tlsClientCertificateSecretArn, 'tlsClientCertificateSecretArn', /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
    'give the ARN of the Secrets Manager secret that holds {"certificate": PEM, "privateKey": PEM}');
  if (certificateSecret !== undefined) {
    if (authMode !== 'tls') throw configError('tlsClientCertificateSecretArn', `is set but authMode is ${authMode}`, 'set recovery:authMode=tls for a cluster with TLS client authentication, or remove the key');
    config.tlsClientCertificateSecretArn = certificateSecret;
  }
  const certificateKey = optionalString(raw.tlsClientCertificateSecretKmsKeyArn, 'tlsClientCertificateSecretKmsKeyArn', /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/,
    'give the key ARN (not an alias) that encrypts the client certificate secret');
  if (certificateKey !== undefined) config.tlsClientCertificateSecretKmsKeyArn = certificateKey;
  return config;
}

function configError(key: string, problem: string, fix: string): RecoveryError {
  return new RecoveryError('CONFIGURATION', `${CONTEXT_PREFIX}${key} ${problem}: ${fix} (cdk.json "context" or -c ${CONTEXT_PREFIX}${key}=...).`, {
    details: { field: CONTEXT_PREFIX + key },
  });
}

function requiredString(value: unknown, key: string, pattern: RegExp, fix: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw configError(key, 'is missing or empty', fix);
  const trimmed = value.trim();
  if (!pattern.test(trimmed)) throw configError(key, `has the value "${trimmed}", which is not valid`, fix);
  return trimmed;
}

function optionalString(value: unknown, key: string, pattern: RegExp, fix: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return requiredString(value, key, pattern, fix);
}

/** Accepts a JSON array (cdk.json) or a comma-separated string (`-c key=a,b`). */
function stringList(value: unknown, key: string, pattern: RegExp, fix: string): string[] {
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') items = value.trim().startsWith('[') ? parseJsonArray(value, key, fix) : value.split(',');
  else throw configError(key, 'is missing', fix);
  const list = items.map((item) => requiredString(item, key, pattern, fix));
  if (list.length === 0) throw configError(key, 'is empty', fix);
  return [...new Set(list)];
}

function parseJsonArray(value: string, key: string, fix: string): unknown[] {
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // fall through to the error that names the key
  }
  throw configError(key, 'is not a JSON array', fix);
}

function bool(value: unknown, key: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw configError(key, `has the value "${String(value)}"`, 'use true or false');
}

function integer(value: unknown, key: string, min: number, max: number): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw configError(key, `has the value "${String(value)}"`, `use a whole number from ${min} to ${max}`);
  }
  return number;
}

function oneOf<T extends string>(value: unknown, key: string, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw configError(key, `has the value "${String(value)}"`, `use one of ${allowed.join(', ')}`);
}

/** A pattern that matches every group would let the runbook overwrite the stuck groups themselves. */
function targetPattern(value: unknown): string {
  const fix = 'give a group name pattern that only recovery targets match, e.g. *-recovered-* (the names PlanTarget suggests)';
  const pattern = requiredString(value, 'targetGroupPattern', /^[A-Za-z0-9._*-]{1,249}$/, fix);
  if (pattern.replace(/\*/g, '') === '') throw configError('targetGroupPattern', `is "${pattern}", which matches every group`, fix);
  return pattern;
}

function logRetention(value: unknown): number {
  const days = integer(value, 'logRetentionDays', 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(days)) {
    throw configError('logRetentionDays', `has the value ${days}, which CloudWatch Logs does not offer`, `use one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  return days;
}

/** The bootstrap port MSK serves each client authentication mode on (private connectivity). */
export function kafkaPortFor(authMode: KafkaAuthMode): number {
  switch (authMode) {
    case 'iam':
      return 9098;
    case 'scram':
      return 9096;
    case 'tls':
      return 9094;
  }
}
