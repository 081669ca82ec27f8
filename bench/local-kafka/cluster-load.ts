/**
 * The local cluster under a scanner-sized load: bulk-load 1,000,000 offset-commit records into
 * one `__consumer_offsets` partition (LogAppendTime applied, CRCs rewritten), then serve them
 * back over Fetch, once to a raw in-process client (the cluster's own cost) and once to kcat
 * (a real client that decodes every record). The cluster must serve faster than a scanner
 * decodes, so that a scanner benchmark measures the scanner.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { startLocalCluster, type LocalCluster } from '../../local/kafka/index.ts';
import { ApiKey } from '../../local/kafka/protocol/api-keys.ts';
import { decodeResponse, encodeRequest } from '../../local/kafka/protocol/codec.ts';
import { FrameDecoder } from '../../local/kafka/protocol/frame.ts';
import { formatRate, mib, perSecond } from '../measure.ts';
import { buildOffsetsSegment, DEFAULT_SHAPE, type OffsetsSegment } from '../offsets-workload.ts';
import type { BenchCase, BenchOutcome } from '../types.ts';

const PARTITION = 0;
const LOAD_FLOOR = 1_000_000; // records/s appended
const RAW_SERVE_FLOOR = 200; // MiB/s to a client that does not decode
const KCAT_SERVE_FLOOR = 200; // MiB per CPU-second of the cluster while kcat reads

const mibPerSecond = (bytes: number, ms: number): number => bytes / 1024 / 1024 / (ms / 1000);

/**
 * Runs `work` and adds the CPU time this process spent (all threads): the floors are judged on
 * it, because wall time on a shared machine measures the neighbours. For the raw client the
 * process is client and cluster together; for kcat it is the cluster alone.
 */
async function withCpu<T>(work: () => Promise<T>): Promise<T & { cpuMs: number }> {
  const started = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(started);
  return { ...result, cpuMs: (used.user + used.system) / 1000 };
}

async function loadPartition(local: LocalCluster, segment: OffsetsSegment): Promise<{ records: number; bytes: number; ms: number }> {
  const log = local.cluster.requirePartition('__consumer_offsets', PARTITION).log;
  const started = performance.now();
  let records = 0;
  for (const fetch of segment.fetches) records += log.append(fetch, { timestampType: 'LogAppendTime' }).recordCount;
  return { records, bytes: log.sizeInBytes, ms: performance.now() - started };
}

/** Fetch v11 in a loop from offset 0 to the high watermark, 1 MiB per partition per request. */
async function serveRaw(local: LocalCluster): Promise<{ bytes: number; ms: number }> {
  const p = local.cluster.requirePartition('__consumer_offsets', PARTITION);
  const broker = local.brokers.find((b) => b.brokerId === p.leader)!;
  const socket = connect({ host: broker.host, port: broker.port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const decoder = new FrameDecoder();
  let waiting: ((frame: Buffer) => void) | undefined;
  socket.on('data', (chunk) => {
    for (const frame of decoder.push(chunk)) waiting?.(frame);
  });
  const started = performance.now();
  let offset = 0n;
  let bytes = 0;
  let correlationId = 0;
  try {
    while (offset < BigInt(p.log.highWatermark)) {
      const request = encodeRequest(
        { apiKey: ApiKey.Fetch, apiVersion: 11, correlationId: ++correlationId, clientId: 'bench' },
        {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 4 << 20,
          isolationLevel: 1,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic: '__consumer_offsets', partitions: [{ partition: PARTITION, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
          forgottenTopicsData: [],
          rackId: '',
        },
      );
      const frame = await new Promise<Buffer>((resolve) => {
        waiting = resolve;
        socket.write(request);
      });
      const body = decodeResponse(ApiKey.Fetch, 11, frame).body as { responses: Array<{ partitions: Array<{ records: Buffer }> }> };
      const records = body.responses[0]!.partitions[0]!.records;
      bytes += records.length;
      // the next offset: after the last whole batch returned (baseOffset + lastOffsetDelta + 1)
      let at = 0;
      while (at + 61 <= records.length) {
        const size = records.readInt32BE(at + 8) + 12;
        offset = records.readBigInt64BE(at) + BigInt(records.readInt32BE(at + 23)) + 1n;
        at += size;
      }
    }
  } finally {
    socket.destroy();
  }
  return { bytes, ms: performance.now() - started };
}

/** kcat consumes the partition from the beginning to its end, printing one offset per record. */
function serveKcat(local: LocalCluster, expected: number): Promise<{ records: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('kcat', ['-b', local.bootstrapServers.join(','), '-C', '-t', '__consumer_offsets', '-p', String(PARTITION), '-o', 'beginning', '-e', '-q', '-f', '%o\n'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let lines = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0 || lines !== expected) reject(new Error(`kcat exited ${code} after ${lines} of ${expected} records`));
      else resolve({ records: lines, ms: performance.now() - started });
    });
  });
}

async function run(): Promise<BenchOutcome> {
  const local = await startLocalCluster({ brokers: 3, offsetsPartitions: 50, coordinator: false });
  try {
    const segment = buildOffsetsSegment(DEFAULT_SHAPE);
    const load = await withCpu(() => loadPartition(local, segment));
    const loadRate = perSecond(load.records, load.cpuMs);
    console.log(
      `load: ${load.records.toLocaleString('en-US')} records, ${mib(load.bytes)}: ${formatRate(loadRate)} of CPU time (${(load.cpuMs / 1000).toFixed(2)} s), ` +
        `${formatRate(perSecond(load.records, load.ms))} of wall time (${(load.ms / 1000).toFixed(2)} s)`,
    );
    const raw = await withCpu(() => serveRaw(local));
    const rawRate = mibPerSecond(raw.bytes, raw.cpuMs);
    console.log(
      `fetch to a raw client (read_committed, 1 MiB per request): ${mib(raw.bytes)}: ${rawRate.toFixed(0)} MiB per CPU-second (client and cluster), ` +
        `${mibPerSecond(raw.bytes, raw.ms).toFixed(0)} MiB/s of wall time (${(raw.ms / 1000).toFixed(2)} s)`,
    );
    const kcat = await withCpu(() => serveKcat(local, load.records));
    const kcatRate = mibPerSecond(load.bytes, kcat.cpuMs);
    console.log(
      `fetch to kcat (every record printed): ${kcat.records.toLocaleString('en-US')} records: ${kcatRate.toFixed(0)} MiB per cluster CPU-second, ` +
        `${mibPerSecond(load.bytes, kcat.ms).toFixed(1)} MiB/s and ${formatRate(perSecond(kcat.records, kcat.ms))} of wall time (${(kcat.ms / 1000).toFixed(2)} s)`,
    );
    return {
      floors: [
        { label: 'bulk load, per CPU-second', value: loadRate, floor: LOAD_FLOOR, unit: 'records/s' },
        { label: 'fetch to a raw client, per CPU-second', value: rawRate, floor: RAW_SERVE_FLOOR, unit: 'MiB/s' },
        { label: 'fetch to kcat, per cluster CPU-second', value: kcatRate, floor: KCAT_SERVE_FLOOR, unit: 'MiB/s' },
      ],
    };
  } finally {
    await local.stop();
  }
}

export const localKafkaCases: BenchCase[] = [
  {
    name: 'local-kafka-load',
    description: 'local cluster: bulk-load 1M offset commits into one __consumer_offsets partition, serve them over Fetch (raw client, kcat)',
    run,
  },
];
