import { describe, expect, it } from 'vitest';
import { decodeOffsetsRecord, offsetsRecordToJson } from '../../../../lambdas/core/offsets-records/index.ts';
import { keyOf, recordVectors, valueOf } from './vectors.ts';

function vector(name: string): { key: Buffer; value: Buffer | null } {
  const found = recordVectors.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no vector ${name}`);
  return { key: keyOf(found), value: valueOf(found) };
}

describe('offsetsRecordToJson', () => {
  it('writes int64 as decimal strings and survives JSON.stringify', () => {
    const { key, value } = vector('offset-near-int64-max');
    const json = offsetsRecordToJson(decodeOffsetsRecord(key, value));
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json['value']).toMatchObject({ offset: '9223372036854775806', commitTimestamp: '1700000007000', expireTimestamp: '-1', topicId: null });
  });

  it('writes bytes as hex and tagged fields as [tag, hex]', () => {
    const { key, value } = vector('group-value-v4-flexible');
    const json = offsetsRecordToJson(decodeOffsetsRecord(key, value));
    expect(json['value']).toMatchObject({
      currentStateTimestamp: '1760000000000',
      unknownTaggedFields: [[9, '00']],
      members: [{ subscription: { userData: 'cafe', topics: ['orders', 'refunds'] }, assignment: { userData: null } }],
    });
    const member = (json['value'] as { members: Array<Record<string, unknown>> }).members[0];
    expect(member?.['subscriptionBytes']).toMatch(/^0003/);
  });

  it('leaves out the value of a tombstone', () => {
    const { key } = vector('offset-tombstone');
    expect(offsetsRecordToJson(decodeOffsetsRecord(key, null))).toEqual({
      kind: 'offset-commit',
      recordType: 1,
      group: 'orders-service',
      topic: 'orders',
      partition: 7,
      tombstone: true,
    });
  });
});
