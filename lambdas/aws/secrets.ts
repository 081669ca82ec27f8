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
