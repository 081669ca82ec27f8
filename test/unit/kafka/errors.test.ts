import { describe, expect, it } from 'vitest';
import { kafkaErrorName } from '../../../lambdas/core/errors.ts';
import { describeKafkaErrorCode, fromKafkajsError } from '../../../lambdas/kafka/kafkajs-internals.ts';

const at = { host: '10.0.0.5', port: 9096 };

function kafkajsError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, ...extra });
}

describe('describeKafkaErrorCode', () => {
  it('uses Kafka current names where kafkajs kept old ones', () => {
    expect(describeKafkaErrorCode(6).name).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(describeKafkaErrorCode(16)).toMatchObject({ name: 'NOT_COORDINATOR', retryable: true });
    expect(describeKafkaErrorCode(15).name).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(describeKafkaErrorCode(14).name).toBe('COORDINATOR_LOAD_IN_PROGRESS');
    expect(describeKafkaErrorCode(-1).name).toBe('UNKNOWN_SERVER_ERROR');
    expect(describeKafkaErrorCode(1)).toMatchObject({ name: 'OFFSET_OUT_OF_RANGE', retryable: false });
    expect(describeKafkaErrorCode(9999).name).toBe('UNKNOWN_ERROR_CODE_9999');
  });
});

describe('fromKafkajsError', () => {
  it.each(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSLockTimeout'])('turns %s into a retryable KAFKA_UNAVAILABLE naming the broker', (name) => {
    const error = fromKafkajsError(kafkajsError(name), at, 'Fetch');
    expect(error).toMatchObject({ code: 'KAFKA_UNAVAILABLE', retryable: true, details: { broker: '10.0.0.5:9096' } });
    expect(error.message).toContain('Fetch');
  });

  it('keeps the broker error name and code of a protocol error', () => {
    const error = fromKafkajsError(kafkajsError('KafkaJSProtocolError', { type: 'NOT_COORDINATOR_FOR_GROUP', code: 16, retriable: true }), at, 'DescribeGroups');
    expect(kafkaErrorName(error)).toBe('NOT_COORDINATOR');
    expect(error.details['kafkaErrorCode']).toBe(16);
    expect(error.retryable).toBe(true);
  });

  it('reports refused credentials as SASL_AUTHENTICATION_FAILED, not retryable', () => {
    const error = fromKafkajsError(kafkajsError('KafkaJSSASLAuthenticationError'), at, 'Metadata');
    expect(kafkaErrorName(error)).toBe('SASL_AUTHENTICATION_FAILED');
    expect(error.retryable).toBe(false);
  });

  it('treats raw socket errors as unavailability and unsupported APIs as UNSUPPORTED', () => {
    expect(fromKafkajsError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), at, 'Fetch').code).toBe('KAFKA_UNAVAILABLE');
    expect(fromKafkajsError(kafkajsError('KafkaJSServerDoesNotSupportApiKey'), at, 'Fetch').code).toBe('UNSUPPORTED');
  });
});
