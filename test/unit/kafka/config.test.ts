import { describe, expect, it } from 'vitest';
import { RecoveryError } from '../../../lambdas/core/errors.ts';
import { parseBrokerAddress, validateKafkaConfig, type KafkaConnectionConfig } from '../../../lambdas/kafka/config.ts';

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RecoveryError);
    expect((error as RecoveryError).code).toBe('INVALID_INPUT');
    return String((error as RecoveryError).details['field']);
  }
  throw new Error('expected an INVALID_INPUT error');
}

describe('parseBrokerAddress', () => {
  it('reads host:port, IPv6 in brackets and rejects the rest', () => {
    expect(parseBrokerAddress('b-1.kafka.example:9098', 'x')).toEqual({ host: 'b-1.kafka.example', port: 9098 });
    expect(parseBrokerAddress('[::1]:9092', 'x')).toEqual({ host: '::1', port: 9092 });
    for (const bad of ['localhost', 'host:0', 'host:70000', ':9092', 'a b:1', 'host:port']) {
      expect(fieldOf(() => parseBrokerAddress(bad, '--bootstrap'))).toBe('--bootstrap');
    }
  });
});

describe('validateKafkaConfig', () => {
  it('fills defaults', () => {
    const config = validateKafkaConfig({ brokers: ['127.0.0.1:9092'] });
    expect(config.bootstrap).toEqual([{ host: '127.0.0.1', port: 9092 }]);
    expect(config.clientId).toBe('coordinator-recovery');
    expect(config.ssl).toBeUndefined();
    expect(config.connectionTimeoutMs).toBeGreaterThan(0);
  });

  it('turns TLS on for MSK IAM and refuses it switched off', () => {
    expect(validateKafkaConfig({ brokers: ['b:9098'], sasl: { mechanism: 'aws-msk-iam', region: 'eu-west-1' } }).ssl).toBe(true);
    expect(fieldOf(() => validateKafkaConfig({ brokers: ['b:9098'], ssl: false, sasl: { mechanism: 'aws-msk-iam', region: 'eu-west-1' } }))).toBe('ssl');
  });

  it.each<[string, unknown]>([
    ['brokers', { brokers: [] }],
    ['brokers[1]', { brokers: ['a:1', 'nope'] }],
    ['sasl.mechanism', { brokers: ['a:1'], sasl: { mechanism: 'gssapi' } }],
    ['sasl.password', { brokers: ['a:1'], sasl: { mechanism: 'scram-sha-512', username: 'u' } }],
    ['sasl.region', { brokers: ['a:1'], sasl: { mechanism: 'aws-msk-iam' } }],
    ['ssl.passphrase', { brokers: ['a:1'], ssl: { passphrase: 'x' } }],
    ['ssl.key', { brokers: ['a:1'], ssl: { cert: 'x' } }],
    ['ssl.cert', { brokers: ['a:1'], ssl: { key: 'x' } }],
    ['requestTimeoutMs', { brokers: ['a:1'], requestTimeoutMs: -5 }],
    ['clientId', { brokers: ['a:1'], clientId: '' }],
  ])('names %s when it is wrong', (field, config) => {
    expect(fieldOf(() => validateKafkaConfig(config as KafkaConnectionConfig))).toBe(field);
  });
});
