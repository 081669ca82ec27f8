import { describe, expect, it } from 'vitest';
import {
  decodeOffsetsRecord,
  encodeGroupMetadataKey,
  encodeGroupRecordKey,
  encodeOffsetCommitKey,
  groupKeyMatcher,
  peekOffsetsRecordKey,
  readRecordType,
} from '../../../../lambdas/core/offsets-records/index.ts';
import { keyOf, recordVectors } from './vectors.ts';

describe('readRecordType', () => {
  it('reads the int16 type, or null when the key is too short', () => {
    expect(readRecordType(Buffer.from('0017', 'hex'))).toBe(23);
    expect(readRecordType(Buffer.from('ffff', 'hex'))).toBe(-1);
    expect(readRecordType(Buffer.from('00', 'hex'))).toBeNull();
  });
});

describe('peekOffsetsRecordKey', () => {
  it('agrees with the full decoder on the group of every vector', () => {
    for (const vector of recordVectors) {
      const record = decodeOffsetsRecord(keyOf(vector), null);
      expect(record.kind).not.toBe('skipped');
      expect(peekOffsetsRecordKey(keyOf(vector))).toEqual({ recordType: vector.expect['keyVersion'], group: vector.expect['group'] });
    }
  });

  it('returns null for unknown, negative, empty and truncated keys', () => {
    expect(peekOffsetsRecordKey(Buffer.alloc(0))).toBeNull();
    expect(peekOffsetsRecordKey(Buffer.from('0001', 'hex'))).toBeNull();
    expect(peekOffsetsRecordKey(Buffer.from('000900016700', 'hex'))).toBeNull();
    expect(peekOffsetsRecordKey(Buffer.from('ffff00016700', 'hex'))).toBeNull();
    expect(peekOffsetsRecordKey(Buffer.from('00010005676767', 'hex'))).toBeNull();
    expect(peekOffsetsRecordKey(Buffer.from('0001ffff', 'hex'))).toBeNull();
  });
});

describe('groupKeyMatcher', () => {
  const matches = groupKeyMatcher('orders-service');

  it('matches every record type of the group and nothing else', () => {
    expect(matches(encodeOffsetCommitKey({ group: 'orders-service', topic: 't', partition: 1 }))).toBe(true);
    expect(matches(encodeOffsetCommitKey({ group: 'orders-service', topic: 't', partition: 1 }, 0))).toBe(true);
    expect(matches(encodeGroupMetadataKey('orders-service'))).toBe(true);
    expect(matches(encodeGroupRecordKey(5, 'orders-service', { memberId: 'm' }))).toBe(true);
    expect(matches(encodeOffsetCommitKey({ group: 'orders-servic', topic: 'et', partition: 1 }))).toBe(false);
    expect(matches(encodeOffsetCommitKey({ group: 'orders-service2', topic: 't', partition: 1 }))).toBe(false);
    expect(matches(encodeGroupMetadataKey('Orders-service'))).toBe(false);
  });

  it('does not match unknown types or keys cut inside the group', () => {
    const key = encodeGroupMetadataKey('orders-service');
    const unknown = Buffer.from(key);
    unknown.writeInt16BE(9, 0);
    expect(matches(unknown)).toBe(false);
    for (let length = 0; length < key.length; length++) expect(matches(key.subarray(0, length))).toBe(false);
  });

  it('compares UTF-8 bytes, so non-ASCII groups match exactly', () => {
    for (const vector of recordVectors) {
      const group = vector.expect['group'] as string;
      expect(groupKeyMatcher(group)(keyOf(vector))).toBe(true);
      expect(groupKeyMatcher(`${group}x`)(keyOf(vector))).toBe(false);
    }
  });

  it('matches nothing for a group too long for any key', () => {
    expect(groupKeyMatcher('g'.repeat(40_000))(encodeGroupMetadataKey('g'))).toBe(false);
  });
});
