import { describe, expect, it } from 'vitest';
import { decodeOffsetsRecord, encodeOffsetCommitKey, encodeOffsetCommitValue, type OffsetCommitValueInput } from '../../../../lambdas/core/offsets-records/index.ts';
import { coordinatorSchemas, decodeMessage, encodeMessage, type MessageSchema, type MessageValue } from '../../../../lambdas/core/schema/index.ts';
import { randomBytes, randomInt, randomInt64, randomText, seededRandom } from './random.ts';
import { keyOf, recordVectors, valueOf } from './vectors.ts';

/**
 * The offset-commit path is hand-written for speed; these tests hold it to the schema engine
 * reading the same bytes with Kafka's OffsetCommitValue / OffsetCommitKey schemas.
 */

const valueSchema = coordinatorSchemas['OffsetCommitValue'] as MessageSchema;
const legacyValueSchema = coordinatorSchemas['LegacyOffsetCommitValue'] as MessageSchema;
const keySchema = coordinatorSchemas['OffsetCommitKey'] as MessageSchema;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

type Outcome = { ok: true; value: unknown } | { ok: false };

function handWritten(key: Buffer, value: Buffer): Outcome {
  const record = decodeOffsetsRecord(key, value);
  if (record.kind !== 'offset-commit' || record.tombstone) return { ok: false };
  const v = record.value;
  return {
    ok: true,
    value: {
      group: record.group,
      topic: record.topic,
      partition: record.partition,
      offset: v.offset,
      leaderEpoch: v.leaderEpoch,
      metadata: v.metadata,
      commitTimestamp: v.commitTimestamp,
      expireTimestamp: v.expireTimestamp,
      topicId: v.topicId,
      unknownTaggedFields: v.unknownTaggedFields,
    },
  };
}

function schemaDriven(key: Buffer, value: Buffer): Outcome {
  try {
    const keyFields = decodeMessage(keySchema, 0, key.subarray(2));
    const version = value.readInt16BE(0);
    const schema = key.readInt16BE(0) === 0 ? legacyValueSchema : valueSchema;
    const v = decodeMessage<MessageValue>(schema, version, value.subarray(2));
    const topicId = (v['topicId'] as string | undefined) ?? ZERO_UUID;
    return {
      ok: true,
      value: {
        group: keyFields['group'],
        topic: keyFields['topic'],
        partition: keyFields['partition'],
        offset: v['offset'],
        leaderEpoch: v['leaderEpoch'] ?? -1,
        metadata: v['metadata'],
        commitTimestamp: v['commitTimestamp'],
        expireTimestamp: v['expireTimestamp'] ?? -1n,
        // Kafka's default for a UUID is the zero UUID, which means "no topic id".
        topicId: topicId === ZERO_UUID ? null : topicId,
        unknownTaggedFields: (v._unknownTaggedFields ?? []).map(([tag, bytes]) => [tag, Buffer.from(bytes)]),
      },
    };
  } catch {
    return { ok: false };
  }
}

function randomInput(random: () => number): OffsetCommitValueInput {
  const input: OffsetCommitValueInput = {
    offset: randomInt64(random),
    leaderEpoch: randomInt(random, -1, 2147483647),
    metadata: randomText(random, 12),
    commitTimestamp: randomInt64(random),
    expireTimestamp: randomInt64(random),
  };
  if (random() < 0.5) input.topicId = randomBytes(random, 16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
  if (random() < 0.3) input.unknownTaggedFields = [[randomInt(random, 1, 300), randomBytes(random, randomInt(random, 0, 20))]];
  return input;
}

describe('hand-written offset-commit codec vs the schema engine', () => {
  const offsetVectors = recordVectors.filter((vector) => vector.expect['action'] === 'offset' && vector.valueHex !== null);

  it('agrees on every offset vector', () => {
    expect(offsetVectors.length).toBeGreaterThanOrEqual(10);
    for (const vector of offsetVectors) {
      const outcome = handWritten(keyOf(vector), valueOf(vector) as Buffer);
      expect(outcome.ok, vector.name).toBe(true);
      expect(outcome, vector.name).toEqual(schemaDriven(keyOf(vector), valueOf(vector) as Buffer));
    }
  });

  it('encodes the same bytes as the schema engine for random values of every version (seed 848)', () => {
    const random = seededRandom(848);
    for (let i = 0; i < 500; i++) {
      const input = randomInput(random);
      const version = randomInt(random, 0, 4);
      const ours = encodeOffsetCommitValue(input, version);
      const engine = encodeMessage(valueSchema, version, {
        ...input,
        topicId: input.topicId ?? ZERO_UUID,
        _unknownTaggedFields: input.unknownTaggedFields ?? [],
      });
      expect(ours.subarray(2).toString('hex'), `value ${i} v${version}`).toBe(engine.toString('hex'));
      expect(ours.readInt16BE(0)).toBe(version);
      const key = encodeOffsetCommitKey({ group: randomText(random, 8), topic: randomText(random, 8), partition: randomInt(random, 0, 1000) });
      expect(key.subarray(2).toString('hex')).toBe(encodeMessage(keySchema, 0, handWrittenKeyFields(key)).toString('hex'));
      expect(handWritten(key, ours)).toEqual(schemaDriven(key, ours));
    }
  });

  it('accepts and rejects exactly what the schema engine does on mutated bytes (seed 1071)', () => {
    const random = seededRandom(1071);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const key = encodeOffsetCommitKey({ group: randomText(random, 6), topic: randomText(random, 6), partition: randomInt(random, 0, 9) }, random() < 0.2 ? 0 : 1);
      const value = Buffer.from(encodeOffsetCommitValue(randomInput(random), randomInt(random, 0, 4)));
      const mutated = mutate(random, value);
      const ours = handWritten(key, mutated);
      expect(ours, `mutation ${i}: ${mutated.toString('hex')}`).toEqual(schemaDriven(key, mutated));
      if (ours.ok) accepted++;
      else rejected++;
    }
    // Both outcomes must occur, or the comparison proves little.
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });
});

function handWrittenKeyFields(key: Buffer): MessageValue {
  const record = decodeOffsetsRecord(key, null);
  if (record.kind !== 'offset-commit') throw new Error('key did not decode');
  return { group: record.group, topic: record.topic, partition: record.partition };
}

function mutate(random: () => number, value: Buffer): Buffer {
  const choice = randomInt(random, 0, 3);
  if (choice === 0) return value.subarray(0, randomInt(random, 2, value.length));
  if (choice === 1) return Buffer.concat([value, randomBytes(random, randomInt(random, 1, 4))]);
  const copy = Buffer.from(value);
  const flips = randomInt(random, 1, 3);
  for (let i = 0; i < flips; i++) {
    // Keep the version mostly valid so the mutation reaches the body.
    const at = randomInt(random, 2, copy.length - 1);
    copy[at] = choice === 2 ? Math.floor(random() * 256) : (copy[at] as number) ^ 0x80;
  }
  return copy;
}
