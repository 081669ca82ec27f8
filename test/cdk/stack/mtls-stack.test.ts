import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, synthesize, type Synthesized } from '../helpers.ts';

const CERT_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:recovery/kafka-client-cert-AbCdEf';
const CERT_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ config: { authMode: 'tls', tlsClientCertificateSecretArn: CERT_SECRET, tlsClientCertificateSecretKmsKeyArn: CERT_KEY } });
}, 120_000);
afterAll(() => synth?.dispose());

type Statement = { Action: string | string[]; Resource: unknown };
const statements = (): Statement[] =>
  resourcesOfType(synth.json, 'AWS::IAM::Policy').flatMap(([, props]) => (props['PolicyDocument'] as { Statement: Statement[] }).Statement);
const actions = (statement: Statement): string[] => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

describe('a cluster with TLS client authentication (mTLS)', () => {
  it('hands the seven Kafka-facing functions the client certificate secret, and no other function', () => {
    for (const [, props] of resourcesOfType(synth.json, 'AWS::Lambda::Function')) {
      const variables = (props['Environment'] as { Variables: Record<string, unknown> }).Variables;
      if (props['VpcConfig']) expect(variables).toMatchObject({ AUTH_MODE: 'tls', TLS_CLIENT_CERTIFICATE_SECRET_ARN: CERT_SECRET });
      else expect(variables['TLS_CLIENT_CERTIFICATE_SECRET_ARN']).toBeUndefined();
    }
  });

  it('lets exactly those seven read and decrypt it, and grants no MSK IAM data-plane action', () => {
    expect(statements().filter((statement) => actions(statement).includes('secretsmanager:GetSecretValue') && statement.Resource === CERT_SECRET)).toHaveLength(7);
    expect(statements().filter((statement) => actions(statement).includes('kms:Decrypt') && statement.Resource === CERT_KEY)).toHaveLength(7);
    expect(statements().flatMap(actions).filter((action) => action.startsWith('kafka-cluster:'))).toEqual([]);
  });
});
