import { describe, expect, it } from 'vitest';
import { decodeRecordBatches } from '../../../../lambdas/core/record-batch/index.ts';
import { OffsetsLogReplay } from '../../../../lambdas/core/replay/index.ts';
import { commit, groupMetadata, LogBuilder, offsetsByGroup, T0, tombstone } from './log-builder.ts';

/** CRC-32C covers a v2 frame from its attributes (byte 21) to its end. */
const CRC_COVERED_FROM = 21;

function sampleLog(): LogBuilder {
  const log = new LogBuilder();
  for (let i = 0; i < 8; i++) {
    log.plain([commit('g', 't', i % 3, BigInt(i)), groupMetadata('g', i, T0 + BigInt(i)), tombstone('h', 't', 0)], {
      compression: i % 2 === 0 ? 'none' : 'gzip',
    });
    log.transactional(BigInt(i % 2), [commit('g', 'u', 0, BigInt(100 + i))]);
    if (i % 3 === 2) log.marker(BigInt(i % 2), i % 2 === 0 ? 'COMMIT' : 'ABORT');
  }
  return log;
}

describe('damaged logs', () => {
  it('never throws and never takes a damaged batch for data, whatever byte is flipped', () => {
    const log = sampleLog();
    const whole = log.buffer();
    const frameStarts: number[] = [];
    let at = 0;
    for (const frame of log.frames) {
      frameStarts.push(at);
      at += frame.length;
    }
    let seed = 7;
    for (let round = 0; round < 400; round++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const position = seed % whole.length;
      const damaged = Buffer.from(whole);
      damaged[position] = damaged[position]! ^ (1 + ((seed >>> 16) % 255));
      let frameIndex = 0;
      while (frameIndex + 1 < frameStarts.length && frameStarts[frameIndex + 1]! <= position) frameIndex++;
      const inCrcRange = position - frameStarts[frameIndex]! >= CRC_COVERED_FROM;

      const decoded = decodeRecordBatches(damaged);
      const replay = new OffsetsLogReplay();
      for (const batch of decoded.batches) replay.apply(batch);
      if (inCrcRange) {
        const hit = decoded.batches.find((b) => b.byteOffset === frameStarts[frameIndex]);
        expect(hit?.kind, `flip at byte ${position} of frame ${frameIndex}`).toBe('corrupt');
      }
      expect(replay.stats().batches).toBe(decoded.batches.length);
    }
  });

  it('never throws on a log cut at any byte and applies every batch that ends before the cut', () => {
    const log = sampleLog();
    const whole = log.buffer();
    const frameEnds: number[] = [];
    for (const frame of log.frames) frameEnds.push((frameEnds[frameEnds.length - 1] ?? 0) + frame.length);
    let last: OffsetsLogReplay | undefined;
    for (let cut = 0; cut <= whole.length; cut += 7) {
      const decoded = decodeRecordBatches(whole.subarray(0, cut));
      const replay = new OffsetsLogReplay();
      for (const batch of decoded.batches) replay.apply(batch);
      expect(decoded.batches.every((b) => b.kind === 'records')).toBe(true);
      expect(decoded.batches).toHaveLength(frameEnds.filter((end) => end <= cut).length);
      expect(replay.nextOffset).toBe(decoded.nextOffset);
      last = replay;
    }
    const full = new OffsetsLogReplay();
    for (const batch of decodeRecordBatches(whole).batches) full.apply(batch);
    // u/0: producer 0 committed 100 and 102 (marker after i=2); 104 and 106 never got a marker.
    expect(offsetsByGroup(full)).toEqual({ g: { 't/0': '6', 't/1': '7', 't/2': '5', 'u/0': '102' } });
    expect(last!.stats().batches).toBeLessThanOrEqual(full.stats().batches);
  });
});
