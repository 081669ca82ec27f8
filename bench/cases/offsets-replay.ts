/**
 * Decoding and replaying a `__consumer_offsets` partition in memory: the scan's hot path
 * without the network. (a) a one-group read, (b) an all-groups scan, each over 1M and 5M
 * records on the same 10,000 group/topic/partition keys, so memory that followed the records
 * would show up as a 5x larger peak.
 *
 * The floors are judged on CPU time (records per CPU-second of this process, GC threads
 * included), because wall time on a machine shared with other work measures the neighbours;
 * the wall-clock rate is printed beside it.
 */
import { crc32c, decodeRecordBatches } from '../../lambdas/core/record-batch/index.ts';
import { mergeReplays, OffsetsLogReplay } from '../../lambdas/core/replay/index.ts';
import { collectGarbage, formatRate, MemorySampler, mib, perSecond } from '../measure.ts';
import { buildOffsetsSegment, DEFAULT_SHAPE, rebaseSegment } from '../offsets-workload.ts';
import type { OffsetsSegment } from '../offsets-workload.ts';
import type { BenchCase, BenchOutcome } from '../types.ts';

const PASSES_FOR = { '1M': 1, '5M': 5 } as const;
/** Issue 10's floors: Kafka's own coordinator loader replays about 4.4M records per second. */
const ONE_GROUP_FLOOR = 4_400_000;
const ALL_GROUPS_FLOOR = 2_000_000;
const SEGMENTS = 8;
const MERGE_CEILING_MS = 100;

let cachedSegment: OffsetsSegment | undefined;

function segment(): OffsetsSegment {
  if (cachedSegment === undefined) {
    const started = performance.now();
    cachedSegment = buildOffsetsSegment(DEFAULT_SHAPE);
    const s = cachedSegment;
    console.log(
      `workload: ${s.records.toLocaleString('en-US')} records in ${s.frames.length} batches, ${mib(s.bytes)} in ${s.fetches.length} fetches ` +
        `of <= ${mib(s.shape.fetchBytes)}; ${s.distinctOffsetKeys.toLocaleString('en-US')} group/topic/partition keys over ${s.groups.length} groups ` +
        `(built in ${((performance.now() - started) / 1000).toFixed(1)} s; longer logs replay it with rebased offsets)`,
    );
  }
  return cachedSegment;
}

interface RunFigures {
  records: number;
  /** Wall-clock time and rate: what an operator waits for, noisy on a shared machine. */
  ms: number;
  rate: number;
  /** CPU time the process used (all its threads, GC included) and records per CPU-second. */
  cpuMs: number;
  cpuRate: number;
  peakRss: number;
  peakHeapUsed: number;
  heapBaseline: number;
  rssBaseline: number;
  /** heapUsed after a full GC at the end, the replay still alive: what the state really holds. */
  heapRetained: number;
  liveOffsets: number;
  groupsHeld: number;
}

function runReplay(s: OffsetsSegment, passes: number, group: string | undefined): RunFigures {
  collectGarbage();
  const { heapUsed: heapBaseline, rss: rssBaseline } = process.memoryUsage();
  const sampler = new MemorySampler(8);
  const replay = new OffsetsLogReplay(group === undefined ? {} : { group });
  let ms = 0;
  let cpuMs = 0;
  let records = 0;
  for (let pass = 0; pass < passes; pass++) {
    rebaseSegment(s, pass);
    const cpuStarted = process.cpuUsage();
    const started = performance.now();
    for (const fetch of s.fetches) {
      const decoded = decodeRecordBatches(fetch);
      for (const batch of decoded.batches) {
        replay.apply(batch);
        if (batch.kind === 'records') records += batch.recordCount;
      }
      sampler.sample();
    }
    ms += performance.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    cpuMs += (cpu.user + cpu.system) / 1000;
  }
  sampler.take();
  rebaseSegment(s, 0);
  collectGarbage();
  const heapRetained = process.memoryUsage().heapUsed;
  const stats = replay.stats();
  if (stats.corruptBatches + stats.unsupportedBatches > 0 || replay.nextOffset !== s.offsetSpan * BigInt(passes)) {
    throw new Error(`benchmark replay went wrong: ${JSON.stringify(stats, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  }
  return {
    records,
    ms,
    rate: perSecond(records, ms),
    cpuMs,
    cpuRate: perSecond(records, cpuMs),
    peakRss: sampler.peakRss,
    peakHeapUsed: sampler.peakHeapUsed,
    heapBaseline,
    rssBaseline,
    heapRetained,
    liveOffsets: replay.liveOffsetCount,
    groupsHeld: replay.groups().length,
  };
}

function printRun(label: string, f: RunFigures, floor: number): void {
  const verdict = f.cpuRate >= floor ? 'met' : 'NOT MET';
  console.log(
    `${label.padEnd(4)} ${f.records.toLocaleString('en-US').padStart(10)} records: ${formatRate(f.cpuRate)} of CPU time ` +
      `(${(f.cpuMs / 1000).toFixed(2)} s; floor ${floor.toLocaleString('en-US')}: ${verdict}), ${formatRate(f.rate)} of wall time (${(f.ms / 1000).toFixed(2)} s)`,
  );
  console.log(
    `     memory: peak rss ${mib(f.peakRss)} (${mib(f.rssBaseline)} before), peak heapUsed ${mib(f.peakHeapUsed)} ` +
      `(+${mib(Math.max(0, f.peakHeapUsed - f.heapBaseline))} over the ${mib(f.heapBaseline)} before the run), ` +
      `retained after GC +${mib(Math.max(0, f.heapRetained - f.heapBaseline))}; offsets held ${f.liveOffsets.toLocaleString('en-US')} in ${f.groupsHeld} group(s)`,
  );
}

function replayCase(name: string, description: string, group: () => string | undefined, floor: number): BenchCase {
  return {
    name,
    description,
    async run(): Promise<BenchOutcome> {
      const s = segment();
      const selected = group();
      if (selected !== undefined) console.log(`group: ${selected}`);
      // One unmeasured pass so the JIT has compiled the hot path before the figures count.
      runReplay(s, 1, selected);
      const figures: Record<string, RunFigures> = {};
      for (const [label, passes] of Object.entries(PASSES_FOR)) {
        figures[label] = runReplay(s, passes, selected);
        printRun(label, figures[label]!, floor);
      }
      const small = figures['1M']!;
      const large = figures['5M']!;
      const retained = (f: RunFigures) => Math.max(0, f.heapRetained - f.heapBaseline);
      console.log(
        `memory: 5x the records -> heap retained by the replay ${mib(retained(small))} -> ${mib(retained(large))}, ` +
          `peak rss ${mib(small.peakRss)} -> ${mib(large.peakRss)} (the ${mib(s.bytes)} input is in both), ` +
          `offsets held ${small.liveOffsets.toLocaleString('en-US')} -> ${large.liveOffsets.toLocaleString('en-US')} (bounded by the keys, not the records)`,
      );
      return {
        floors: [{ label: `${large.records.toLocaleString('en-US')} records, per CPU-second`, value: large.cpuRate, floor, unit: 'records/s' }],
      };
    },
  };
}

/**
 * The other half of "memory grows with keys, not records": the same 1M records over 10x fewer
 * and 10x more group/topic/partition keys. What the replay retains should follow the keys.
 */
const memoryByKeysCase: BenchCase = {
  name: 'memory-by-keys',
  description: 'all-groups replay of 1M records over 1,000, 10,000 and 100,000 keys: retained memory follows the keys',
  async run(): Promise<BenchOutcome> {
    for (const groups of [50, 500, 5000]) {
      const s = groups === DEFAULT_SHAPE.groups ? segment() : buildOffsetsSegment({ ...DEFAULT_SHAPE, groups });
      runReplay(s, 1, undefined);
      const f = runReplay(s, 1, undefined);
      const retained = Math.max(0, f.heapRetained - f.heapBaseline);
      console.log(
        `${s.distinctOffsetKeys.toLocaleString('en-US').padStart(7)} keys: ${f.records.toLocaleString('en-US')} records, heap retained by the replay ${mib(retained)} ` +
          `(${Math.round(retained / Math.max(1, f.liveOffsets))} bytes per offset held), offsets held ${f.liveOffsets.toLocaleString('en-US')} in ${f.groupsHeld} groups, ` +
          `peak heapUsed +${mib(Math.max(0, f.peakHeapUsed - f.heapBaseline))}; ${formatRate(f.cpuRate)} of CPU time`,
      );
    }
    return { floors: [] };
  },
};

/**
 * Segment scans end in a merge: the 1M-record workload (10,000 keys) cut into 8 contiguous
 * ranges, each replayed on its own, then merged. Every range holds nearly every key, so the
 * merge handles 8 x 10,000 entries, the case.
 */
const segmentMergeCase: BenchCase = {
  name: 'segment-merge',
  description: `merging the replays of ${SEGMENTS} segments of 10,000 keys each into one (segment scans), per merge`,
  async run(): Promise<BenchOutcome> {
    const s = segment();
    const per = Math.ceil(s.fetches.length / SEGMENTS);
    const ranges = Array.from({ length: SEGMENTS }, (_, i) => s.fetches.slice(i * per, (i + 1) * per));
    const replays = ranges.map((fetches) => {
      const replay = new OffsetsLogReplay();
      for (const fetch of fetches) for (const batch of decodeRecordBatches(fetch).batches) replay.apply(batch);
      return replay;
    });
    const entries = replays.reduce((sum, replay) => sum + replay.liveOffsetCount, 0);
    for (let warm = 0; warm < 3; warm++) mergeReplays(replays);
    const times: number[] = [];
    let held = 0;
    for (let i = 0; i < 10; i++) {
      collectGarbage();
      const cpu = process.cpuUsage();
      const merged = mergeReplays(replays);
      const used = process.cpuUsage(cpu);
      times.push((used.user + used.system) / 1000);
      held = merged.liveOffsetCount;
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(
      `${SEGMENTS} segments, ${entries.toLocaleString('en-US')} entries in all -> ${held.toLocaleString('en-US')} keys: median ${median.toFixed(1)} ms of CPU time per merge ` +
        `(fastest ${times[0]!.toFixed(1)}, slowest ${times.at(-1)!.toFixed(1)} of 10)`,
    );
    return { floors: [{ label: `merge of ${SEGMENTS} x 10,000 keys, CPU ms (median of 10)`, value: median, floor: MERGE_CEILING_MS, unit: 'ms', atMost: true }] };
  },
};

const codecCase: BenchCase = {
  name: 'codec',
  description: 'RecordBatch decoding alone (CRC-32C and record index, no replay) and CRC-32C throughput',
  async run(): Promise<BenchOutcome> {
    const s = segment();
    for (let warm = 0; warm < 2; warm++) for (const fetch of s.fetches) decodeRecordBatches(fetch);
    let started = performance.now();
    let records = 0;
    for (const fetch of s.fetches) {
      for (const batch of decodeRecordBatches(fetch).batches) if (batch.kind === 'records') records += batch.recordCount;
    }
    const decodeMs = performance.now() - started;
    started = performance.now();
    let sink = 0;
    for (const fetch of s.fetches) sink ^= crc32c(fetch);
    const crcMs = performance.now() - started;
    console.log(`decode: ${formatRate(perSecond(records, decodeMs))} (${((s.bytes / 1024 / 1024) / (decodeMs / 1000)).toFixed(0)} MiB/s)`);
    console.log(`crc32c: ${((s.bytes / 1024 / 1024) / (crcMs / 1000)).toFixed(0)} MiB/s (checksum ${sink >>> 0})`);
    return { floors: [] };
  },
};

export const offsetsReplayCases: BenchCase[] = [
  replayCase(
    'one-group',
    '(a) one-group read of __consumer_offsets: decode + read_committed replay filtered to one group',
    () => segment().groups[Math.floor(segment().groups.length / 3)],
    ONE_GROUP_FLOOR,
  ),
  replayCase('all-groups', '(b) all-groups scan of __consumer_offsets: decode + read_committed replay of every group', () => undefined, ALL_GROUPS_FLOOR),
  memoryByKeysCase,
  segmentMergeCase,
  codecCase,
];
