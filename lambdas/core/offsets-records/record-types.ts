/**
 * Record types of `__consumer_offsets` (the int16 at the start of every key; Kafka <= 4.0 called
 * it the key version). Names follow Kafka 4.3.1's coordinator schemas: the key schema is
 * `${name}Key`, the value schema `${name}Value`. A test checks this table against the schema
 * files' apiKey, so a Kafka upgrade that adds a type shows up as a failing test, not a silent skip.
 */
export const RECORD_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'LegacyOffsetCommit'],
  [1, 'OffsetCommit'],
  [2, 'GroupMetadata'],
  [3, 'ConsumerGroupMetadata'],
  [4, 'ConsumerGroupPartitionMetadata'],
  [5, 'ConsumerGroupMemberMetadata'],
  [6, 'ConsumerGroupTargetAssignmentMetadata'],
  [7, 'ConsumerGroupTargetAssignmentMember'],
  [8, 'ConsumerGroupCurrentMemberAssignment'],
  [10, 'ShareGroupMemberMetadata'],
  [11, 'ShareGroupMetadata'],
  [12, 'ShareGroupTargetAssignmentMetadata'],
  [13, 'ShareGroupTargetAssignmentMember'],
  [14, 'ShareGroupCurrentMemberAssignment'],
  [15, 'ShareGroupStatePartitionMetadata'],
  [16, 'ConsumerGroupRegularExpression'],
  [17, 'StreamsGroupMetadata'],
  [19, 'StreamsGroupMemberMetadata'],
  [20, 'StreamsGroupTargetAssignmentMetadata'],
  [21, 'StreamsGroupTargetAssignmentMember'],
  [22, 'StreamsGroupCurrentMemberAssignment'],
  [23, 'StreamsGroupTopology'],
]);

/** Types that existed once and were removed; brokers log "Unknown record type" and skip them. */
export const REMOVED_RECORD_TYPES: ReadonlyMap<number, string> = new Map([
  [9, 'ShareGroupPartitionMetadata (removed before Kafka 4.1)'],
  [18, 'StreamsGroupPartitionMetadata (trunk only, never released)'],
]);

export const LEGACY_OFFSET_COMMIT = 0;
export const OFFSET_COMMIT = 1;
export const GROUP_METADATA = 2;

export function isGroupRecordType(recordType: number): boolean {
  return recordType > GROUP_METADATA && RECORD_TYPE_NAMES.has(recordType);
}
