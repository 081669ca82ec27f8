import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RecoveryError } from '../core/errors.ts';
import { awsError, awsErrorName } from './errors.ts';

export async function getSecretString(secrets: SecretsManagerClient, secretArn: string): Promise<string> {
  let value: string | undefined;
  try {
    const response = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    value = response.SecretString ?? (response.SecretBinary ? Buffer.from(response.SecretBinary).toString('utf8') : undefined);
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') {
      throw new RecoveryError('CONFIGURATION', `Secret ${secretArn} does not exist. Create it or fix the stack configuration that names it.`, {
        details: { secretArn },
        cause: error,
      });
    }
    throw awsError(error, `secretsmanager:GetSecretValue ${secretArn}`);
  }
  if (value === undefined || value === '') {
    throw new RecoveryError('CONFIGURATION', `Secret ${secretArn} has no value. Put a value in it (aws secretsmanager put-secret-value).`, { details: { secretArn } });
  }
  return value;
}

/**
 * The value the secret had before its last rotation (stage AWSPREVIOUS), or null when it was
 * never rotated: links signed just before a rotation stay valid until they expire.
 */
export async function getPreviousSecretString(secrets: SecretsManagerClient, secretArn: string): Promise<string | null> {
  try {
    const response = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: 'AWSPREVIOUS' }));
    const value = response.SecretString ?? (response.SecretBinary ? Buffer.from(response.SecretBinary).toString('utf8') : undefined);
    return value === undefined || value === '' ? null : value;
  } catch (error) {
    // Secrets Manager answers a stage no version carries with ResourceNotFoundException.
    if (awsErrorName(error) === 'ResourceNotFoundException') return null;
    throw awsError(error, `secretsmanager:GetSecretValue ${secretArn} (AWSPREVIOUS)`);
  }
}

export interface ScramCredentials {
  username: string;
  password: string;
}

/** MSK SCRAM secrets hold {"username": "...", "password": "..."}. */
export function parseScramSecret(secretArn: string, text: string): ScramCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const candidate = parsed as Partial<ScramCredentials> | undefined;
  if (!candidate || typeof candidate.username !== 'string' || typeof candidate.password !== 'string' || candidate.username === '' || candidate.password === '') {
    throw new RecoveryError(
      'CONFIGURATION',
      `Secret ${secretArn} is not an MSK SCRAM secret: it must be JSON {"username": "...", "password": "..."} (the format MSK associates with the cluster).`,
      { details: { secretArn } },
    );
  }
  return { username: candidate.username, password: candidate.password };
}

export interface TlsClientCertificate {
  certificate: string;
  privateKey: string;
}

/**
 * A client certificate for TLS client authentication, as issued by the cluster's ACM private CA
 * and stored by the operator: {"certificate": "-----BEGIN CERTIFICATE-----...", "privateKey":
 * "-----BEGIN ... PRIVATE KEY-----..."}; the certificate may carry its chain after it.
 */
export function parseTlsClientSecret(secretArn: string, text: string): TlsClientCertificate {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const candidate = parsed as Partial<Record<keyof TlsClientCertificate, unknown>> | undefined;
  const certificate = candidate?.certificate;
  const privateKey = candidate?.privateKey;
  if (typeof certificate !== 'string' || !certificate.includes('-----BEGIN CERTIFICATE-----') || typeof privateKey !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
    throw new RecoveryError(
      'CONFIGURATION',
      `Secret ${secretArn} is not a TLS client certificate: it must be JSON {"certificate": "-----BEGIN CERTIFICATE-----...", "privateKey": "-----BEGIN PRIVATE KEY-----..."} (PEM, the certificate issued by the cluster's ACM private CA and its key).`,
      { details: { secretArn } },
    );
  }
  return { certificate, privateKey };
}
