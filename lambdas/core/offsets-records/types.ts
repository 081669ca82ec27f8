/**
 * What one `__consumer_offsets` record means, as a discriminated union on `kind`.
 * int64 values are bigint so offsets and timestamps above 2^53 stay exact.
 */

/** Tagged fields this code does not know: [tag, raw bytes], kept so re-encoding is lossless. */
export type UnknownTaggedFields = Array<[number, Buffer]>;

export interface OffsetCommitValue {
  valueVersion: number;
  offset: bigint;
  /** -1 when unknown or absent (value versions < 3). */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** -1 unless the value is version 1 and the commit asked for a retention. */
  expireTimestamp: bigint;
  /** Set only by version 4+ (tag 0). */
  topicId: string | null;
  unknownTaggedFields: UnknownTaggedFields;
}

export interface OffsetCommitKey {
  group: string;
  topic: string;
  partition: number;
}

interface OffsetCommitRecordBase extends OffsetCommitKey {
  kind: 'offset-commit';
  /** 0 = the Kafka 0.8.2 key layout (LegacyOffsetCommit), 1 = every later broker. */
  recordType: 0 | 1;
}
export type OffsetCommitRecord =
  | (OffsetCommitRecordBase & { tombstone: false; value: OffsetCommitValue })
  | (OffsetCommitRecordBase & { tombstone: true; value?: undefined });

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** The member's embedded ConsumerProtocolSubscription (protocol type "consumer"). */
export interface ConsumerSubscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  ownedPartitions: TopicPartitions[];
  generationId: number;
  rackId: string | null;
}

/** The member's embedded ConsumerProtocolAssignment (protocol type "consumer"). */
export interface ConsumerAssignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** -1 in value version 0 (Kafka then uses sessionTimeout as the rebalance timeout). */
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscriptionBytes: Buffer;
  /** Decoded only for protocol type "consumer"; null otherwise or when the bytes do not parse. */
  subscription: ConsumerSubscription | null;
  assignmentBytes: Buffer;
  assignment: ConsumerAssignment | null;
  /** Why subscription or assignment is null although the protocol type is "consumer". */
  embeddedProtocolError?: string;
  unknownTaggedFields: UnknownTaggedFields;
}

export interface GroupMetadataValue {
  valueVersion: number;
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 in value versions < 2. */
  currentStateTimestamp: bigint;
  members: GroupMember[];
  unknownTaggedFields: UnknownTaggedFields;
}

interface GroupMetadataRecordBase {
  kind: 'group-metadata';
  recordType: 2;
  group: string;
}
export type GroupMetadataRecord =
  | (GroupMetadataRecordBase & { tombstone: false; value: GroupMetadataValue })
  | (GroupMetadataRecordBase & { tombstone: true; value?: undefined });

/**
 * A KIP-848 consumer-group, KIP-932 share-group or KIP-1071 streams-group record. Recovery only
 * needs to know that the group lives on this partition; the value is decoded on request.
 */
export interface GroupRecord {
  kind: 'group-record';
  recordType: number;
  /** Kafka's name for the record type, e.g. 'ConsumerGroupMetadata'. */
  typeName: string;
  group: string;
  /** Every key field (camelCase), e.g. { groupId, memberId }. */
  key: Record<string, string>;
  tombstone: boolean;
  valueVersion: number | null;
  /** The schema-decoded value, only with `{ decodeGroupRecordValues: true }`. */
  value?: Record<string, unknown>;
}

export type SkipReason =
  | 'UNKNOWN_RECORD_TYPE'
  | 'NEGATIVE_RECORD_TYPE'
  | 'UNKNOWN_VALUE_VERSION'
  | 'CORRUPT_KEY'
  | 'CORRUPT_VALUE'
  | 'EMPTY_KEY';

/** A record that recovery must count and ignore; never an exception out of a scan. */
export interface SkippedRecord {
  kind: 'skipped';
  reason: SkipReason;
  /** null when the key is too short to hold a record type. */
  recordType: number | null;
  detail: string;
}

export type OffsetsRecord = OffsetCommitRecord | GroupMetadataRecord | GroupRecord | SkippedRecord;

export interface DecodeOptions {
  /** Also decode the values of record types 3+ (the CLI's `decode`); scans leave this off. */
  decodeGroupRecordValues?: boolean;
}
