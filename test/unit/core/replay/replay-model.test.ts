/**
 * The replay against a reference model written here in the plainest terms: random logs of
 * commits, tombstones, transactions (committed, aborted, left open), group metadata and
 * compaction gaps, in every codec, must end in the same offsets the model computes.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../../lambdas/core/record-batch/index.ts';
import type { RecordToEncode } from '../../../../lambdas/core/record-batch/index.ts';
import { zstdCompressor } from '../../../support/zstd.ts';
import { LogBuilder, T0, commit, groupMetadata, groupMetadataTombstone, offsetsByGroup, replay, tombstone } from './log-builder.ts';

type Key = { group: string; partition: number };
type Op =
  | { kind: 'commits'; entries: (Key & { offset: number })[]; codec: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' }
  | { kind: 'tombstone'; key: Key }
  | { kind: 'txn'; producer: number; entries: (Key & { offset: number })[] }
  | { kind: 'marker'; producer: number; commit: boolean }
  | { kind: 'gap'; count: number }
  | { kind: 'metadata'; group: string; generation: number | null };

const keyArb = fc.record({ group: fc.constantFrom('g1', 'g2'), partition: fc.integer({ min: 0, max: 1 }) });
const entryArb = fc.record({ group: fc.constantFrom('g1', 'g2'), partition: fc.integer({ min: 0, max: 1 }), offset: fc.integer({ min: 0, max: 1_000_000 }) });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('commits' as const), entries: fc.array(entryArb, { minLength: 1, maxLength: 3 }), codec: fc.constantFrom('none' as const, 'gzip' as const, 'snappy' as const, 'lz4' as const, 'zstd' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tombstone' as const), key: keyArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('txn' as const), producer: fc.integer({ min: 1, max: 2 }), entries: fc.array(entryArb, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('marker' as const), producer: fc.integer({ min: 1, max: 2 }), commit: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gap' as const), count: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('metadata' as const), group: fc.constantFrom('g1', 'g2'), generation: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }) }) },
);

interface Held {
  offset: number;
  logOffset: bigint;
}

/** What Kafka's read_committed load would hold, computed record by record. */
class ReferenceModel {
  readonly held = new Map<string, Held>();
  readonly pending = new Map<number, { key: string; entry: Held }[]>();
  readonly metadata = new Map<string, number | null>();

  constructor(private readonly sinceMs: number) {}

  commit(key: string, entry: Held, timestampMs: number): void {
    if (timestampMs < this.sinceMs) return;
    const current = this.held.get(key);
    if (current === undefined || current.logOffset < entry.logOffset) this.held.set(key, entry);
  }

  txnCommit(producer: number, key: string, entry: Held, timestampMs: number): void {
    if (timestampMs < this.sinceMs) return;
    this.pending.set(producer, [...(this.pending.get(producer) ?? []), { key, entry }]);
  }

  tombstone(key: string): void {
    this.held.delete(key);
    for (const [producer, list] of this.pending) this.pending.set(producer, list.filter((p) => p.key !== key));
  }

  marker(producer: number, commit: boolean): void {
    const list = this.pending.get(producer) ?? [];
    this.pending.delete(producer);
    if (!commit) return;
    for (const { key, entry } of list) {
      const current = this.held.get(key);
      if (current === undefined || current.logOffset < entry.logOffset) this.held.set(key, entry);
    }
  }

  byGroup(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [key, entry] of [...this.held].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const [group, partition] = key.split('/');
      (out[group!] ??= {})[`t/${partition}`] = String(entry.offset);
    }
    return out;
  }
}

let zstd: (records: Buffer) => Buffer;
beforeAll(async () => {
  zstd = await zstdCompressor();
});

function build(ops: Op[], sinceMs: number): { log: Buffer; model: ReferenceModel } {
  const log = new LogBuilder();
  const model = new ReferenceModel(sinceMs);
  ops.forEach((op, index) => {
    const timestamp = T0 + BigInt(index) * 1000n;
    const ms = Number(timestamp);
    const keyOf = (k: Key): string => `${k.group}/${k.partition}`;
    switch (op.kind) {
      case 'commits': {
        const records: RecordToEncode[] = op.entries.map((e) => commit(e.group, 't', e.partition, BigInt(e.offset), { timestamp }));
        const base = log.nextOffset;
        const frame = encodeRecordBatch({ baseOffset: base, records, compression: op.codec, ...(op.codec === 'zstd' ? { compress: zstd } : {}) });
        log.frames.push(frame);
        log.nextOffset = base + BigInt(records.length);
        op.entries.forEach((e, i) => model.commit(keyOf(e), { offset: e.offset, logOffset: base + BigInt(i) }, ms));
        return;
      }
      case 'tombstone':
        log.plain([tombstone(op.key.group, 't', op.key.partition, timestamp)]);
        model.tombstone(keyOf(op.key));
        return;
      case 'txn': {
        const base = log.transactional(BigInt(op.producer), op.entries.map((e) => commit(e.group, 't', e.partition, BigInt(e.offset), { timestamp })));
        op.entries.forEach((e, i) => model.txnCommit(op.producer, keyOf(e), { offset: e.offset, logOffset: base + BigInt(i) }, ms));
        return;
      }
      case 'marker':
        log.marker(BigInt(op.producer), op.commit ? 'COMMIT' : 'ABORT', timestamp);
        model.marker(op.producer, op.commit);
        return;
      case 'gap':
        log.gap(BigInt(op.count));
        return;
      case 'metadata':
        log.plain([op.generation === null ? groupMetadataTombstone(op.group, timestamp) : groupMetadata(op.group, op.generation, timestamp)]);
        model.metadata.set(op.group, op.generation);
        return;
    }
  });
  return { log: log.buffer(), model };
}

describe('OffsetsLogReplay against a reference model (property)', () => {
  it('ends in the model\'s offsets and group metadata for any log, window and group filter', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }), fc.constantFrom(undefined, 'g1'), (ops, sinceIndex, group) => {
        const sinceMs = sinceIndex === null ? -Infinity : Number(T0) + sinceIndex * 1000;
        const { log, model } = build(ops, sinceMs);
        const result = replay(log, { ...(sinceIndex === null ? {} : { since: sinceMs }), ...(group === undefined ? {} : { group }) });
        const expected = model.byGroup();
        if (group !== undefined) for (const g of Object.keys(expected)) if (g !== group) delete expected[g];
        expect(offsetsByGroup(result)).toEqual(expected);
        for (const g of group === undefined ? ['g1', 'g2'] : [group]) {
          const generation = model.metadata.get(g);
          expect(result.groupMetadata(g)?.value.generation ?? null).toBe(generation ?? null);
          expect(result.groupDeletion(g) !== null).toBe(generation === null);
        }
      }),
      {
        numRuns: 1000,
        // Always among the runs: a tombstone between a transactional commit and its COMMIT marker.
        examples: [[[{ kind: 'txn', producer: 1, entries: [{ group: 'g1', partition: 0, offset: 5 }] }, { kind: 'tombstone', key: { group: 'g1', partition: 0 } }, { kind: 'marker', producer: 1, commit: true }], null, undefined]],
      },
    );
  });
});
