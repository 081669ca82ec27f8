import type { SASLOptions } from 'kafkajs';
import { RecoveryError } from '../core/errors.ts';
import type { SaslConfig } from './config.ts';

/** What the MSK IAM signer gives back; only the token is sent, the expiry drives re-authentication. */
export interface MskAuthToken {
  token: string;
  expiryTime: number;
}

export type MskTokenSigner = (options: { region: string }) => Promise<MskAuthToken>;

/**
 * Loaded on first use: the signer pulls in the AWS credential chain, which SCRAM and plaintext
 * users (and the CLI's pure commands) should not pay for at start-up.
 */
const defaultSigner: MskTokenSigner = async (options) => {
  const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
  return generateAuthToken(options);
};

/** Turns our SASL config into the options kafkajs's connection authenticator expects. */
export function toKafkajsSasl(sasl: SaslConfig | undefined, signer: MskTokenSigner = defaultSigner): SASLOptions | undefined {
  if (sasl === undefined) return undefined;
  switch (sasl.mechanism) {
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username: sasl.username, password: sasl.password };
    case 'plain':
      return { mechanism: 'plain', username: sasl.username, password: sasl.password };
    case 'aws-msk-iam':
      return {
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => {
          try {
            const { token } = await signer({ region: sasl.region });
            return { value: token };
          } catch (error) {
            throw new RecoveryError(
              'CONFIGURATION',
              `could not sign an MSK IAM token for region ${sasl.region}: ${error instanceof Error ? error.message : String(error)}. Check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, role) and the region`,
              { cause: error, details: { region: sasl.region } },
            );
          }
        },
      };
  }
}
