/**
 * Random `__consumer_offsets` logs for property tests (fast-check): plain commits, tombstones,
 * group metadata and its deletion, transactional commits of a few producers closed by COMMIT
 * or ABORT markers (or left open), compaction gaps between and inside batches, commit times on
 * both sides of a `since`. Few keys, so that records fight over them.
 */
import fc from 'fast-check';
import type { RecordToEncode } from '../../../../lambdas/core/record-batch/index.ts';
import { commit, groupMetadata, groupMetadataTombstone, LogBuilder, T0, tombstone } from './log-builder.ts';

export const GROUPS = ['g0', 'g1', 'g2'] as const;
export const SINCE = T0 + 50n;

const key = fc.record({ group: fc.constantFrom(...GROUPS), topic: fc.constantFrom('t0', 't1'), partition: fc.integer({ min: 0, max: 2 }) });
const time = fc.bigInt({ min: T0, max: T0 + 100n });

const dataRecord: fc.Arbitrary<RecordToEncode> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(key, fc.bigInt({ min: 0n, max: 1000n }), time).map(([k, offset, ts]) => commit(k.group, k.topic, k.partition, offset, { timestamp: ts })) },
  { weight: 2, arbitrary: fc.tuple(key, time).map(([k, ts]) => tombstone(k.group, k.topic, k.partition, ts)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...GROUPS), fc.integer({ min: 1, max: 50 }), time).map(([g, generation, ts]) => groupMetadata(g, generation, ts)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...GROUPS), time).map(([g, ts]) => groupMetadataTombstone(g, ts)) },
);

const txnRecord: fc.Arbitrary<RecordToEncode> = fc
  .tuple(key, fc.bigInt({ min: 0n, max: 1000n }), time)
  .map(([k, offset, ts]) => commit(k.group, k.topic, k.partition, offset, { timestamp: ts }));

/** Offset deltas with holes (compaction removed records) for `count` records. */
const deltas = (count: number) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: count, maxLength: count });

type Step =
  | { kind: 'plain'; records: RecordToEncode[]; steps: number[]; tail: number }
  | { kind: 'txn'; producerId: bigint; records: RecordToEncode[] }
  | { kind: 'marker'; producerId: bigint; type: 'COMMIT' | 'ABORT' }
  | { kind: 'gap'; count: bigint };

const producer = fc.bigInt({ min: 1n, max: 3n });

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(dataRecord, { minLength: 1, maxLength: 5 })
      .chain((records) => fc.record({ kind: fc.constant('plain' as const), records: fc.constant(records), steps: deltas(records.length), tail: fc.integer({ min: 0, max: 2 }) })),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('txn' as const), producerId: producer, records: fc.array(txnRecord, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('marker' as const), producerId: producer, type: fc.constantFrom('COMMIT' as const, 'ABORT' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('gap' as const), count: fc.bigInt({ min: 1n, max: 5n }) }) },
);

export interface RandomLog {
  frames: Buffer[];
  end: bigint;
}

export const randomLog: fc.Arbitrary<RandomLog> = fc.array(step, { minLength: 1, maxLength: 40 }).map((steps) => {
  const log = new LogBuilder();
  for (const s of steps) {
    switch (s.kind) {
      case 'plain': {
        // The first record keeps delta 0 (a batch's base offset is its first record's); holes after it.
        let delta = 0;
        const records = s.records.map((record, i) => {
          if (i > 0) delta += s.steps[i]!;
          return { ...record, offsetDelta: delta };
        });
        log.plain(records, { lastOffsetDelta: delta + s.tail });
        break;
      }
      case 'txn':
        log.transactional(s.producerId, s.records);
        break;
      case 'marker':
        log.marker(s.producerId, s.type);
        break;
      case 'gap':
        log.gap(s.count);
        break;
    }
  }
  return { frames: log.frames, end: log.nextOffset };
});
