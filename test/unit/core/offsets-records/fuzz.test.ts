import { describe, expect, it } from 'vitest';
import { decodeOffsetsRecord, peekOffsetsRecordKey, type OffsetsRecord } from '../../../../lambdas/core/offsets-records/index.ts';
import { randomBytes, randomInt, seededRandom } from './random.ts';
import { keyOf, recordVectors, valueOf } from './vectors.ts';

const KINDS = new Set(['offset-commit', 'group-metadata', 'group-record', 'skipped']);

function decodeBoth(key: Buffer, value: Buffer | null): OffsetsRecord {
  let record: OffsetsRecord | undefined;
  expect(() => {
    record = decodeOffsetsRecord(key, value, { decodeGroupRecordValues: true });
    peekOffsetsRecordKey(key);
  }).not.toThrow();
  expect(KINDS.has((record as OffsetsRecord).kind)).toBe(true);
  return record as OffsetsRecord;
}

describe('decodeOffsetsRecord never throws', () => {
  it('on random keys and values (seed 2025)', () => {
    const random = seededRandom(2025);
    for (let i = 0; i < 5000; i++) {
      const key = randomBytes(random, randomInt(random, 0, 40));
      // Steer half of the keys to known record types so the value decoders get exercised.
      if (key.length >= 2 && random() < 0.5) key.writeInt16BE(randomInt(random, -2, 24), 0);
      const value = random() < 0.1 ? null : randomBytes(random, randomInt(random, 0, 80));
      if (value !== null && value.length >= 2 && random() < 0.5) value.writeInt16BE(randomInt(random, -1, 5), 0);
      decodeBoth(key, value);
    }
  });

  it('on every truncation of every vector', () => {
    for (const vector of recordVectors) {
      const key = keyOf(vector);
      const value = valueOf(vector);
      for (let length = 0; length < key.length; length++) {
        expect(decodeBoth(key.subarray(0, length), value).kind, `${vector.name} key[0..${length})`).toBe('skipped');
      }
      if (value === null) continue;
      for (let length = 0; length < value.length; length++) {
        expect(decodeBoth(key, value.subarray(0, length)).kind, `${vector.name} value[0..${length})`).toBe('skipped');
      }
    }
  });

  it('on vectors with random bytes overwritten (seed 932)', () => {
    const random = seededRandom(932);
    for (const vector of recordVectors) {
      const value = valueOf(vector);
      if (value === null) continue;
      for (let i = 0; i < 200; i++) {
        const mutated = Buffer.from(value);
        mutated[randomInt(random, 0, mutated.length - 1)] = randomInt(random, 0, 255);
        const key = Buffer.from(keyOf(vector));
        if (random() < 0.3) key[randomInt(random, 0, key.length - 1)] = randomInt(random, 0, 255);
        decodeBoth(key, mutated);
      }
    }
  });

  it('on huge declared lengths and counts', () => {
    const key = Buffer.from('00020001' + '67', 'hex');
    const hugeArray = Buffer.from('0003' + '0001' + '63' + '00000001' + 'ffff' + 'ffff' + '0000000000000000' + '7fffffff', 'hex');
    expect(decodeBoth(key, hugeArray)).toMatchObject({ kind: 'skipped', reason: 'CORRUPT_VALUE' });
    const hugeVarint = Buffer.from('0004' + '0000000000000001' + '00000000' + 'ffffffff0f', 'hex');
    expect(decodeBoth(Buffer.from('0001000167000174' + '00000000', 'hex'), hugeVarint)).toMatchObject({ kind: 'skipped', reason: 'CORRUPT_VALUE' });
    const tooLongVarint = Buffer.from('0004' + '0000000000000001' + '00000000' + 'ffffffffffff01', 'hex');
    expect(decodeBoth(Buffer.from('0001000167000174' + '00000000', 'hex'), tooLongVarint)).toMatchObject({ kind: 'skipped', reason: 'CORRUPT_VALUE' });
  });
});
