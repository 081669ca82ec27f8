import { describe, expect, it } from 'vitest';
import { RecoveryError } from '../../../../lambdas/core/errors.ts';
import {
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  decodeOffsetsRecord,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeGroupRecordKey,
  encodeGroupRecordValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../../../lambdas/core/offsets-records/index.ts';

function invalid(run: () => unknown, field: string): void {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(RecoveryError);
  expect((error as RecoveryError).code).toBe('INVALID_INPUT');
  expect((error as RecoveryError).message).toContain(field);
}

describe('encoder input validation', () => {
  const value = { offset: 1n, metadata: '', commitTimestamp: 0n };

  it('rejects bad offset-commit values naming the field', () => {
    invalid(() => encodeOffsetCommitValue(value, 5), 'valueVersion');
    invalid(() => encodeOffsetCommitValue(value, -1), 'valueVersion');
    invalid(() => encodeOffsetCommitValue({ ...value, offset: 1 as unknown as bigint }, 3), 'offset');
    invalid(() => encodeOffsetCommitValue({ ...value, offset: 2n ** 63n }, 3), 'offset');
    invalid(() => encodeOffsetCommitValue({ ...value, leaderEpoch: 2 ** 31 }, 3), 'leaderEpoch');
    invalid(() => encodeOffsetCommitValue({ ...value, metadata: 'x'.repeat(40_000) }, 3), 'metadata');
    invalid(() => encodeOffsetCommitValue({ ...value, topicId: 'not-a-uuid' }, 4), 'topicId');
    invalid(() => encodeOffsetCommitValue({ ...value, unknownTaggedFields: [[0, Buffer.alloc(16)]] }, 4), 'unknownTaggedFields');
  });

  it('rejects bad keys naming the field', () => {
    invalid(() => encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 1.5 }), 'partition');
    invalid(() => encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 0 }, 2 as 1), 'recordType');
    invalid(() => encodeOffsetCommitKey({ group: 7 as unknown as string, topic: 't', partition: 0 }), 'group');
    invalid(() => encodeGroupRecordKey(1, 'g'), 'recordType');
    invalid(() => encodeGroupRecordKey(9, 'g'), 'recordType');
    invalid(() => encodeGroupMetadataKey(undefined as unknown as string), 'group');
  });

  it('rejects bad group metadata and consumer protocol input', () => {
    const member = { memberId: 'm', clientId: 'c', clientHost: 'h', sessionTimeout: 1, subscriptionBytes: Buffer.alloc(0), assignmentBytes: Buffer.alloc(0) };
    const groupValue = { protocolType: 'consumer', generation: 1, protocol: null, leader: null, members: [member] };
    invalid(() => encodeGroupMetadataValue(groupValue, 7), 'valueVersion');
    invalid(() => encodeGroupMetadataValue({ ...groupValue, members: undefined as unknown as [] }, 3), 'members');
    invalid(() => encodeGroupMetadataValue({ ...groupValue, members: [{ ...member, subscriptionBytes: 'x' as unknown as Buffer }] }, 3), 'groupMetadata');
    invalid(() => encodeConsumerSubscription({ topics: ['t'] }, 4), 'version');
    invalid(() => encodeConsumerAssignment({ assignedPartitions: [{ topic: 't', partitions: ['0' as unknown as number] }] }, 0), 'assignment');
    invalid(() => encodeGroupRecordValue(3, {}, 1), 'valueVersion');
  });

  it('leaves out fields a version does not carry, as Kafka does for ignorable fields', () => {
    const full = { offset: 1n, leaderEpoch: 9, metadata: 'm', commitTimestamp: 2n, expireTimestamp: 3n, topicId: '5b1c4a6e-9d2f-4c3b-8a7e-0f1e2d3c4b5a' };
    const expected: Record<number, object> = {
      0: { leaderEpoch: -1, expireTimestamp: -1n, topicId: null },
      1: { leaderEpoch: -1, expireTimestamp: 3n, topicId: null },
      2: { leaderEpoch: -1, expireTimestamp: -1n, topicId: null },
      3: { leaderEpoch: 9, expireTimestamp: -1n, topicId: null },
      4: { leaderEpoch: 9, expireTimestamp: -1n, topicId: full.topicId },
    };
    for (const version of [0, 1, 2, 3, 4]) {
      const record = decodeOffsetsRecord(encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 0 }), encodeOffsetCommitValue(full, version));
      expect(record).toMatchObject({ kind: 'offset-commit', value: { valueVersion: version, offset: 1n, metadata: 'm', commitTimestamp: 2n, ...expected[version] } });
    }
  });
});

describe('consumer protocol round trips', () => {
  const subscription = {
    topics: ['orders', 'zamówienia'],
    userData: Buffer.from('cafe', 'hex'),
    ownedPartitions: [{ topic: 'orders', partitions: [0, 5] }],
    generationId: 12,
    rackId: 'eu-west-1a',
  };

  it.each([0, 1, 2, 3])('subscription v%i keeps the fields of its version', (version) => {
    const decoded = decodeConsumerSubscription(encodeConsumerSubscription(subscription, version));
    expect(decoded).toEqual({
      version,
      topics: subscription.topics,
      userData: subscription.userData,
      ownedPartitions: version >= 1 ? subscription.ownedPartitions : [],
      generationId: version >= 2 ? 12 : -1,
      rackId: version >= 3 ? 'eu-west-1a' : null,
    });
  });

  it.each([0, 1, 2, 3])('assignment v%i round-trips', (version) => {
    const assignment = { assignedPartitions: [{ topic: 'a', partitions: [2, 1] }, { topic: 'b', partitions: [] }], userData: null };
    expect(decodeConsumerAssignment(encodeConsumerAssignment(assignment, version))).toEqual({ version, ...assignment });
  });

  it('throws CORRUPT_DATA for bytes that are not a subscription or assignment', () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('00', 'hex'), Buffer.from('ffff', 'hex'), Buffer.from('0000ffffffff', 'hex'), Buffer.from('00000000000000000000ff', 'hex')]) {
      expect(() => decodeConsumerSubscription(bytes)).toThrow(RecoveryError);
      expect(() => decodeConsumerAssignment(bytes)).toThrow(/ConsumerProtocolAssignment/);
    }
  });
});
