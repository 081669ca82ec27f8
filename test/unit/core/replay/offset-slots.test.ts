/**
 * Offset slots keep each key's winning value as bytes in one shared, growing arena. Whatever
 * order values of whatever lengths land in, each slot must give back exactly its last value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeWinning, eventLogOffset, eventTimestamp, OffsetSlots } from '../../../../lambdas/core/replay/offset-slots.ts';
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

  it('keeps each slot\'s event exactly, 64-bit log offsets and timestamps included, whether written whole or by the hot path (property)', () => {
    const eventArb = fc.record({
      slot: fc.nat(9),
      logBase: fc.oneof(fc.bigInt(0n, 2n ** 63n - 1n), fc.bigInt(0n, 2n ** 33n), fc.constant(-1n)),
      logDelta: fc.nat(0x7fffffff),
      timestamp: fc.oneof(fc.bigInt(-(2n ** 53n) + 1n, 2n ** 53n - 1n), fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n)),
      recordType: fc.constantFrom(0, 1),
      value: fc.option(fc.uint8Array({ maxLength: 60 }), { nil: null }),
      hotPath: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
        const table = new OffsetSlots();
        const slots = Array.from({ length: 10 }, (_, i) => table.create(`key-${i}`, 'g', 't', i));
        const model = new Map<number, (typeof events)[number]>();
        for (const event of events) {
          const slot = slots[event.slot]!;
          const ms = Number(event.timestamp);
          const exact = Number.isSafeInteger(ms) ? null : event.timestamp;
          if (event.hotPath && event.logBase >= 0n) {
            const high = Number(BigInt.asIntN(32, event.logBase >> 32n));
            const low = Number(BigInt.asIntN(32, event.logBase));
            if (event.value === null) {
              slot.recordType = event.recordType;
              table.tombstone(slot.payload, high, low, event.logDelta, ms, exact);
            } else {
              const section = Buffer.concat([Buffer.from([1, 2, 3]), event.value]);
              table.commit(slot.payload, new DataView(section.buffer, section.byteOffset, section.length), 3, event.value.length, event.recordType, high, low, event.logDelta, ms, exact);
            }
          } else {
            slot.take({
              value: event.value === null ? null : Buffer.from(event.value).toString('latin1'),
              recordType: event.recordType,
              logBase: event.logBase,
              logDelta: event.logDelta,
              timestampMs: ms,
              timestampExact: exact,
            });
          }
          model.set(event.slot, event);
        }
        slots.forEach((slot, i) => {
          const event = model.get(i);
          if (event === undefined) {
            expect(slot.hasEvent).toBe(false);
            expect(slot.live).toBe(false);
            return;
          }
          expect(slot.recordType).toBe(event.recordType);
          expect(slot.logBase).toBe(event.logBase);
          expect(slot.hasEvent).toBe(event.logBase >= 0n);
          expect(eventLogOffset(slot)).toBe(event.logBase + BigInt(event.logDelta));
          expect(eventTimestamp(slot)).toBe(event.timestamp);
          expect(slot.valueBytes()).toEqual(event.value === null ? null : Buffer.from(event.value));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('orders two slots\' events by log offset exactly and copies one onto another whole, beyond 2^53 too (property)', () => {
    const eventArb = fc.record({
      logBase: fc.oneof(fc.bigInt(0n, 2n ** 63n - 1n), fc.bigInt(2n ** 52n - 5n, 2n ** 52n + 5n), fc.bigInt(0n, 1000n)),
      logDelta: fc.oneof(fc.nat(0x7fffffff), fc.nat(3)),
      timestamp: fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
      value: fc.option(fc.uint8Array({ maxLength: 60 }), { nil: null }),
    });
    fc.assert(
      fc.property(eventArb, eventArb, (a, b) => {
        const [slotA, slotB] = [a, b].map((event) => {
          const slot = new OffsetSlots().create('k', 'g', 't', 0);
          const ms = Number(event.timestamp);
          slot.take({
            value: event.value === null ? null : Buffer.from(event.value).toString('latin1'),
            recordType: 1,
            logBase: event.logBase,
            logDelta: event.logDelta,
            timestampMs: ms,
            timestampExact: Number.isSafeInteger(ms) ? null : event.timestamp,
          });
          return slot;
        }) as [ReturnType<OffsetSlots['create']>, ReturnType<OffsetSlots['create']>];
        expect(slotA.isLaterThan(slotB)).toBe(a.logBase + BigInt(a.logDelta) > b.logBase + BigInt(b.logDelta));
        slotA.take(slotB);
        expect(eventLogOffset(slotA)).toBe(b.logBase + BigInt(b.logDelta));
        expect(eventTimestamp(slotA)).toBe(b.timestamp);
        expect(slotA.valueBytes()).toEqual(b.value === null ? null : Buffer.from(b.value));
      }),
      { numRuns: 300 },
    );
  });
});
