import { describe, expect, it } from 'vitest';
import { RecoveryError, kafkaError } from '../../../lambdas/core/errors.ts';
import type { AuthMode } from '../../../lambdas/core/workflow/documents.ts';
import { configuredAuthMode, kafkaConnectionFor, resolveDeps, toStepError } from '../../../lambdas/handlers/runtime.ts';
import { request } from '../core/workflow/fixtures.ts';
import { mocks, setUp } from './harness.ts';
import { GetBootstrapBrokersCommand } from '@aws-sdk/client-kafka';

describe('kafkaConnectionFor', () => {
  it.each<[AuthMode, object]>([
    ['iam', { brokers: ['b-1:9098'], ssl: true, sasl: { mechanism: 'aws-msk-iam', region: 'us-east-1' } }],
    ['public-iam', { brokers: ['p-1:9198'], ssl: true, sasl: { mechanism: 'aws-msk-iam', region: 'us-east-1' } }],
    ['scram', { brokers: ['b-1:9096'], ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'recovery', password: 'pw' } }],
    ['public-scram', { brokers: ['p-1:9196'], ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'recovery', password: 'pw' } }],
    ['tls', { brokers: ['b-1:9094'], ssl: true }],
    ['public-tls', { brokers: ['p-1:9194'], ssl: true }],
    ['plaintext', { brokers: ['b-1:9092'] }],
  ])('connects with %s', async (authMode, expected) => {
    const h = setUp();
    mocks.msk.on(GetBootstrapBrokersCommand).resolves({
      BootstrapBrokerString: 'b-1:9092',
      BootstrapBrokerStringTls: 'b-1:9094',
      BootstrapBrokerStringSaslScram: 'b-1:9096',
      BootstrapBrokerStringSaslIam: 'b-1:9098',
      BootstrapBrokerStringPublicTls: 'p-1:9194',
      BootstrapBrokerStringPublicSaslScram: 'p-1:9196',
      BootstrapBrokerStringPublicSaslIam: 'p-1:9198',
    });
    expect(await kafkaConnectionFor(resolveDeps(h.deps), request({ authMode }))).toEqual(expected);
  });

  it('needs SCRAM_SECRET_ARN for scram', async () => {
    const h = setUp({ SCRAM_SECRET_ARN: '' });
    await expect(kafkaConnectionFor(resolveDeps(h.deps), request({ authMode: 'scram' }))).rejects.toMatchObject({ code: 'CONFIGURATION', message: expect.stringContaining('SCRAM_SECRET_ARN') });
  });
});

describe('error names for the state machine', () => {
  it('marks transient failures RetryableError and names the rest by code', () => {
    expect(toStepError(new RecoveryError('KAFKA_UNAVAILABLE', 'gone')).name).toBe('RetryableError');
    expect(toStepError(kafkaError('NOT_COORDINATOR', 16, 'moving', { retryable: true })).name).toBe('RetryableError');
    expect(toStepError(kafkaError('GROUP_AUTHORIZATION_FAILED', 30, 'denied'))).toMatchObject({ name: 'RecoveryError.KAFKA_ERROR', code: 'KAFKA_ERROR' });
    expect(toStepError(new TypeError('x is undefined'))).toMatchObject({ name: 'RecoveryError.INTERNAL', message: 'Unexpected failure: x is undefined' });
  });

  it('checks AUTH_MODE', () => {
    expect(configuredAuthMode({ AUTH_MODE: 'scram' })).toBe('scram');
    expect(configuredAuthMode({})).toBeUndefined();
    expect(() => configuredAuthMode({ AUTH_MODE: 'SASL' })).toThrow(/AUTH_MODE is "SASL"/);
  });
});
