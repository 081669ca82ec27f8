import { describe, expect, it } from 'vitest';
import { kafkaErrorName } from '../../../../../lambdas/core/errors.ts';
import { clusterError, ErrorCode, errorName } from '../../../../../local/kafka/protocol/error-codes.ts';

describe('the cluster error-code table', () => {
  it('gives every name its own wire number', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('holds the coordinator codes clients switch on, at Kafka numbers', () => {
    expect(ErrorCode).toMatchObject({
      NOT_COORDINATOR: 16,
      COORDINATOR_LOAD_IN_PROGRESS: 14,
      ILLEGAL_GENERATION: 22,
      UNKNOWN_MEMBER_ID: 25,
      REBALANCE_IN_PROGRESS: 27,
      CONCURRENT_TRANSACTIONS: 51,
      MEMBER_ID_REQUIRED: 79,
      FENCED_INSTANCE_ID: 82,
      UNSTABLE_OFFSET_COMMIT: 88,
      PRODUCER_FENCED: 90,
    });
  });

  it('names codes back, and unknown ones by number', () => {
    expect(errorName(79)).toBe('MEMBER_ID_REQUIRED');
    expect(errorName(-1)).toBe('UNKNOWN_SERVER_ERROR');
    expect(errorName(999)).toBe('ERROR_999');
  });

  it('builds KAFKA_ERROR failures that carry the table number', () => {
    const error = clusterError('OFFSET_OUT_OF_RANGE', 'orders-0: offset 9 is outside [0, 3]');
    expect(kafkaErrorName(error)).toBe('OFFSET_OUT_OF_RANGE');
    expect(error.details['kafkaErrorCode']).toBe(1);
    expect(error.message).toBe('orders-0: offset 9 is outside [0, 3]');
  });
});
