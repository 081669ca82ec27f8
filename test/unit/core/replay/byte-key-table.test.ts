/**
 * The replay finds offset keys by their bytes in the record section; a lookup must answer
 * exactly what a Map of the same byte strings answers, wherever the bytes sit in a buffer and
 * however the table grew.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteKeyTable } from '../../../../lambdas/core/replay/byte-key-table.ts';

/** Keys alike in the ways offset keys are: shared prefixes, equal lengths, one byte apart. */
const keyArb = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 70 }),
  fc.tuple(fc.constantFrom('payments-consumer-', 'orders-', ''), fc.nat(3000), fc.nat(40)).map(([prefix, group, partition]) => {
    const bytes = Buffer.from(`${prefix}${group}`, 'latin1');
    const key = Buffer.alloc(bytes.length + 4);
    bytes.copy(key);
    key.writeInt32BE(partition, bytes.length);
    return new Uint8Array(key);
  }),
);

const viewOf = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

describe('ByteKeyTable', () => {
  it('finds exactly the byte strings it was given, at any position of any buffer (property)', () => {
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 300 }), fc.array(keyArb, { maxLength: 100 }), fc.nat(7), (added, probes, padding) => {
        const table = new ByteKeyTable();
        const reference = new Map<string, number>();
        for (const key of added) {
          const text = Buffer.from(key).toString('latin1');
          if (reference.has(text)) continue;
          reference.set(text, table.add(key, 0, key.length));
        }
        expect(table.size).toBe(reference.size);
        for (const key of [...added, ...probes]) {
          // The key inside a larger buffer, after `padding` bytes and before others.
          const haystack = Buffer.alloc(padding + key.length + 3, 0xab);
          haystack.set(key, padding);
          const expected = reference.get(Buffer.from(key).toString('latin1')) ?? -1;
          expect(table.find(viewOf(haystack), padding, padding + key.length)).toBe(expected);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('tells apart keys that differ in one byte or only in length', () => {
    const table = new ByteKeyTable();
    const a = table.add(Buffer.from('group-a\0\0\0\x01', 'latin1'), 0, 11);
    const b = table.add(Buffer.from('group-a\0\0\0\x02', 'latin1'), 0, 11);
    const c = table.add(Buffer.from('group-a\0\0\0', 'latin1'), 0, 10);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(table.find(viewOf(Buffer.from('group-a\0\0\0\x02', 'latin1')), 0, 11)).toBe(b);
    expect(table.find(viewOf(Buffer.from('group-a\0\0\0', 'latin1')), 0, 10)).toBe(c);
    expect(table.find(viewOf(Buffer.from('group-a\0\0\0\x03', 'latin1')), 0, 11)).toBe(-1);
    expect(table.find(viewOf(Buffer.from('group-a\0\0\0\x01\0', 'latin1')), 0, 12)).toBe(-1);
  });

  it('keeps every key through growth to 100,000 keys', () => {
    const table = new ByteKeyTable();
    const key = Buffer.alloc(12);
    for (let i = 0; i < 100_000; i++) {
      key.writeInt32BE(i, 8);
      expect(table.add(key, 0, 12)).toBe(i);
    }
    for (let i = 0; i < 100_000; i += 997) {
      key.writeInt32BE(i, 8);
      expect(table.find(viewOf(key), 0, 12)).toBe(i);
    }
    key.writeInt32BE(100_000, 8);
    expect(table.find(viewOf(key), 0, 12)).toBe(-1);
  });
});
