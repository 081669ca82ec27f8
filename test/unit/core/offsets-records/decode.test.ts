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
  type GroupMetadataValueInput,
  type OffsetsRecord,
  type SkippedRecord,
} from '../../../../lambdas/core/offsets-records/index.ts';

const KEY = encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 3 });
const VALUE_V3 = encodeOffsetCommitValue({ offset: 10n, leaderEpoch: 2, metadata: 'm', commitTimestamp: 1000n }, 3);

function typedKey(recordType: number, rest: Buffer = Buffer.from('0001670001740000000003', 'hex')): Buffer {
  const key = Buffer.alloc(2 + rest.length);
  key.writeInt16BE(recordType, 0);
  rest.copy(key, 2);
  return key;
}

function expectSkipped(record: OffsetsRecord, reason: SkippedRecord['reason'], recordType: number | null): SkippedRecord {
  expect(record.kind).toBe('skipped');
  const skipped = record as SkippedRecord;
  expect(skipped.reason).toBe(reason);
  expect(skipped.recordType).toBe(recordType);
  expect(skipped.detail.length).toBeGreaterThan(0);
  return skipped;
}

function group(protocolType: string, subscription: Buffer, assignment: Buffer): GroupMetadataValueInput {
  return {
    protocolType,
    generation: 1,
    protocol: 'p',
    leader: 'm1',
    currentStateTimestamp: 5n,
    members: [
      { memberId: 'm1', clientId: 'c', clientHost: '/h', sessionTimeout: 10, rebalanceTimeout: 20, subscriptionBytes: subscription, assignmentBytes: assignment },
    ],
  };
}

describe('offset commits', () => {
  it('decodes a plain commit', () => {
    const record = decodeOffsetsRecord(KEY, VALUE_V3);
    expect(record).toMatchObject({ kind: 'offset-commit', recordType: 1, group: 'g', topic: 't', partition: 3, tombstone: false });
    if (record.kind !== 'offset-commit' || record.tombstone) throw new Error('expected a live commit');
    expect(record.value).toMatchObject({ valueVersion: 3, offset: 10n, leaderEpoch: 2, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: -1n });
  });

  it('decodes a tombstone without a value', () => {
    const record = decodeOffsetsRecord(KEY, null);
    expect(record).toEqual({ kind: 'offset-commit', recordType: 1, group: 'g', topic: 't', partition: 3, tombstone: true, value: undefined });
  });

  it.each([
    ['2^53 + 1', 2n ** 53n + 1n],
    ['2^63 - 2', 2n ** 63n - 2n],
    ['int64 max', 2n ** 63n - 1n],
    ['-1', -1n],
  ])('keeps 64-bit values exact: %s', (_label, big) => {
    for (const version of [0, 1, 2, 3, 4]) {
      const value = encodeOffsetCommitValue({ offset: big, metadata: '', commitTimestamp: big, expireTimestamp: big }, version);
      const record = decodeOffsetsRecord(KEY, value);
      if (record.kind !== 'offset-commit' || record.tombstone) throw new Error(`v${version} did not decode`);
      expect(record.value.offset).toBe(big);
      expect(record.value.commitTimestamp).toBe(big);
      expect(record.value.expireTimestamp).toBe(version === 1 ? big : -1n);
    }
  });

  it('reads a type-0 key with LegacyOffsetCommitValue and refuses its other versions', () => {
    const legacyKey = encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 0 }, 0);
    const v0 = encodeOffsetCommitValue({ offset: 5n, metadata: 'x', commitTimestamp: 1n }, 0);
    expect(decodeOffsetsRecord(legacyKey, v0)).toMatchObject({ kind: 'offset-commit', recordType: 0, value: { offset: 5n } });
    expectSkipped(decodeOffsetsRecord(legacyKey, VALUE_V3), 'UNKNOWN_VALUE_VERSION', 0);
  });

  it('skips value versions it does not know', () => {
    for (const version of [5, 99, -1, -32768]) {
      const value = Buffer.from(VALUE_V3);
      value.writeInt16BE(version, 0);
      expectSkipped(decodeOffsetsRecord(KEY, value), 'UNKNOWN_VALUE_VERSION', 1);
    }
  });

  it('skips unknown v4 tags by their size and keeps them', () => {
    const value = encodeOffsetCommitValue(
      { offset: 1n, metadata: '', commitTimestamp: 2n, topicId: '00000000-0000-0000-0000-0000000000ff', unknownTaggedFields: [[7, Buffer.alloc(300, 1)]] },
      4,
    );
    const record = decodeOffsetsRecord(KEY, value);
    if (record.kind !== 'offset-commit' || record.tombstone) throw new Error('expected a live commit');
    expect(record.value.topicId).toBe('00000000-0000-0000-0000-0000000000ff');
    expect(record.value.unknownTaggedFields).toEqual([[7, Buffer.alloc(300, 1)]]);
  });

  it('reads each topic id right when ids repeat and alternate', () => {
    const ids = ['5b1c4a6e-9d2f-4c3b-8a7e-0f1e2d3c4b5a', '5b1c4a6e-9d2f-4c3b-8a7e-0f1e2d3c4b5a', '5b1c4a6e-9d2f-4c3b-8a7e-0f1e2d3c4b5b', null, '00000000-0000-0000-0000-000000000001', '5b1c4a6e-9d2f-4c3b-8a7e-0f1e2d3c4b5a'];
    for (const topicId of ids) {
      const record = decodeOffsetsRecord(KEY, encodeOffsetCommitValue({ offset: 1n, metadata: '', commitTimestamp: 2n, topicId }, 4));
      expect(record).toMatchObject({ kind: 'offset-commit', value: { topicId } });
    }
    // A zero UUID on the wire means "no topic id", as in Kafka.
    const zero = Buffer.concat([encodeOffsetCommitValue({ offset: 1n, metadata: '', commitTimestamp: 2n }, 4).subarray(0, -1), Buffer.from([1, 0, 16]), Buffer.alloc(16)]);
    expect(decodeOffsetsRecord(KEY, zero)).toMatchObject({ kind: 'offset-commit', value: { topicId: null } });
  });

  it('treats a topicId of the wrong size, tags out of order and a null metadata as corrupt', () => {
    const shortTopicId = Buffer.concat([encodeOffsetCommitValue({ offset: 1n, metadata: '', commitTimestamp: 2n }, 4).subarray(0, -1), Buffer.from([1, 0, 2, 0xaa, 0xbb])]);
    expectSkipped(decodeOffsetsRecord(KEY, shortTopicId), 'CORRUPT_VALUE', 1);
    const unordered = Buffer.concat([encodeOffsetCommitValue({ offset: 1n, metadata: '', commitTimestamp: 2n }, 4).subarray(0, -1), Buffer.from([2, 5, 0, 3, 0])]);
    expectSkipped(decodeOffsetsRecord(KEY, unordered), 'CORRUPT_VALUE', 1);
    const nullMetadata = Buffer.from('0003' + '0000000000000001' + 'ffffffff' + 'ffff' + '0000000000000002', 'hex');
    expectSkipped(decodeOffsetsRecord(KEY, nullMetadata), 'CORRUPT_VALUE', 1);
  });

  it('skips every truncation and any trailing byte of a value', () => {
    for (const version of [0, 1, 2, 3, 4]) {
      const value = encodeOffsetCommitValue({ offset: 7n, leaderEpoch: 1, metadata: 'meta', commitTimestamp: 9n, topicId: '5b1c4a6e-9d2f-4c3b-8a7e-0f1e2d3c4b5a' }, version);
      for (let length = 0; length < value.length; length++) {
        expectSkipped(decodeOffsetsRecord(KEY, value.subarray(0, length)), 'CORRUPT_VALUE', 1);
      }
      expectSkipped(decodeOffsetsRecord(KEY, Buffer.concat([value, Buffer.from([0])])), 'CORRUPT_VALUE', 1);
    }
  });

  it('skips every truncation and any trailing byte of a key', () => {
    for (let length = 2; length < KEY.length; length++) {
      expectSkipped(decodeOffsetsRecord(KEY.subarray(0, length), VALUE_V3), 'CORRUPT_KEY', 1);
    }
    expectSkipped(decodeOffsetsRecord(Buffer.concat([KEY, Buffer.from([0])]), VALUE_V3), 'CORRUPT_KEY', 1);
    expectSkipped(decodeOffsetsRecord(Buffer.from('0001ffff', 'hex'), VALUE_V3), 'CORRUPT_KEY', 1);
  });
});

describe('record types other than offsets', () => {
  it('skips negative record types', () => {
    for (const type of [-1, -2, -32768]) expectSkipped(decodeOffsetsRecord(typedKey(type), VALUE_V3), 'NEGATIVE_RECORD_TYPE', type);
  });

  it('skips removed and never-defined record types, with or without a value', () => {
    for (const type of [9, 18, 24, 100, 32767]) {
      const skipped = expectSkipped(decodeOffsetsRecord(typedKey(type), VALUE_V3), 'UNKNOWN_RECORD_TYPE', type);
      if (type === 9) expect(skipped.detail).toContain('ShareGroupPartitionMetadata');
      expectSkipped(decodeOffsetsRecord(typedKey(type), null), 'UNKNOWN_RECORD_TYPE', type);
    }
  });

  it('skips empty and one-byte keys', () => {
    expectSkipped(decodeOffsetsRecord(Buffer.alloc(0), VALUE_V3), 'EMPTY_KEY', null);
    expectSkipped(decodeOffsetsRecord(null, VALUE_V3), 'EMPTY_KEY', null);
    expectSkipped(decodeOffsetsRecord(Buffer.from([0]), VALUE_V3), 'CORRUPT_KEY', null);
  });

  it('skips a zero-length value (a tombstone is null, not empty)', () => {
    expectSkipped(decodeOffsetsRecord(KEY, Buffer.alloc(0)), 'CORRUPT_VALUE', 1);
    expectSkipped(decodeOffsetsRecord(encodeGroupMetadataKey('g'), Buffer.alloc(1)), 'CORRUPT_VALUE', 2);
  });

  const groupTypes = [...RECORD_TYPE_NAMES.keys()].filter((type) => type > 2);

  it('knows 3-8, 10-17 and 19-23 as group records', () => {
    expect(groupTypes).toEqual([3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23]);
  });

  for (const type of groupTypes) {
    it(`reads the group of type ${type} (${RECORD_TYPE_NAMES.get(type)}) from its key, live and tombstoned`, () => {
      const key = encodeGroupRecordKey(type, 'grupa-żółć', { memberId: 'member-1', regularExpression: 'orders-.*' });
      const value = encodeGroupRecordValue(type, {});
      const live = decodeOffsetsRecord(key, value);
      expect(live).toMatchObject({ kind: 'group-record', recordType: type, typeName: RECORD_TYPE_NAMES.get(type), group: 'grupa-żółć', tombstone: false, valueVersion: 0 });
      if (live.kind !== 'group-record') throw new Error('expected a group record');
      expect(live.key['groupId']).toBe('grupa-żółć');
      expect(live.value).toBeUndefined();
      const full = decodeOffsetsRecord(key, value, { decodeGroupRecordValues: true });
      expect(full.kind === 'group-record' && full.value !== undefined).toBe(true);
      expect(decodeOffsetsRecord(key, null)).toMatchObject({ kind: 'group-record', recordType: type, group: 'grupa-żółć', tombstone: true, valueVersion: null });
      expectSkipped(decodeOffsetsRecord(key.subarray(0, key.length - 1), value), 'CORRUPT_KEY', type);
      const future = Buffer.from(value);
      future.writeInt16BE(1, 0);
      expectSkipped(decodeOffsetsRecord(key, future), 'UNKNOWN_VALUE_VERSION', type);
    });
  }

  it('keeps member ids and regular expressions from multi-field keys', () => {
    const member = decodeOffsetsRecord(encodeGroupRecordKey(5, 'g', { memberId: 'm-7' }), null);
    expect(member).toMatchObject({ key: { groupId: 'g', memberId: 'm-7' } });
    const regex = decodeOffsetsRecord(encodeGroupRecordKey(16, 'g', { regularExpression: 'a.*' }), null);
    expect(regex).toMatchObject({ key: { groupId: 'g', regularExpression: 'a.*' } });
  });

  it('reports a corrupt value only when asked to decode it', () => {
    const key = encodeGroupRecordKey(3, 'g');
    const garbage = Buffer.from('0000ff', 'hex');
    expect(decodeOffsetsRecord(key, garbage)).toMatchObject({ kind: 'group-record', group: 'g' });
    expectSkipped(decodeOffsetsRecord(key, garbage, { decodeGroupRecordValues: true }), 'CORRUPT_VALUE', 3);
  });
});

describe('classic group metadata', () => {
  const subscription = encodeConsumerSubscription({ topics: ['orders'], rackId: 'r1' }, 3);
  const assignment = encodeConsumerAssignment({ assignedPartitions: [{ topic: 'orders', partitions: [0, 2] }] }, 1);

  it('decodes the embedded consumer protocol for protocol type "consumer"', () => {
    const record = decodeOffsetsRecord(encodeGroupMetadataKey('g'), encodeGroupMetadataValue(group('consumer', subscription, assignment), 3));
    if (record.kind !== 'group-metadata' || record.tombstone) throw new Error('expected live group metadata');
    const [member] = record.value.members;
    expect(member?.subscription).toEqual({ version: 3, topics: ['orders'], userData: null, ownedPartitions: [], generationId: -1, rackId: 'r1' });
    expect(member?.assignment).toEqual({ version: 1, assignedPartitions: [{ topic: 'orders', partitions: [0, 2] }], userData: null });
    expect(member?.embeddedProtocolError).toBeUndefined();
  });

  it('keeps only the raw bytes for other protocol types', () => {
    const opaque = Buffer.from('not a consumer protocol');
    for (const protocolType of ['connect', 'sr', '']) {
      const record = decodeOffsetsRecord(encodeGroupMetadataKey('g'), encodeGroupMetadataValue(group(protocolType, opaque, subscription), 3));
      if (record.kind !== 'group-metadata' || record.tombstone) throw new Error('expected live group metadata');
      const [member] = record.value.members;
      expect(member?.subscriptionBytes).toEqual(opaque);
      expect(member?.assignmentBytes).toEqual(subscription);
      expect(member?.subscription).toBeNull();
      expect(member?.assignment).toBeNull();
      expect(member?.embeddedProtocolError).toBeUndefined();
    }
  });

  it('keeps the group when a consumer member carries unreadable protocol bytes', () => {
    const record = decodeOffsetsRecord(encodeGroupMetadataKey('g'), encodeGroupMetadataValue(group('consumer', Buffer.from('zz'), Buffer.alloc(0)), 3));
    if (record.kind !== 'group-metadata' || record.tombstone) throw new Error('expected live group metadata');
    const [member] = record.value.members;
    expect(member?.subscription).toBeNull();
    expect(member?.assignment).toBeNull();
    expect(member?.embeddedProtocolError).toContain('ConsumerProtocolSubscription');
  });

  it('reads a newer embedded subscription version with the newest known layout', () => {
    const newer = Buffer.concat([subscription, Buffer.from('extra field')]);
    newer.writeInt16BE(9, 0);
    const record = decodeOffsetsRecord(encodeGroupMetadataKey('g'), encodeGroupMetadataValue(group('consumer', newer, assignment), 3));
    if (record.kind !== 'group-metadata' || record.tombstone) throw new Error('expected live group metadata');
    expect(record.value.members[0]?.subscription).toMatchObject({ version: 9, topics: ['orders'], rackId: 'r1' });
  });

  it('fills the fields a version lacks with the schema defaults', () => {
    const record = decodeOffsetsRecord(encodeGroupMetadataKey('g'), encodeGroupMetadataValue({ ...group('consumer', subscription, assignment), currentStateTimestamp: 99n }, 0));
    if (record.kind !== 'group-metadata' || record.tombstone) throw new Error('expected live group metadata');
    expect(record.value.currentStateTimestamp).toBe(-1n);
    expect(record.value.members[0]).toMatchObject({ rebalanceTimeout: -1, groupInstanceId: null, sessionTimeout: 10 });
  });

  it('decodes a tombstone and skips unknown versions, truncation and trailing bytes', () => {
    const key = encodeGroupMetadataKey('g');
    expect(decodeOffsetsRecord(key, null)).toEqual({ kind: 'group-metadata', recordType: 2, group: 'g', tombstone: true, value: undefined });
    const value = encodeGroupMetadataValue(group('consumer', subscription, assignment), 4);
    const future = Buffer.from(value);
    future.writeInt16BE(5, 0);
    expectSkipped(decodeOffsetsRecord(key, future), 'UNKNOWN_VALUE_VERSION', 2);
    for (let length = 0; length < value.length; length++) {
      expectSkipped(decodeOffsetsRecord(key, value.subarray(0, length)), 'CORRUPT_VALUE', 2);
    }
    expectSkipped(decodeOffsetsRecord(key, Buffer.concat([value, Buffer.from([0])])), 'CORRUPT_VALUE', 2);
    expectSkipped(decodeOffsetsRecord(Buffer.concat([key, Buffer.from([0])]), value), 'CORRUPT_KEY', 2);
  });

  it('does not keep the fetch buffer alive through decoded bytes', () => {
    // Large enough not to come from Node's shared 8 KiB pool, like a real fetch response.
    const fetchBuffer = Buffer.concat([Buffer.alloc(64 * 1024), encodeGroupMetadataValue(group('consumer', subscription, assignment), 3)]);
    const record = decodeOffsetsRecord(encodeGroupMetadataKey('g'), fetchBuffer.subarray(64 * 1024));
    if (record.kind !== 'group-metadata' || record.tombstone) throw new Error('expected live group metadata');
    const member = record.value.members[0];
    expect(member?.subscriptionBytes.buffer).not.toBe(fetchBuffer.buffer);
    expect(member?.assignmentBytes.buffer).not.toBe(fetchBuffer.buffer);
  });
});
