import { invalidInput } from '../core/errors.ts';

export type SaslConfig =
  | { mechanism: 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'aws-msk-iam'; region: string };

/** `cert` and `key` (PEM) present a client certificate: TLS client authentication (MSK mTLS). */
export type SslConfig = boolean | { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized?: boolean; cert?: string; key?: string };

const SSL_OPTIONS = ['ca', 'rejectUnauthorized', 'cert', 'key'];

export interface KafkaConnectionConfig {
  /** Bootstrap servers as "host:port". */
  brokers: string[];
  clientId?: string;
  ssl?: SslConfig;
  sasl?: SaslConfig;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface BrokerEndpoint {
  host: string;
  port: number;
}

/** A config that passed validation, with defaults filled in. */
export interface ValidatedKafkaConfig {
  bootstrap: BrokerEndpoint[];
  clientId: string;
  ssl: SslConfig | undefined;
  sasl: SaslConfig | undefined;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_CLIENT_ID = 'coordinator-recovery';
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const SASL_MECHANISMS = ['scram-sha-512', 'plain', 'aws-msk-iam'] as const;

/** Parses "host:port", "[v6addr]:port"; throws INVALID_INPUT naming `field`. */
export function parseBrokerAddress(value: string, field: string): BrokerEndpoint {
  const trimmed = value.trim();
  const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(trimmed);
  const host = match?.[1] ?? match?.[2];
  const port = match?.[3] === undefined ? NaN : Number(match[3]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalidInput(field, `"${value}" is not a host:port address`, 'Write it as host:port, e.g. b-1.example.kafka.us-east-1.amazonaws.com:9098 or 127.0.0.1:9092');
  }
  return { host, port };
}

function requireNonEmptyString(value: unknown, field: string, fix: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidInput(field, 'is missing or empty', fix);
  return value;
}

function positiveTimeout(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw invalidInput(field, `${String(value)} is not a positive whole number of milliseconds`, `Set ${field} to e.g. ${fallback}`);
  }
  return value;
}

function validateSasl(sasl: unknown): SaslConfig | undefined {
  if (sasl === undefined) return undefined;
  if (typeof sasl !== 'object' || sasl === null) {
    throw invalidInput('sasl', 'must be an object with a mechanism', `Use { mechanism: ${SASL_MECHANISMS.map((m) => `'${m}'`).join(' | ')}, ... }`);
  }
  const candidate = sasl as Record<string, unknown>;
  const mechanism = candidate['mechanism'];
  switch (mechanism) {
    case 'scram-sha-512':
    case 'plain':
      return {
        mechanism,
        username: requireNonEmptyString(candidate['username'], 'sasl.username', `${mechanism} needs the SASL user name`),
        password: requireNonEmptyString(candidate['password'], 'sasl.password', `${mechanism} needs the SASL password`),
      };
    case 'aws-msk-iam':
      return {
        mechanism,
        region: requireNonEmptyString(candidate['region'], 'sasl.region', 'MSK IAM signs with an AWS region, e.g. us-east-1'),
      };
    default:
      throw invalidInput('sasl.mechanism', `"${String(mechanism)}" is not supported`, `Use one of ${SASL_MECHANISMS.join(', ')}`);
  }
}

function validateSsl(ssl: unknown): SslConfig | undefined {
  if (ssl === undefined || typeof ssl === 'boolean') return ssl;
  if (typeof ssl !== 'object' || ssl === null) {
    throw invalidInput('ssl', 'must be true, false or { ca?, rejectUnauthorized?, cert?, key? }', 'Pass ssl: true to use the system trust store');
  }
  const candidate = ssl as Record<string, unknown>;
  const unknownKeys = Object.keys(candidate).filter((key) => !SSL_OPTIONS.includes(key));
  if (unknownKeys.length > 0) {
    throw invalidInput(`ssl.${unknownKeys[0]}`, 'is not a known TLS option', `Only ${SSL_OPTIONS.join(', ')} are accepted`);
  }
  for (const [given, missing] of [['cert', 'key'], ['key', 'cert']] as const) {
    if (candidate[given] !== undefined && candidate[missing] === undefined) {
      throw invalidInput(`ssl.${missing}`, `is missing while ssl.${given} is set`, 'A client certificate needs both the PEM certificate (cert) and its private key (key)');
    }
  }
  if (candidate['rejectUnauthorized'] !== undefined && typeof candidate['rejectUnauthorized'] !== 'boolean') {
    throw invalidInput('ssl.rejectUnauthorized', 'must be a boolean', 'Use true (default) or false');
  }
  return ssl as SslConfig;
}

/**
 * Checks a connection config before any socket is opened, so a typo is reported as the field
 * to fix instead of as a timeout later.
 */
export function validateKafkaConfig(config: KafkaConnectionConfig): ValidatedKafkaConfig {
  if (typeof config !== 'object' || config === null) {
    throw invalidInput('config', 'is missing', 'Pass { brokers: ["host:port"] }');
  }
  if (!Array.isArray(config.brokers) || config.brokers.length === 0) {
    throw invalidInput('brokers', 'needs at least one bootstrap server', 'Pass brokers: ["host:port", ...] (MSK: the bootstrap broker string for your auth mode)');
  }
  const bootstrap = config.brokers.map((broker, index) => {
    if (typeof broker !== 'string') throw invalidInput(`brokers[${index}]`, 'is not a string', 'Write each broker as "host:port"');
    return parseBrokerAddress(broker, `brokers[${index}]`);
  });
  const sasl = validateSasl(config.sasl);
  let ssl = validateSsl(config.ssl);
  // MSK IAM only exists on the TLS listener (port 9098); turning TLS on is the only working choice.
  if (sasl?.mechanism === 'aws-msk-iam' && ssl === undefined) ssl = true;
  if (sasl?.mechanism === 'aws-msk-iam' && ssl === false) {
    throw invalidInput('ssl', 'is false but MSK IAM authentication requires TLS', 'Remove ssl: false (MSK IAM listens on TLS port 9098)');
  }
  if (config.clientId !== undefined) requireNonEmptyString(config.clientId, 'clientId', 'Omit clientId or give it a non-empty value');
  return {
    bootstrap,
    clientId: config.clientId ?? DEFAULT_CLIENT_ID,
    ssl,
    sasl,
    connectionTimeoutMs: positiveTimeout(config.connectionTimeoutMs, 'connectionTimeoutMs', DEFAULT_CONNECTION_TIMEOUT_MS),
    requestTimeoutMs: positiveTimeout(config.requestTimeoutMs, 'requestTimeoutMs', DEFAULT_REQUEST_TIMEOUT_MS),
  };
}
