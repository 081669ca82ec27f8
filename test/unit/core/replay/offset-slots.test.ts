/**
 * Offset slots keep each key's winning value as bytes in one shared, growing arena. Whatever
 * order values of whatever lengths land in, each slot must give back exactly its last value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeWinning, OffsetSlots } from '../../../../lambdas/core/replay/offset-slots.ts';
import { encodeOffsetCommitValue } from '../../../../lambdas/core/offsets-records/index.ts';

type Write = { slot: number; value: Uint8Array | null; asText: boolean; padding: number };

const writeArb: fc.Arbitrary<Write> = fc.record({
  slot: fc.nat(19),
  // Lengths on both sides of a region's first size, and far beyond, so regions move and the arena grows.
  value: fc.option(fc.oneof(fc.uint8Array({ maxLength: 50 }), fc.uint8Array({ minLength: 100, maxLength: 5000 })), { nil: null }),
  asText: fc.boolean(),
  padding: fc.nat(9),
});

describe('OffsetSlots values', () => {
  it('each slot gives back exactly the last value it took, through bytes or text (property)', () => {
    fc.assert(
      fc.property(fc.array(writeArb, { maxLength: 200 }), (writes) => {
        const table = new OffsetSlots();
        const slots = Array.from({ length: 20 }, (_, i) => table.create(`key-${i}`, 'g', 't', i));
        const model: Array<Uint8Array | null> = slots.map(() => null);
        for (const write of writes) {
          const slot = slots[write.slot]!;
          if (write.value === null) slot.value = null;
          else if (write.asText) slot.value = Buffer.from(write.value).toString('latin1');
          else {
            // The value inside a larger record section, as the replay hands it over.
            const section = Buffer.alloc(write.padding + write.value.length + 5, 0xee);
            section.set(write.value, write.padding);
            slot.setValueBytes(section, write.padding, write.value.length);
          }
          model[write.slot] = write.value;
        }
        slots.forEach((slot, i) => {
          const expected = model[i]!;
          expect(slot.live).toBe(expected !== null);
          expect(slot.value).toBe(expected === null ? null : Buffer.from(expected).toString('latin1'));
          expect(slot.valueBytes()).toEqual(expected === null ? null : Buffer.from(expected));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('a slot takes another slot\'s value (a merge) as a copy, not a view that later writes change', () => {
    const from = new OffsetSlots().create('k', 'g', 't', 0);
    const to = new OffsetSlots().create('k', 'g', 't', 0);
    const first = encodeOffsetCommitValue({ offset: 41n, leaderEpoch: 3, metadata: 'm', commitTimestamp: 1000n }, 3);
    from.setValueBytes(first, 0, first.length);
    from.logBase = 7n;
    to.take(from);
    const second = encodeOffsetCommitValue({ offset: 99n, leaderEpoch: 4, metadata: '', commitTimestamp: 2000n }, 3);
    from.setValueBytes(second, 0, second.length);
    expect(decodeWinning(to)).toMatchObject({ offset: 41n, leaderEpoch: 3, metadata: 'm', commitTimestamp: 1000n, logOffset: 7n });
    expect(decodeWinning(from)).toMatchObject({ offset: 99n, leaderEpoch: 4, metadata: '' });
  });
});
