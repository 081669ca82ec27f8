/**
 * What every handler shares: dependencies (AWS clients, the Kafka port factory, the clock) that
 * tests replace, the Kafka connection for the configured auth mode, artifact storage, the
 * step's metrics and trace, and the conversion of failures into error names the state
 * machine's Retry and Catch match on.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { RecoveryError, isRecoveryError } from '../core/errors.ts';
import type { KafkaPort } from '../core/ports.ts';
import {
  AUTH_MODES,
  RECOVERY_ERROR_NAME_PREFIX,
  TRANSIENT_ERROR_NAME,
  type AuthMode,
  type RecoveryRequest,
} from '../core/workflow/documents.ts';
import { awsClients } from '../aws/clients.ts';
import type { ArtifactStore } from '../aws/artifacts.ts';
import { getBootstrapBrokers } from '../aws/msk.ts';
import { getSecretString, parseScramSecret, parseTlsClientSecret } from '../aws/secrets.ts';
import { inStepSegment } from '../aws/tracing.ts';
import { createKafkaPort, type KafkaConnectionConfig } from '../kafka/index.ts';
import { ENV, optionalEnv, requireEnv } from './env.ts';
import { flushStepMetrics, stepMetrics, STDOUT_SINK, type MetricsSink, type StepMetrics } from './step-metrics.ts';

export interface HandlerDeps {
  env: NodeJS.ProcessEnv;
  clients: typeof awsClients;
  kafkaPort: (config: KafkaConnectionConfig) => KafkaPort;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
  /** This invocation's custom metrics (step-metrics.ts), written when the step ends. */
  metrics: StepMetrics;
  /** Where the metrics are written: stdout (Lambda's log, from which CloudWatch extracts them). */
  metricsSink: MetricsSink;
}

const sharedLogger = new Logger({ serviceName: 'coordinator-recovery' });

export function resolveDeps(overrides: Partial<HandlerDeps> = {}): HandlerDeps {
  const env = overrides.env ?? process.env;
  const metricsSink = overrides.metricsSink ?? STDOUT_SINK;
  return {
    env,
    clients: overrides.clients ?? awsClients,
    kafkaPort: overrides.kafkaPort ?? ((config) => createKafkaPort(config)),
    now: overrides.now ?? (() => new Date()),
    sleep: overrides.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    logger: overrides.logger ?? sharedLogger,
    metrics: overrides.metrics ?? stepMetrics(env, metricsSink),
    metricsSink,
  };
}

export function configuredAuthMode(env: NodeJS.ProcessEnv): AuthMode | undefined {
  const value = optionalEnv(ENV.AUTH_MODE, env);
  if (value === undefined) return undefined;
  if (!(AUTH_MODES as readonly string[]).includes(value)) {
    throw new RecoveryError('CONFIGURATION', `Environment variable AUTH_MODE is "${value}"; use one of ${AUTH_MODES.join(', ')}`, { details: { variable: 'AUTH_MODE' } });
  }
  return value as AuthMode;
}

export function artifactStore(deps: HandlerDeps): ArtifactStore {
  const kmsKeyId = optionalEnv(ENV.ARTIFACTS_KMS_KEY_ID, deps.env);
  return { s3: deps.clients.s3(), bucket: requireEnv(ENV.ARTIFACTS_BUCKET, deps.env), ...(kmsKeyId ? { kmsKeyId } : {}) };
}

/** Bootstrap string from MSK for the auth mode, and the matching client security settings. */
/** What a Kafka connection needs to know: the cluster, how to authenticate, where its API is. */
export type KafkaTarget = Pick<RecoveryRequest, 'clusterArn' | 'authMode' | 'region'>;

export async function kafkaConnectionFor(deps: HandlerDeps, request: KafkaTarget): Promise<KafkaConnectionConfig> {
  const brokers = await getBootstrapBrokers(deps.clients.msk(), request.clusterArn, request.authMode);
  switch (request.authMode) {
    case 'iam':
    case 'public-iam':
      return { brokers, ssl: true, sasl: { mechanism: 'aws-msk-iam', region: request.region } };
    case 'scram':
    case 'public-scram': {
      const secretArn = requireEnv(ENV.SCRAM_SECRET_ARN, deps.env);
      const credentials = parseScramSecret(secretArn, await getSecretString(deps.clients.secrets(), secretArn));
      return { brokers, ssl: true, sasl: { mechanism: 'scram-sha-512', ...credentials } };
    }
    case 'tls':
    case 'public-tls': {
      // Clusters with TLS client authentication (mTLS) want the certificate their private CA issued.
      const secretArn = optionalEnv(ENV.TLS_CLIENT_CERTIFICATE_SECRET_ARN, deps.env);
      if (secretArn === undefined) return { brokers, ssl: true };
      const client = parseTlsClientSecret(secretArn, await getSecretString(deps.clients.secrets(), secretArn));
      return { brokers, ssl: { cert: client.certificate, key: client.privateKey } };
    }
    case 'plaintext':
      return { brokers };
  }
}

export async function withKafka<T>(deps: HandlerDeps, request: KafkaTarget, work: (port: KafkaPort) => Promise<T>): Promise<T> {
  const port = deps.kafkaPort(await kafkaConnectionFor(deps, request));
  try {
    return await work(port);
  } finally {
    await port.close().catch((error: unknown) => deps.logger.warn('closing the Kafka connection failed', { error: String(error) }));
  }
}

/**
 * When a scan must stop (epoch ms) so the handler can still store its results or checkpoint
 * before Lambda ends it: the safety margin before the timeout, at most half of the time left
 * (a short test timeout still scans), at least one second of scanning.
 */
export function scanDeadlineAt(deps: HandlerDeps, context: Context | undefined): number | undefined {
  if (!context || typeof context.getRemainingTimeInMillis !== 'function') return undefined;
  const configured = Number(optionalEnv(ENV.SCAN_SAFETY_MARGIN_SECONDS, deps.env) ?? '15');
  const remaining = context.getRemainingTimeInMillis();
  const margin = Math.min((Number.isFinite(configured) ? configured : 15) * 1000, remaining / 2);
  // The wall clock, not deps.now(): scanShard measures its deadline against Date.now().
  return Date.now() + Math.max(1000, remaining - margin);
}

/** The error a handler throws: named for Step Functions, message for people, no stack to users. */
export class StepError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(name: string, code: string, message: string, details: Record<string, unknown>) {
    super(message);
    this.name = name;
    this.code = code;
    this.details = details;
  }
}

function isTransient(error: RecoveryError): boolean {
  return error.retryable || error.code === 'KAFKA_UNAVAILABLE';
}

export function toStepError(error: unknown): StepError {
  if (error instanceof StepError) return error;
  if (isRecoveryError(error)) {
    const name = isTransient(error) ? TRANSIENT_ERROR_NAME : `${RECOVERY_ERROR_NAME_PREFIX}${error.code}`;
    return new StepError(name, error.code, error.message, error.details);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new StepError(`${RECOVERY_ERROR_NAME_PREFIX}INTERNAL`, 'INTERNAL', `Unexpected failure: ${message}`, {});
}

export type StepHandler<O> = (event: unknown, context?: Context) => Promise<O>;

/**
 * Wraps a step: structured start / end / failure logs, an X-Ray subsegment, the step's metrics
 * written whatever the result, errors converted by toStepError.
 */
export function defineStep<O>(step: string, overrides: Partial<HandlerDeps> | undefined, run: (event: unknown, deps: HandlerDeps, context: Context | undefined) => Promise<O>): StepHandler<O> {
  return async (event, context) => {
    const deps = resolveDeps(overrides);
    if (context) deps.logger.addContext(context);
    const started = Date.now();
    deps.logger.info('step started', { step });
    try {
      const output = await inStepSegment(step, () => run(event, deps, context));
      deps.logger.info('step finished', { step, durationMs: Date.now() - started });
      return output;
    } catch (error) {
      const stepError = toStepError(error);
      deps.logger.error('step failed', { step, durationMs: Date.now() - started, errorName: stepError.name, code: stepError.code, reason: stepError.message, details: stepError.details });
      throw stepError;
    } finally {
      flushStepMetrics(deps.metrics, deps.logger);
    }
  };
}
