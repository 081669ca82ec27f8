/**
 * The replay finds offset keys by their bytes in the record section; a lookup must answer
 * exactly what a Map of the same byte strings answers, wherever the bytes sit in a buffer and
 * however the table grew, and each key's payload must be its own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteKeyTable, hashWords } from '../../../../lambdas/core/replay/byte-key-table.ts';
import { encodeOffsetCommitKey } from '../../../../lambdas/core/offsets-records/index.ts';

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
      fc.property(fc.array(keyArb, { maxLength: 300 }), fc.array(keyArb, { maxLength: 100 }), fc.nat(7), fc.constantFrom(0, 2, 20), (added, probes, padding, payloadInts) => {
        const table = new ByteKeyTable(payloadInts);
        const reference = new Map<string, number>();
        for (const key of added) {
          const text = Buffer.from(key).toString('latin1');
          if (reference.has(text)) continue;
          const payload = table.add(key, 0, key.length);
          expect(table.idOf(payload)).toBe(reference.size);
          reference.set(text, payload);
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

  it('keeps what is written in each payload apart from the other keys and the key bytes, through growth (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 300, selector: (key) => Buffer.from(key).toString('latin1') }), (keys) => {
        const table = new ByteKeyTable(4);
        const payloads: number[] = [];
        for (const [i, key] of keys.entries()) {
          const payload = table.add(key, 0, key.length);
          payloads.push(payload);
          // Written right after adding, before later keys make the table grow.
          for (let w = 0; w < 4; w++) table.ints[payload + w] = i * 4 + w;
          table.floats[payload >> 1] = i + 0.5;
        }
        keys.forEach((key, i) => {
          const payload = table.find(viewOf(key), 0, key.length);
          expect(payload).toBe(payloads[i]);
          expect(payload % 2).toBe(0);
          expect(table.floats[payload >> 1]).toBe(i + 0.5);
          expect(table.ints[payload + 2]).toBe(i * 4 + 2);
          expect(table.ints[payload + 3]).toBe(i * 4 + 3);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('tells apart keys that differ in one byte or only in length', () => {
    const table = new ByteKeyTable(0);
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
    const table = new ByteKeyTable(2);
    const key = Buffer.alloc(12);
    for (let i = 0; i < 100_000; i++) {
      key.writeInt32BE(i, 8);
      expect(table.idOf(table.add(key, 0, 12))).toBe(i);
    }
    for (let i = 0; i < 100_000; i += 997) {
      key.writeInt32BE(i, 8);
      expect(table.idOf(table.find(viewOf(key), 0, 12))).toBe(i);
    }
    key.writeInt32BE(100_000, 8);
    expect(table.find(viewOf(key), 0, 12)).toBe(-1);
  });

  it('spreads offset keys that differ in a few bytes across the whole hash range', () => {
    // Short groups and the partition land in the top bytes of words of one lane; a hash whose
    // steps only multiply let such differences cancel (group "g10", partition 31 collided with
    // "g40", partition 0, by the thousand in this set).
    const shapes: Array<Array<{ group: string; topic: string; partition: number }>> = [
      Array.from({ length: 100_000 }, (_, i) => ({ group: `g${Math.floor(i / 50)}`, topic: 'a', partition: i % 50 })),
      Array.from({ length: 100_000 }, (_, i) => ({ group: 'g', topic: 't', partition: i })),
      Array.from({ length: 90_000 }, (_, i) => ({ group: 'a', topic: `topic${Math.floor(i / 300)}`, partition: (i % 300) * 65536 })),
    ];
    for (const keys of shapes) {
      for (const seed of [0, 1, -7, 0x5eed1234]) {
        const hashes = new Set<number>();
        for (const fields of keys) {
          const key = encodeOffsetCommitKey(fields);
          hashes.add(hashWords(viewOf(key), 2, key.length, seed));
        }
        // A random 32-bit function gives about one collision in 100,000 keys.
        expect(keys.length - hashes.size).toBeLessThan(20);
      }
    }
  });
});
