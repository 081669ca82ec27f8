/**
 * The environment variables the Lambdas read, and the handler files the CDK stack bundles.
 * Both lists are the contract with lib/ (part 2): change them additively only.
 */
import { RecoveryError } from '../core/errors.ts';

export const ENV = {
  /** S3 bucket (SSE) for artifacts: plans, approvals, results, large step outputs. */
  ARTIFACTS_BUCKET: 'ARTIFACTS_BUCKET',
  /** SNS topic for the approval message, the report and failure notices. */
  APPROVAL_TOPIC_ARN: 'APPROVAL_TOPIC_ARN',
  /** Optional separate topic for failures (defaults to APPROVAL_TOPIC_ARN). */
  FAILURE_TOPIC_ARN: 'FAILURE_TOPIC_ARN',
  /** This state machine: named in the CLI commands and checked by the approval endpoint. */
  STATE_MACHINE_ARN: 'STATE_MACHINE_ARN',
  /** The MSK cluster the stack was deployed for; input clusterArn must match it. */
  CLUSTER_ARN: 'CLUSTER_ARN',
  /** iam | scram | tls | plaintext | public-iam | public-scram | public-tls */
  AUTH_MODE: 'AUTH_MODE',
  /** Secrets Manager secret with {"username","password"} for SCRAM (AmazonMSK_ prefix). */
  SCRAM_SECRET_ARN: 'SCRAM_SECRET_ARN',
  /** Secrets Manager secret with {"certificate","privateKey"} (PEM) for TLS client authentication (mTLS); tls modes only. */
  TLS_CLIENT_CERTIFICATE_SECRET_ARN: 'TLS_CLIENT_CERTIFICATE_SECRET_ARN',
  /** Secrets Manager secret whose SecretString is the HMAC key for approval links. */
  APPROVAL_SIGNING_SECRET_ARN: 'APPROVAL_SIGNING_SECRET_ARN',
  /** Function URL of the approval-endpoint Lambda (request-approval puts links to it in the message). */
  APPROVAL_ENDPOINT_URL: 'APPROVAL_ENDPOINT_URL',
  /** Function URL (AWS_IAM auth) that `coordinator-recovery approve|reject` signs requests to; request-approval puts it in the commands. */
  APPROVAL_IAM_ENDPOINT_URL: 'APPROVAL_IAM_ENDPOINT_URL',
  /** recovery:approvalMode: link (default), iam or both; which paths may decide. */
  APPROVAL_MODE: 'APPROVAL_MODE',
  /** recovery:approvalsRequired: 1 (default) or 2 distinct IAM principals before the task token is sent. */
  APPROVALS_REQUIRED: 'APPROVALS_REQUIRED',
  /** Lifetime of an approval link; should equal the AwaitApproval timeout (default 86400). */
  APPROVAL_LINK_TTL_SECONDS: 'APPROVAL_LINK_TTL_SECONDS',
  /** Default window when the input has neither since nor lookbackMinutes (default 120). */
  DEFAULT_LOOKBACK_MINUTES: 'DEFAULT_LOOKBACK_MINUTES',
  /** SSE-KMS key for artifacts (optional; SSE-S3 when unset). */
  ARTIFACTS_KMS_KEY_ID: 'ARTIFACTS_KMS_KEY_ID',
  /** recovery:targetGroupPattern; Diagnose refuses target names outside it, PlanTarget suggests only names inside it (no limit when unset). */
  TARGET_GROUP_PATTERN: 'TARGET_GROUP_PATTERN',
  /** recovery:brokerLogGroupName: the one log group Diagnose may search (IAM allows only it); the cluster's own when unset. */
  BROKER_LOG_GROUP: 'BROKER_LOG_GROUP',
  /** Seconds kept free before the Lambda timeout when a scan must stop (default 15). */
  SCAN_SAFETY_MARGIN_SECONDS: 'SCAN_SAFETY_MARGIN_SECONDS',
  /** recovery:segmentBytes: about how many bytes of a shard one segment scan reads (BlastRadius's plan phase; default 256 MiB). */
  SEGMENT_BYTES: 'SEGMENT_BYTES',
  /** CloudWatch namespace of the Lambdas' custom metrics (default CoordinatorRecovery; names in metric-names.ts). */
  METRICS_NAMESPACE: 'METRICS_NAMESPACE',
  /** Provided by Lambda. */
  AWS_REGION: 'AWS_REGION',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Handler files in lambdas/handlers/, each exporting `handler`; lib/ bundles them with NodejsFunction. */
export const HANDLER_FILES = {
  diagnose: 'diagnose.ts',
  blastRadius: 'blast-radius.ts',
  readOffsets: 'read-offsets.ts',
  planTarget: 'plan-target.ts',
  requestApproval: 'request-approval.ts',
  approvalEndpoint: 'approval-endpoint.ts',
  seedOffsets: 'seed-offsets.ts',
  verify: 'verify.ts',
  report: 'report.ts',
  notifyFailure: 'notify-failure.ts',
  shardCanary: 'shard-canary.ts',
} as const;

/** Handlers that talk to Kafka and therefore run in the cluster's VPC. */
export const KAFKA_FACING_HANDLERS: readonly (keyof typeof HANDLER_FILES)[] = [
  'diagnose',
  'blastRadius',
  'readOffsets',
  'planTarget',
  'seedOffsets',
  'verify',
];

export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new RecoveryError('CONFIGURATION', `Environment variable ${name} is not set. Deploy the stack from lib/ (it sets it) or export it for local runs.`, {
      details: { variable: name },
    });
  }
  return value;
}

export function optionalEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}
