/**
 * The decoder on compressed and hostile batches: records per CPU-second for each codec a broker
 * may write `__consumer_offsets` with, and what a hostile frame (a gzip bomb, a lying record
 * count, lying snappy/zstd headers) costs before it is refused. Figures are printed, never
 * asserted in tests.
 */
import { gzipSync } from 'node:zlib';
import { encodeOffsetCommitKey, encodeOffsetCommitValue } from '../../lambdas/core/offsets-records/index.ts';
import { crc32c, decodeRecordBatches, encodeRecordBatch } from '../../lambdas/core/record-batch/index.ts';
import type { Compression } from '../../lambdas/core/record-batch/index.ts';
import { offsetsTopicCompression } from '../../local/kafka/offsets-compression.ts';
import { collectGarbage, formatRate, MemorySampler, mib, perSecond } from '../measure.ts';
import type { BenchCase, BenchOutcome } from '../types.ts';

const BATCHES = 2000;
const RECORDS_PER_BATCH = 100;
const T0 = 1_700_000_000_000n;

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function frames(codec: Compression): Promise<Buffer[]> {
  const { compress } = await offsetsTopicCompression(codec);
  const out: Buffer[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
      key: encodeOffsetCommitKey({ group: `group-${b % 50}`, topic: `topic-${i % 20}`, partition: i }),
      value: encodeOffsetCommitValue({ offset: BigInt(b * 1000 + i), leaderEpoch: 7, metadata: '', commitTimestamp: T0 + BigInt(b) }, 3),
      timestamp: T0 + BigInt(b),
      offsetDelta: i,
    }));
    out.push(encodeRecordBatch({ baseOffset: BigInt(b * RECORDS_PER_BATCH), records, compression: codec, ...(compress ? { compress } : {}) }));
  }
  return out;
}

const codecsCase: BenchCase = {
  name: 'codecs',
  description: `RecordBatch decoding per codec: ${(BATCHES * RECORDS_PER_BATCH).toLocaleString('en-US')} offset commits in batches of ${RECORDS_PER_BATCH}, none/gzip/snappy/lz4/zstd`,
  async run(): Promise<BenchOutcome> {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const input = await frames(codec);
      const bytes = input.reduce((n, f) => n + f.length, 0);
      for (const frame of input) decodeRecordBatches(frame); // warm-up
      collectGarbage();
      const started = process.cpuUsage();
      let records = 0;
      for (let pass = 0; pass < 3; pass++) for (const frame of input) for (const b of decodeRecordBatches(frame).batches) if (b.kind === 'records') records += b.recordCount;
      const ms = cpuMs(started);
      console.log(`${codec.padEnd(7)} ${formatRate(perSecond(records, ms))} of CPU time (${mib(bytes)} of frames per pass)`);
    }
    return { floors: [] };
  },
};

function frameAround(section: Buffer, codec: number, recordCount: number): Buffer {
  const frame = encodeRecordBatch({ baseOffset: 0n, records: [{ key: null, value: null, timestamp: T0 }] });
  const out = Buffer.concat([frame.subarray(0, 61), section]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE(codec, 21);
  out.writeInt32BE(Math.max(0, recordCount - 1), 23);
  out.writeInt32BE(recordCount, 57);
  out.writeUInt32BE(crc32c(out, 21), 17);
  return out;
}

const hostileCase: BenchCase = {
  name: 'hostile',
  description: 'hostile batches refused: a gzip bomb, a lying record count, valid tiny records beyond the cap, lying snappy and zstd headers (time and peak memory each)',
  async run(): Promise<BenchOutcome> {
    const tiny = Array.from({ length: 1_500_000 }, (_, i) => ({ key: null, value: null, timestamp: T0, offsetDelta: i }));
    const inputs: [string, Buffer][] = [
      ['gzip bomb: 100 MiB of zeros, 10M records declared', frameAround(gzipSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 }), 1, 10_000_000)],
      ['gzip bomb: 100 MiB of zeros, 1M records declared', frameAround(gzipSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 }), 1, 1_000_000)],
      ['record count 2^31-1 in a 70-byte batch', frameAround(Buffer.alloc(9), 0, 0x7fffffff)],
      ['1.5M valid 7-byte records, gzip', encodeRecordBatch({ baseOffset: 0n, records: tiny, compression: 'gzip' })],
      ['snappy length varint 2^31', frameAround(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0x00]), 2, 1)],
      ['zstd content size 2^40', frameAround(Buffer.from('28b52ffde00000000000010000010000', 'hex'), 4, 1)],
    ];
    for (const [label, frame] of inputs) {
      collectGarbage();
      const before = process.memoryUsage();
      const sampler = new MemorySampler(1);
      const started = process.cpuUsage();
      const entry = decodeRecordBatches(frame).batches[0];
      const ms = cpuMs(started);
      sampler.take();
      const outcome = entry?.kind === 'corrupt' ? `refused (${entry.reason.slice(0, 70)})` : `decoded?! ${entry?.kind}`;
      console.log(`${label.padEnd(52)} ${mib(frame.length).padStart(9)} in: ${ms.toFixed(1).padStart(7)} ms CPU, rss after +${mib(Math.max(0, sampler.peakRss - before.rss))}; ${outcome}`);
    }
    return { floors: [] };
  },
};

export const compressedBatchCases: BenchCase[] = [codecsCase, hostileCase];
