import { describe, expect, it } from 'vitest';
import { javaStringHashCode, kafkaAbs, partitionForGroup } from '../../../lambdas/core/hash.ts';
import { RecoveryError } from '../../../lambdas/core/errors.ts';
import { loadVectors } from '../../support/shared-schemas.ts';

interface HashVector {
  groupId: string;
  utf16CodeUnits: string[];
  javaHashCode: number;
  isIntegerMinValue: boolean;
  utilsAbs: number;
  partitionFor: Record<string, number>;
  wrongAnswersANaiveImplementationGives?: Record<string, number>;
}

const hashVectors = loadVectors().hashVectors as unknown as HashVector[];

describe('javaStringHashCode / kafkaAbs / partitionForGroup against vectors.json', () => {
  it('has vectors to check', () => {
    expect(hashVectors.length).toBeGreaterThanOrEqual(10);
  });

  for (const vector of hashVectors) {
    describe(JSON.stringify(vector.groupId), () => {
      it('sees the same UTF-16 code units as Java', () => {
        const units = Array.from({ length: vector.groupId.length }, (_, i) =>
          vector.groupId.charCodeAt(i).toString(16).padStart(4, '0'),
        );
        expect(units).toEqual(vector.utf16CodeUnits);
      });

      it('hashes like java.lang.String.hashCode', () => {
        expect(javaStringHashCode(vector.groupId)).toBe(vector.javaHashCode);
        expect(javaStringHashCode(vector.groupId) === -2147483648).toBe(vector.isIntegerMinValue);
      });

      it('applies Utils.abs', () => {
        expect(kafkaAbs(vector.javaHashCode)).toBe(vector.utilsAbs);
      });

      it('maps to the expected partition for every partition count', () => {
        const counts = Object.keys(vector.partitionFor);
        expect(counts.length).toBeGreaterThan(0);
        for (const count of counts) {
          expect(partitionForGroup(vector.groupId, Number(count))).toBe(vector.partitionFor[count]);
        }
      });

      const wrong = vector.wrongAnswersANaiveImplementationGives;
      if (wrong !== undefined) {
        it('does not give the known wrong answers', () => {
          for (const [kind, value] of Object.entries(wrong)) {
            if (kind.startsWith('hashOverCodePoints')) {
              expect(javaStringHashCode(vector.groupId)).not.toBe(value);
            } else {
              expect(kind).toMatch(/Modulo50$/);
              expect(partitionForGroup(vector.groupId, 50)).not.toBe(value);
            }
          }
        });
      }
    });
  }
});

describe('hash edge cases', () => {
  it('hashes the empty string to 0 and maps it to partition 0', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(partitionForGroup('', 50)).toBe(0);
  });

  it('maps Integer.MIN_VALUE to 0, not to a negative or overflowed value', () => {
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0);
    expect(partitionForGroup('polygenelubricants', 7)).toBe(0);
  });

  it('takes the absolute value of negative hashes before the modulo', () => {
    expect(javaStringHashCode('my-group')).toBeLessThan(0);
    expect(kafkaAbs(-5)).toBe(5);
    expect(partitionForGroup('my-group', 50)).toBe(12);
  });

  it('hashes a surrogate pair as two UTF-16 code units', () => {
    const grinning = '\u{1F600}';
    expect(grinning.length).toBe(2);
    expect(javaStringHashCode(grinning)).toBe(0xd83d * 31 + 0xde00);
  });

  it('wraps like int32 on long strings', () => {
    const long = 'x'.repeat(10_000);
    const hash = javaStringHashCode(long);
    expect(Number.isInteger(hash)).toBe(true);
    expect(hash).toBeGreaterThanOrEqual(-2147483648);
    expect(hash).toBeLessThanOrEqual(2147483647);
    let reference = 0n;
    for (let i = 0; i < long.length; i++) reference = BigInt.asIntN(32, reference * 31n + BigInt(long.charCodeAt(i)));
    expect(hash).toBe(Number(reference));
  });

  it('always lands inside [0, partitionCount)', () => {
    for (const group of ['a', 'polygenelubricants', 'zz-top', '\u0000', 'group-\u{1F680}']) {
      for (const count of [1, 2, 3, 50, 51, 200]) {
        const partition = partitionForGroup(group, count);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(count);
      }
    }
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects partitionCount %s naming the field', (count) => {
    let error: unknown;
    try {
      partitionForGroup('g', count);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RecoveryError);
    expect((error as RecoveryError).code).toBe('INVALID_INPUT');
    expect((error as RecoveryError).message).toContain('partitionCount');
  });
});
