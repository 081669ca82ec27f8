import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOffsetsRecord, encodeOffsetCommitKey, encodeOffsetCommitValue, offsetCommitValueProblem } from '../../../../lambdas/core/offsets-records/index.ts';

/** What decodeOffsetsRecord says about a value under a key of this record type: null when it decodes. */
function decoderVerdict(recordType: 0 | 1, value: Buffer): string | null {
  const record = decodeOffsetsRecord(encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 0 }, recordType), value);
  return record.kind === 'skipped' ? record.reason : null;
}

const wellFormed = fc
  .record({
    version: fc.integer({ min: 0, max: 4 }),
    offset: fc.bigInt({ min: -1n, max: 2n ** 62n }),
    metadata: fc.string({ maxLength: 20 }),
    topicId: fc.option(fc.uuid({ version: 4 }), { nil: null }),
  })
  .map(({ version, offset, metadata, topicId }) =>
    encodeOffsetCommitValue({ offset, metadata, commitTimestamp: 1_700_000_000_000n, leaderEpoch: 3, ...(version === 4 ? { topicId } : {}) }, version),
  );

/** Well-formed values, cut, extended, or with a byte changed. */
const damaged = fc.oneof(
  wellFormed,
  fc.tuple(wellFormed, fc.nat()).map(([value, cut]) => value.subarray(0, cut % (value.length + 1))),
  fc.tuple(wellFormed, fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([value, extra]) => Buffer.concat([value, extra])),
  fc.tuple(wellFormed, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([value, at, byte]) => {
    const copy = Buffer.from(value);
    if (copy.length > 0) copy[at % copy.length] = byte;
    return copy;
  }),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
);

describe('offsetCommitValueProblem', () => {
  it('agrees with the decoder on every value, whole or damaged, under both key types', () => {
    fc.assert(
      fc.property(damaged, fc.constantFrom<0 | 1>(0, 1), fc.integer({ min: 0, max: 7 }), (value, recordType, padding) => {
        // Placed inside a larger buffer, as values sit inside a batch.
        const data = Buffer.concat([Buffer.alloc(padding, 0xee), value, Buffer.alloc(3, 0xee)]);
        expect(offsetCommitValueProblem(data, padding, value.length, recordType)).toBe(decoderVerdict(recordType, value));
      }),
      { numRuns: 3000 },
    );
  });
});
