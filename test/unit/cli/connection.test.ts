import { describe, expect, it } from 'vitest';
import type { RecoveryError } from '../../../lambdas/core/errors.ts';
import { buildConnectionConfig } from '../../../bin/cli/connection.ts';

const PEM = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const noFiles = (path: string): Buffer => {
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
};

function field(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect((error as RecoveryError).code).toBe('INVALID_INPUT');
    return String((error as RecoveryError).details['field']);
  }
  throw new Error('expected INVALID_INPUT');
}

describe('buildConnectionConfig', () => {
  it('takes --bootstrap, falling back to KAFKA_BOOTSTRAP', () => {
    expect(buildConnectionConfig({ bootstrap: 'a:1,b:2' }, {}, noFiles).brokers).toEqual(['a:1', 'b:2']);
    expect(buildConnectionConfig({}, { KAFKA_BOOTSTRAP: 'c:3' }, noFiles).brokers).toEqual(['c:3']);
    expect(buildConnectionConfig({ bootstrap: 'a:1' }, { KAFKA_BOOTSTRAP: 'c:3' }, noFiles).brokers).toEqual(['a:1']);
    expect(field(() => buildConnectionConfig({}, {}, noFiles))).toBe('--bootstrap');
    expect(field(() => buildConnectionConfig({}, { KAFKA_BOOTSTRAP: 'nope' }, noFiles))).toBe('KAFKA_BOOTSTRAP');
  });

  it('builds SCRAM from flags and environment, and names what is missing', () => {
    expect(buildConnectionConfig({ bootstrap: 'a:1', 'sasl-mechanism': 'SCRAM-SHA-512', 'sasl-username': 'ops' }, { KAFKA_SASL_PASSWORD: 's3cret' }, noFiles).sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'ops',
      password: 's3cret',
    });
    expect(field(() => buildConnectionConfig({ bootstrap: 'a:1', 'sasl-mechanism': 'scram-sha-512', 'sasl-username': 'ops' }, {}, noFiles))).toBe('--sasl-password');
    expect(field(() => buildConnectionConfig({ bootstrap: 'a:1', 'sasl-username': 'ops' }, {}, noFiles))).toBe('--sasl-mechanism');
    expect(field(() => buildConnectionConfig({ bootstrap: 'a:1', 'sasl-mechanism': 'gssapi' }, {}, noFiles))).toBe('--sasl-mechanism');
  });

  it('builds MSK IAM with TLS and a region from --region or AWS_REGION', () => {
    const config = buildConnectionConfig({ bootstrap: 'b-1:9098', 'sasl-mechanism': 'aws-msk-iam' }, { AWS_REGION: 'eu-west-1' }, noFiles);
    expect(config.sasl).toEqual({ mechanism: 'aws-msk-iam', region: 'eu-west-1' });
    expect(config.ssl).toBe(true);
    expect(field(() => buildConnectionConfig({ bootstrap: 'b-1:9098', 'sasl-mechanism': 'aws-msk-iam' }, {}, noFiles))).toBe('--region');
  });

  it('reads the CA file for --tls-ca and reports unreadable or non-PEM files', () => {
    expect(buildConnectionConfig({ bootstrap: 'a:1', 'tls-ca': 'ca.pem' }, {}, () => PEM).ssl).toEqual({ ca: PEM });
    expect(buildConnectionConfig({ bootstrap: 'a:1', tls: true }, {}, noFiles).ssl).toBe(true);
    expect(buildConnectionConfig({ bootstrap: 'a:1' }, {}, noFiles).ssl).toBeUndefined();
    expect(field(() => buildConnectionConfig({ bootstrap: 'a:1', 'tls-ca': 'missing.pem' }, {}, noFiles))).toBe('--tls-ca');
    expect(field(() => buildConnectionConfig({ bootstrap: 'a:1', 'tls-ca': 'key.txt' }, {}, () => Buffer.from('hello')))).toBe('--tls-ca');
  });
});
