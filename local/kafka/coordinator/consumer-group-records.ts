import {
  decodeOffsetsRecord,
  encodeGroupRecordKey,
  encodeGroupRecordValue,
} from '../../../lambdas/core/offsets-records/index.ts';
import type { TopicAssignment } from './consumer-group-assignor.ts';

/**
 * The records of a KIP-848 consumer group (types 3-8 and 16 of `__consumer_offsets`) as typed
 * values, and their bytes through the shared record encoders. Every value is written at v0, as
 * every 4.x release writes them.
 */

/** Kafka's MemberState codes, as ConsumerGroupCurrentMemberAssignmentValue stores them. */
export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2, UNKNOWN: 127 } as const;
export type MemberStateCode = (typeof MemberState)[keyof typeof MemberState];

export interface ConsumerMemberMetadata {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
}

export interface CurrentMemberAssignment {
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberStateCode;
  assignedPartitions: TopicAssignment;
  partitionsPendingRevocation: TopicAssignment;
}

export interface SubscribedTopicMetadata {
  topicId: string;
  topicName: string;
  numPartitions: number;
}

export interface ResolvedRegularExpression {
  topics: string[];
  version: bigint;
  timestamp: bigint;
}

export type ConsumerGroupRecord =
  | { type: 3; group: string; value: { epoch: number; metadataHash: bigint } | null }
  | { type: 4; group: string; value: { topics: SubscribedTopicMetadata[] } | null }
  | { type: 5; group: string; memberId: string; value: ConsumerMemberMetadata | null }
  | { type: 6; group: string; value: { assignmentEpoch: number } | null }
  | { type: 7; group: string; memberId: string; value: { partitions: TopicAssignment } | null }
  | { type: 8; group: string; memberId: string; value: CurrentMemberAssignment | null }
  | { type: 16; group: string; regex: string; value: ResolvedRegularExpression | null };

export const CONSUMER_GROUP_RECORD_TYPES: ReadonlySet<number> = new Set([3, 4, 5, 6, 7, 8, 16]);

type WireTopicPartitions = Array<{ topicId: string; partitions: number[] }>;

function toWire(assignment: TopicAssignment): WireTopicPartitions {
  return [...assignment].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions].sort((a, b) => a - b) }));
}

function fromWire(value: unknown): TopicAssignment {
  const out: TopicAssignment = new Map();
  for (const t of (value ?? []) as WireTopicPartitions) out.set(t.topicId, new Set(t.partitions));
  return out;
}

function keyFields(record: ConsumerGroupRecord): Record<string, string> {
  if (record.type === 5 || record.type === 7 || record.type === 8) return { memberId: record.memberId };
  if (record.type === 16) return { regularExpression: record.regex };
  return {};
}

function valueFields(record: ConsumerGroupRecord): Record<string, unknown> | null {
  if (record.value === null) return null;
  switch (record.type) {
    case 3:
      return { epoch: record.value.epoch, metadataHash: record.value.metadataHash };
    case 4:
      return {
        topics: record.value.topics.map((t) => ({
          topicId: t.topicId,
          topicName: t.topicName,
          numPartitions: t.numPartitions,
          partitionMetadata: [],
        })),
      };
    case 5:
      return { ...record.value, classicMemberMetadata: null };
    case 6:
      return { assignmentEpoch: record.value.assignmentEpoch };
    case 7:
      return { topicPartitions: toWire(record.value.partitions) };
    case 8:
      return {
        memberEpoch: record.value.memberEpoch,
        previousMemberEpoch: record.value.previousMemberEpoch,
        state: record.value.state,
        assignedPartitions: toWire(record.value.assignedPartitions),
        partitionsPendingRevocation: toWire(record.value.partitionsPendingRevocation),
      };
    case 16:
      return { topics: record.value.topics, version: record.value.version, timestamp: record.value.timestamp };
  }
}

export function encodeConsumerGroupRecord(record: ConsumerGroupRecord): { key: Buffer; value: Buffer | null } {
  const value = valueFields(record);
  return {
    key: encodeGroupRecordKey(record.type, record.group, keyFields(record)),
    value: value === null ? null : encodeGroupRecordValue(record.type, value, 0),
  };
}

/** The typed record of a key and value Kafka wrote, or null for another record type. */
export function decodeConsumerGroupRecord(key: Buffer, value: Buffer | null): ConsumerGroupRecord | null {
  const decoded = decodeOffsetsRecord(key, value, { decodeGroupRecordValues: true });
  if (decoded.kind === 'skipped') throw new Error(`${decoded.reason}: ${decoded.detail}`);
  if (decoded.kind !== 'group-record' || !CONSUMER_GROUP_RECORD_TYPES.has(decoded.recordType)) return null;
  const group = decoded.group;
  const v = decoded.tombstone ? null : (decoded.value ?? {});
  const memberId = decoded.key['memberId'] ?? '';
  switch (decoded.recordType) {
    case 3:
      return { type: 3, group, value: v === null ? null : { epoch: v['epoch'] as number, metadataHash: BigInt((v['metadataHash'] as bigint | number | undefined) ?? 0) } };
    case 4:
      return {
        type: 4,
        group,
        value:
          v === null
            ? null
            : { topics: ((v['topics'] ?? []) as SubscribedTopicMetadata[]).map((t) => ({ topicId: t.topicId, topicName: t.topicName, numPartitions: t.numPartitions })) },
      };
    case 5:
      return {
        type: 5,
        group,
        memberId,
        value:
          v === null
            ? null
            : {
                instanceId: (v['instanceId'] as string | null) ?? null,
                rackId: (v['rackId'] as string | null) ?? null,
                clientId: v['clientId'] as string,
                clientHost: v['clientHost'] as string,
                subscribedTopicNames: (v['subscribedTopicNames'] ?? []) as string[],
                subscribedTopicRegex: (v['subscribedTopicRegex'] as string | null) ?? null,
                rebalanceTimeoutMs: v['rebalanceTimeoutMs'] as number,
                serverAssignor: (v['serverAssignor'] as string | null) ?? null,
              },
      };
    case 6:
      return { type: 6, group, value: v === null ? null : { assignmentEpoch: v['assignmentEpoch'] as number } };
    case 7:
      return { type: 7, group, memberId, value: v === null ? null : { partitions: fromWire(v['topicPartitions']) } };
    case 8:
      return {
        type: 8,
        group,
        memberId,
        value:
          v === null
            ? null
            : {
                memberEpoch: v['memberEpoch'] as number,
                previousMemberEpoch: v['previousMemberEpoch'] as number,
                state: v['state'] as MemberStateCode,
                assignedPartitions: fromWire(v['assignedPartitions']),
                partitionsPendingRevocation: fromWire(v['partitionsPendingRevocation']),
              },
      };
    default:
      return {
        type: 16,
        group,
        regex: decoded.key['regularExpression'] ?? '',
        value: v === null ? null : { topics: (v['topics'] ?? []) as string[], version: BigInt(v['version'] as bigint), timestamp: BigInt(v['timestamp'] as bigint) },
      };
  }
}

/** How Kafka's toString prints a Uuid (URL-safe base64 of its 16 bytes, no padding). */
export function javaUuidString(uuid: string): string {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url');
}
