import { describe, expect, it } from 'vitest';
import {
  decodeOffsetsRecord,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeGroupRecordKey,
  encodeGroupRecordValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  RECORD_TYPE_NAMES,
  type ConsumerAssignment,
  type ConsumerSubscription,
  type GroupMember,
  type OffsetsRecord,
} from '../../../../lambdas/core/offsets-records/index.ts';
import { keyOf, recordVectors, valueOf } from './vectors.ts';

/**
 * Renders a decoded record in the vocabulary of vectors.json (int64 as decimal strings, bytes
 * as hex, Kafka's record-type names), so that `toEqual` compares every field the vector lists
 * and fails on any field the decoder adds or drops.
 */
const hex = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('hex'));
const tags = (fields: Array<[number, Buffer]>): Array<[number, string]> => fields.map(([tag, bytes]) => [tag, bytes.toString('hex')]);

function subscriptionView(subscription: ConsumerSubscription | null): unknown {
  if (subscription === null) return null;
  return {
    version: subscription.version,
    topics: subscription.topics,
    userDataHex: hex(subscription.userData),
    ownedPartitions: subscription.ownedPartitions,
    generationId: subscription.generationId,
    rackId: subscription.rackId,
  };
}

function assignmentView(assignment: ConsumerAssignment | null): unknown {
  if (assignment === null) return null;
  return {
    version: assignment.version,
    assignedPartitions: assignment.assignedPartitions,
    userDataHex: hex(assignment.userData),
  };
}

function memberView(member: GroupMember): unknown {
  return {
    memberId: member.memberId,
    groupInstanceId: member.groupInstanceId,
    clientId: member.clientId,
    clientHost: member.clientHost,
    rebalanceTimeout: member.rebalanceTimeout,
    sessionTimeout: member.sessionTimeout,
    subscriptionHex: hex(member.subscriptionBytes),
    subscription: subscriptionView(member.subscription),
    assignmentHex: hex(member.assignmentBytes),
    assignment: assignmentView(member.assignment),
    unknownTaggedFields: tags(member.unknownTaggedFields),
  };
}

function vectorView(record: OffsetsRecord): Record<string, unknown> {
  switch (record.kind) {
    case 'offset-commit': {
      const base = {
        recordType: RECORD_TYPE_NAMES.get(record.recordType),
        action: 'offset',
        keyVersion: record.recordType,
        valueVersion: record.tombstone ? null : record.value.valueVersion,
        tombstone: record.tombstone,
        group: record.group,
        topic: record.topic,
        partition: record.partition,
      };
      if (record.tombstone) return base;
      const value = record.value;
      return {
        ...base,
        offset: value.offset.toString(),
        leaderEpoch: value.leaderEpoch,
        metadata: value.metadata,
        commitTimestamp: value.commitTimestamp.toString(),
        expireTimestamp: value.expireTimestamp.toString(),
        topicId: value.topicId,
        unknownTaggedFields: tags(value.unknownTaggedFields),
      };
    }
    case 'group-metadata': {
      const base = {
        recordType: 'GroupMetadata',
        action: 'group',
        keyVersion: record.recordType,
        valueVersion: record.tombstone ? null : record.value.valueVersion,
        tombstone: record.tombstone,
        group: record.group,
      };
      if (record.tombstone) return base;
      const value = record.value;
      return {
        ...base,
        protocolType: value.protocolType,
        generation: value.generation,
        protocol: value.protocol,
        leader: value.leader,
        currentStateTimestamp: value.currentStateTimestamp.toString(),
        members: value.members.map(memberView),
        unknownTaggedFields: tags(value.unknownTaggedFields),
      };
    }
    case 'group-record':
      return {
        recordType: record.typeName,
        action: 'skip',
        keyVersion: record.recordType,
        valueVersion: record.valueVersion,
        tombstone: record.tombstone,
        knownIn431: RECORD_TYPE_NAMES.has(record.recordType),
        // Kafka's schema field names, as the vectors spell them.
        key: Object.fromEntries(Object.entries(record.key).map(([name, v]) => [name.charAt(0).toUpperCase() + name.slice(1), v])),
        group: record.group,
      };
    case 'skipped':
      return { skipped: record };
  }
}

describe('decodeOffsetsRecord against every record of vectors.json', () => {
  it('covers every kind of vector', () => {
    const actions = new Set(recordVectors.map((vector) => vector.expect['action']));
    expect(actions).toEqual(new Set(['offset', 'group', 'skip']));
    expect(recordVectors.length).toBeGreaterThanOrEqual(21);
  });

  for (const vector of recordVectors) {
    it(`${vector.name}: decodes to exactly its expectation`, () => {
      const record = decodeOffsetsRecord(keyOf(vector), valueOf(vector));
      expect(vectorView(record)).toEqual(vector.expect);
    });
  }
});

describe('re-encoding every vector byte-identically', () => {
  for (const vector of recordVectors) {
    it(vector.name, () => {
      const record = decodeOffsetsRecord(keyOf(vector), valueOf(vector), { decodeGroupRecordValues: true });
      switch (record.kind) {
        case 'offset-commit':
          expect(hex(encodeOffsetCommitKey(record, record.recordType))).toBe(vector.keyHex);
          if (!record.tombstone) expect(hex(encodeOffsetCommitValue(record.value, record.value.valueVersion))).toBe(vector.valueHex);
          break;
        case 'group-metadata':
          expect(hex(encodeGroupMetadataKey(record.group))).toBe(vector.keyHex);
          if (!record.tombstone) {
            expect(hex(encodeGroupMetadataValue(record.value, record.value.valueVersion))).toBe(vector.valueHex);
            for (const member of record.value.members) {
              expect(member.subscription).not.toBeNull();
              expect(member.assignment).not.toBeNull();
              const { version: subscriptionVersion, ...subscription } = member.subscription as ConsumerSubscription;
              const { version: assignmentVersion, ...assignment } = member.assignment as ConsumerAssignment;
              expect(encodeConsumerSubscription(subscription, subscriptionVersion)).toEqual(member.subscriptionBytes);
              expect(encodeConsumerAssignment(assignment, assignmentVersion)).toEqual(member.assignmentBytes);
            }
          }
          break;
        case 'group-record':
          expect(hex(encodeGroupRecordKey(record.recordType, record.group, record.key))).toBe(vector.keyHex);
          expect(record.value).toBeDefined();
          expect(hex(encodeGroupRecordValue(record.recordType, record.value ?? {}, record.valueVersion ?? 0))).toBe(vector.valueHex);
          break;
        case 'skipped':
          throw new Error(`vector ${vector.name} was skipped: ${record.detail}`);
      }
    });
  }
});
