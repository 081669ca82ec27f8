import { describe, expect, it } from 'vitest';
import { aggregateFindings, BROKER_LOG_FILTER_PATTERN, brokerIdFromStream, parseBrokerLogLine } from '../../../lambdas/aws/broker-log-lines.ts';

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
      replaying: null,
    });
  });

  it('keeps the epoch conflict Kafka 4.1.1 quotes at the end of its one load-failure line', () => {
    // Printed by a real Apache Kafka 4.1.1 broker (test/integration/local/real-kafka/incident-epoch-conflict.test.ts).
    const line =
      "[2026-12-05 22:45:02,958] ERROR [GroupCoordinator id=3] Failed to load metadata from __consumer_offsets-4 with epoch 1 due to java.lang.RuntimeException: Replaying record CoordinatorRecord(key=ConsumerGroupCurrentMemberAssignmentKey(groupId='payments-kip848', memberId='nPeNQeGhSein+53RsszJKg'), value=ApiMessageAndVersion(ConsumerGroupCurrentMemberAssignmentValue(memberEpoch=1, previousMemberEpoch=0, state=0, assignedPartitions=[TopicPartitions(topicId=IGbSaMhST8ONCJXexod4GA, partitions=[0, 1, 2])], partitionsPendingRevocation=[]) at version 0)) from __consumer_offsets-4 at offset 17 with producer id -1 and producer epoch 0 failed due to: Cannot set the epoch of IGbSaMhST8ONCJXexod4GA-2 to 1 because the partition is still owned at epoch 2. (org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime)";
    expect(parseBrokerLogLine(line)).toEqual({
      kind: 'FAILED_TO_LOAD_METADATA',
      partition: 4,
      brokerId: 3,
      epoch: 1,
      replaying: { topicPartition: '__consumer_offsets-4', offset: '17', conflictPartition: 'IGbSaMhST8ONCJXexod4GA-2', requestedEpoch: 1, ownedEpoch: 2 },
    });
    const [finding] = aggregateFindings([{ logStreamName: 'payments-Broker-3', timestamp: 0, message: line }]);
    expect(finding).toMatchObject({ partition: 4, brokerId: 3, phrase: 'FAILED_TO_LOAD_METADATA', count: 1 });
    expect(finding?.replaying).toEqual([{ topicPartition: '__consumer_offsets-4', offset: '17', conflictPartition: 'IGbSaMhST8ONCJXexod4GA-2', requestedEpoch: 1, ownedEpoch: 2 }]);
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
