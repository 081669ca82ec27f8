import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatches } from '../../../../lambdas/core/record-batch/index.ts';
import type { RecordBatch } from '../../../../lambdas/core/record-batch/index.ts';
import { mergeReplays, OffsetsLogReplay } from '../../../../lambdas/core/replay/index.ts';
import type { ReplayOptions } from '../../../../lambdas/core/replay/index.ts';
import { commit, LogBuilder, tombstone } from './log-builder.ts';
import { GROUPS, randomLog, SINCE } from './random-log.ts';

function batchesOf(frames: Buffer[]): RecordBatch[] {
  return decodeRecordBatches(Buffer.concat(frames)).batches;
}

/** What a scan of [from, to) hands its sink: every batch that holds an offset of the range. */
function replayRange(batches: RecordBatch[], from: bigint, to: bigint, options: ReplayOptions): OffsetsLogReplay {
  const replay = new OffsetsLogReplay({ ...options, startOffset: from, endOffset: to });
  for (const batch of batches) {
    if (batch.kind === 'records' && batch.lastOffset >= from && batch.baseOffset < to) replay.apply(batch);
  }
  return replay;
}

function replayWhole(batches: RecordBatch[], options: ReplayOptions): OffsetsLogReplay {
  const replay = new OffsetsLogReplay(options);
  for (const batch of batches) replay.apply(batch);
  return replay;
}

/** Everything a result is made of: offsets with their log positions, metadata, deletions, open transactions. */
function findings(replay: OffsetsLogReplay) {
  return {
    groups: replay.groups(),
    offsets: Object.fromEntries(GROUPS.map((group) => [group, replay.committedOffsets(group)])),
    metadata: Object.fromEntries(GROUPS.map((group) => [group, [replay.groupMetadata(group), replay.groupDeletion(group)]])),
    withMetadata: replay.groupsWithMetadata(),
    pending: replay.pendingTransactions(),
    live: replay.liveOffsetCount,
  };
}

const cuts = (end: bigint) => fc.uniqueArray(fc.bigInt({ min: 1n, max: end > 1n ? end - 1n : 1n }), { maxLength: 7 }).map((points) => [...points].filter((p) => p < end).sort((a, b) => (a < b ? -1 : 1)));

describe('mergeReplays', () => {
  it('gives what one replay of the whole log gives, for every split into 1-8 segments (random logs)', () => {
    fc.assert(
      fc.property(
        randomLog.chain((log) => fc.tuple(fc.constant(log), cuts(log.end), fc.constantFrom<ReplayOptions>({}, { since: SINCE }, { group: 'g1' }, { group: 'g2', since: SINCE }))),
        ([log, points, options]) => {
          const batches = batchesOf(log.frames);
          const whole = replayWhole(batches, options);
          const bounds = [0n, ...points, log.end];
          const segments = bounds.slice(1).map((to, i) => replayRange(batches, bounds[i]!, to, options));
          const merged = mergeReplays(segments);
          expect(findings(merged)).toEqual(findings(whole));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('settles a transaction open across several borders by the marker in a later segment', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 1n)]);
    log.transactional(7n, [commit('g', 't', 0, 5n)]); // offset 1
    log.plain([commit('h', 't', 0, 1n)]); // 2
    log.transactional(7n, [commit('g', 't', 1, 6n)]); // 3
    log.plain([tombstone('g', 't', 1)]); // 4: deletes the pending commit of t/1
    log.marker(7n, 'COMMIT'); // 5
    const batches = batchesOf(log.frames);
    const merged = mergeReplays([replayRange(batches, 0n, 2n, {}), replayRange(batches, 2n, 4n, {}), replayRange(batches, 4n, 6n, {})]);
    expect(merged.committedOffsets('g')).toEqual([{ topic: 't', partitions: [expect.objectContaining({ partition: 0, offset: 5n, logOffset: 1n })] }]);
    expect(merged.pendingTransactions()).toEqual([]);
    expect(findings(merged)).toEqual(findings(replayWhole(batches, {})));
  });

  it('refuses replays of different windows or groups', () => {
    expect(() => mergeReplays([new OffsetsLogReplay({ group: 'a' }), new OffsetsLogReplay({ group: 'b' })])).toThrow(/ranges\[1\]: replayed another group or window/);
    expect(() => mergeReplays([])).toThrow(/ranges: is empty/);
  });
});
