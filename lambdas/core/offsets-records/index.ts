export type {
  ConsumerAssignment,
  ConsumerSubscription,
  DecodeOptions,
  GroupMember,
  GroupMetadataRecord,
  GroupMetadataValue,
  GroupRecord,
  OffsetCommitKey,
  OffsetCommitRecord,
  OffsetCommitValue,
  OffsetsRecord,
  SkippedRecord,
  SkipReason,
  TopicPartitions,
  UnknownTaggedFields,
} from './types.ts';
export { decodeOffsetsRecord } from './decode.ts';
export { groupKeyMatcher, peekOffsetsRecordKey, readRecordType } from './key.ts';
export {
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  OFFSET_COMMIT_VALUE_VERSIONS,
  readOffsetCommitKey,
  readOffsetCommitValue,
  type OffsetCommitValueInput,
} from './offset-commit.ts';
export { offsetCommitValueProblem } from './offset-commit-shape.ts';
export {
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  type GroupMemberInput,
  type GroupMetadataValueInput,
} from './group-metadata.ts';
export {
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
  type ConsumerAssignmentInput,
  type ConsumerSubscriptionInput,
} from './consumer-protocol.ts';
export { encodeGroupRecordKey, encodeGroupRecordValue } from './group-record.ts';
export { isGroupRecordType, RECORD_TYPE_NAMES, REMOVED_RECORD_TYPES } from './record-types.ts';
export { offsetsRecordToJson, type JsonValue } from './json.ts';
