import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatches } from '../../../../lambdas/core/record-batch/index.ts';
import { OffsetsLogReplay, replayCheckpoint, restoreReplay } from '../../../../lambdas/core/replay/index.ts';
import type { ReplayCheckpoint, ReplayOptions } from '../../../../lambdas/core/replay/index.ts';
import { commit, groupMetadata, LogBuilder, T0 } from './log-builder.ts';
import { GROUPS, randomLog, SINCE } from './random-log.ts';

function findings(replay: OffsetsLogReplay) {
  return {
    groups: replay.groups(),
    offsets: Object.fromEntries(GROUPS.map((group) => [group, replay.committedOffsets(group)])),
    metadata: Object.fromEntries(GROUPS.map((group) => [group, [replay.groupMetadata(group), replay.groupDeletion(group)]])),
    withMetadata: replay.groupsWithMetadata(),
    pending: replay.pendingTransactions(),
    stats: replay.stats(),
    next: replay.nextOffset,
  };
}

const scopeOf = (options: ReplayOptions) => ({
  group: options.group,
  sinceMs: options.since === undefined ? -Infinity : Number(options.since),
  endOffset: undefined,
});

/** Through JSON text, as a checkpoint file or an S3 object carries it. */
const carried = (checkpoint: ReplayCheckpoint): ReplayCheckpoint => JSON.parse(JSON.stringify(checkpoint)) as ReplayCheckpoint;

describe('replay checkpoints', () => {
  it('a replay stopped at random batches and continued from its checkpoint ends exactly as an uninterrupted one (random logs)', () => {
    fc.assert(
      fc.property(
        randomLog.chain((log) => {
          const count = decodeRecordBatches(Buffer.concat(log.frames)).batches.length;
          return fc.tuple(fc.constant(log), fc.uniqueArray(fc.integer({ min: 0, max: count }), { maxLength: 5 }), fc.constantFrom<ReplayOptions>({}, { since: SINCE }, { group: 'g0' }));
        }),
        ([log, stops, options]) => {
          const batches = decodeRecordBatches(Buffer.concat(log.frames)).batches;
          const whole = new OffsetsLogReplay(options);
          for (const batch of batches) whole.apply(batch);

          let replay = new OffsetsLogReplay(options);
          batches.forEach((batch, i) => {
            if (stops.includes(i)) replay = restoreReplay(carried(replayCheckpoint(replay)), scopeOf(options));
            replay.apply(batch);
          });
          expect(findings(replay)).toEqual(findings(whole));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('grows with the distinct keys, not with the records', () => {
    const log = new LogBuilder();
    for (let i = 0; i < 2000; i++) log.plain([commit(`g${i % 5}`, 't', i % 4, BigInt(i), { timestamp: T0 + BigInt(i) }), groupMetadata(`g${i % 5}`, i)]);
    const replay = new OffsetsLogReplay();
    for (const batch of decodeRecordBatches(log.buffer()).batches) replay.apply(batch);
    const checkpoint = replayCheckpoint(replay);
    expect(checkpoint.offsets).toHaveLength(20);
    expect(checkpoint.metadata).toHaveLength(5);
    expect(JSON.stringify(checkpoint).length).toBeLessThan(6000);
  });

  it('is refused by a replay of another group or window, naming what differs', () => {
    const checkpoint = replayCheckpoint(new OffsetsLogReplay({ group: 'orders', since: 1000 }));
    expect(() => restoreReplay(checkpoint, { group: 'billing', sinceMs: 1000, endOffset: undefined })).toThrow(
      /^checkpoint\.group: was written for group "orders", not group "billing"/,
    );
    expect(() => restoreReplay(checkpoint, { group: undefined, sinceMs: 1000, endOffset: undefined })).toThrow(/not all groups/);
    expect(() => restoreReplay(checkpoint, { group: 'orders', sinceMs: 2000, endOffset: undefined })).toThrow(/^checkpoint\.since: was written for since 1000, not 2000/);
    expect(() => restoreReplay(checkpoint, { group: 'orders', sinceMs: 1000, endOffset: 10n })).toThrow(/^checkpoint\.endOffset:/);
    expect(() => restoreReplay({ ...checkpoint, format: 'x' } as unknown as ReplayCheckpoint, { group: 'orders', sinceMs: 1000, endOffset: undefined })).toThrow(
      /^checkpoint\.format:/,
    );
    expect(() =>
      restoreReplay({ ...checkpoint, offsets: [['AAA=', 1, null, 'seven', '0']] }, { group: 'orders', sinceMs: 1000, endOffset: undefined }),
    ).toThrow(/^checkpoint\.offsets\[0\]/);
  });
});
