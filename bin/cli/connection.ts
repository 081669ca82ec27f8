/** Connection flags (and their environment fallbacks) -> KafkaConnectionConfig. Pure apart from reading the CA file through the given reader. */
import { invalidInput } from '../../lambdas/core/errors.ts';
import type { KafkaConnectionConfig, SaslConfig } from '../../lambdas/kafka/index.ts';
import type { FlagDefinition } from './command.ts';
import { parseBootstrap } from './values.ts';

export const CONNECTION_FLAGS: Record<string, FlagDefinition> = {
  bootstrap: { type: 'string', placeholder: 'host:port[,host:port]', description: 'bootstrap brokers (env KAFKA_BOOTSTRAP)' },
  tls: { type: 'boolean', description: 'connect with TLS (implied by --tls-ca and by aws-msk-iam)' },
  'tls-ca': { type: 'string', placeholder: 'FILE', description: 'PEM file with the CA that signed the brokers\' certificates' },
  'sasl-mechanism': { type: 'string', placeholder: 'scram-sha-512|aws-msk-iam|plain', description: 'SASL mechanism (env KAFKA_SASL_MECHANISM)' },
  'sasl-username': { type: 'string', placeholder: 'NAME', description: 'SASL user (env KAFKA_SASL_USERNAME)' },
  'sasl-password': { type: 'string', placeholder: 'SECRET', description: 'SASL password (env KAFKA_SASL_PASSWORD; prefer it, flags show in ps)' },
  region: { type: 'string', placeholder: 'REGION', description: 'AWS region for aws-msk-iam (env AWS_REGION)' },
};

export type Env = Record<string, string | undefined>;

function pick(flag: unknown, env: Env, ...names: string[]): string | undefined {
  if (typeof flag === 'string') return flag;
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

export function buildConnectionConfig(flags: Record<string, unknown>, env: Env, readFile: (path: string) => Buffer, clientId = 'coordinator-recovery-cli'): KafkaConnectionConfig {
  const bootstrap = pick(flags['bootstrap'], env, 'KAFKA_BOOTSTRAP');
  if (bootstrap === undefined) {
    throw invalidInput('--bootstrap', 'is required for this command', 'Pass --bootstrap host:port[,host:port] or set KAFKA_BOOTSTRAP (MSK: aws kafka get-bootstrap-brokers)');
  }
  const brokers = parseBootstrap(bootstrap, typeof flags['bootstrap'] === 'string' ? '--bootstrap' : 'KAFKA_BOOTSTRAP');

  const mechanism = pick(flags['sasl-mechanism'], env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  const username = pick(flags['sasl-username'], env, 'KAFKA_SASL_USERNAME');
  const password = pick(flags['sasl-password'], env, 'KAFKA_SASL_PASSWORD');
  let sasl: SaslConfig | undefined;
  switch (mechanism) {
    case undefined:
      if (username !== undefined || password !== undefined) {
        throw invalidInput('--sasl-mechanism', 'is missing while a SASL user or password is given', 'Add --sasl-mechanism scram-sha-512 (or plain)');
      }
      break;
    case 'scram-sha-512':
    case 'plain':
      if (username === undefined) throw invalidInput('--sasl-username', `is required for ${mechanism}`, 'Pass --sasl-username NAME or set KAFKA_SASL_USERNAME');
      if (password === undefined) throw invalidInput('--sasl-password', `is required for ${mechanism}`, 'Set KAFKA_SASL_PASSWORD (or pass --sasl-password)');
      sasl = { mechanism, username, password };
      break;
    case 'aws-msk-iam': {
      const region = pick(flags['region'], env, 'AWS_REGION', 'AWS_DEFAULT_REGION');
      if (region === undefined) throw invalidInput('--region', 'is required for aws-msk-iam', 'Pass --region us-east-1 (the cluster\'s region) or set AWS_REGION');
      sasl = { mechanism, region };
      break;
    }
    default:
      throw invalidInput('--sasl-mechanism', `"${mechanism}" is not supported`, 'Use scram-sha-512, aws-msk-iam or plain');
  }

  let ssl: KafkaConnectionConfig['ssl'];
  const caFile = flags['tls-ca'];
  if (typeof caFile === 'string') {
    let ca: Buffer;
    try {
      ca = readFile(caFile);
    } catch (error) {
      throw invalidInput('--tls-ca', `cannot read ${caFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'Pass the path of a readable PEM file');
    }
    if (!ca.toString('utf8').includes('-----BEGIN CERTIFICATE-----')) {
      throw invalidInput('--tls-ca', `${caFile} holds no PEM certificate`, 'Pass a PEM file (-----BEGIN CERTIFICATE-----)');
    }
    ssl = { ca };
  } else if (flags['tls'] === true || sasl?.mechanism === 'aws-msk-iam') {
    ssl = true;
  }
  return { brokers, clientId, ...(ssl === undefined ? {} : { ssl }), ...(sasl === undefined ? {} : { sasl }) };
}
