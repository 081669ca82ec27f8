import { describe, expect, it } from 'vitest';
import { BROKER_LOG_FILTER_PATTERN, brokerIdFromStream, parseBrokerLogLine } from '../../../lambdas/aws/broker-log-lines.ts';

describe('broker log lines', () => {
  it('takes the broker id from the Broker-<id> suffix whatever the cluster is called', () => {
    expect(brokerIdFromStream('orders-prod-Broker-12')).toBe(12);
    expect(brokerIdFromStream('a-b-c-Broker-1')).toBe(1);
    expect(brokerIdFromStream('orders-prod-Broker-12-extra')).toBeNull();
    expect(brokerIdFromStream('something-else')).toBeNull();
  });

  it('prefers the broker id in the line', () => {
    expect(parseBrokerLogLine('ERROR [GroupCoordinator id=5] Failed to load metadata from __consumer_offsets-0 with epoch 3 due to x')).toEqual({
      kind: 'FAILED_TO_LOAD_METADATA',
      partition: 0,
      brokerId: 5,
      epoch: 3,
    });
  });

  it('leaves unrelated lines alone', () => {
    expect(parseBrokerLogLine('INFO [GroupCoordinator id=1] Loaded __consumer_offsets-3 in 4 ms')).toBeNull();
    expect(parseBrokerLogLine('Replaying record without a partition')).toBeNull();
  });

  it('builds an OR filter pattern of the quoted phrases', () => {
    expect(BROKER_LOG_FILTER_PATTERN).toBe(
      '?"Failed to load metadata from __consumer_offsets-" ?"Error loading offsets from __consumer_offsets-" ?"Replaying record"',
    );
  });
});
