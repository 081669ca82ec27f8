/**
 * The scanner end to end: `readCommittedOffsets` (one group) and `affectedGroups` (all groups)
 * over a `__consumer_offsets` partition of the local cluster holding ~1M offset commits, through
 * the real kafkajs adapter (ListOffsets, read_committed Fetch, decode, replay).
 *
 * The cluster runs in a child process (kafka-scan-cluster.ts), so the CPU time of the scanner
 * (this process: adapter, kafkajs, decoding, replay) and of the cluster (the child, read from
 * /proc) are counted apart: the case shows where the time goes, and that the cluster is not
 * what limits the scan. No floors: the floors are for the in-memory cases; these
 * figures are the same work plus the network path.
 */
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { affectedGroups, readCommittedOffsets } from '../../lambdas/core/operations/index.ts';
import type { KafkaPort } from '../../lambdas/core/ports.ts';
import type { ScanStats } from '../../lambdas/core/model.ts';
import { createKafkaPort } from '../../lambdas/kafka/index.ts';
import { collectGarbage, formatRate, mib, perSecond } from '../measure.ts';
import type { BenchCase, BenchOutcome } from '../types.ts';
import type { LoadedCluster } from './kafka-scan-cluster.ts';

const CLUSTER_SCRIPT = fileURLToPath(new URL('./kafka-scan-cluster.ts', import.meta.url));
const STARTUP_TIMEOUT_MS = 300_000;

/** CPU seconds (user + system) a process has used so far, from /proc; undefined where there is no /proc. */
export function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

let ticks: number | undefined;
function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export async function startCluster(passes = 1): Promise<{ child: ChildProcessWithoutNullStreams; loaded: LoadedCluster }> {
  // node --import tsx rather than the tsx wrapper, so the pid is the process that serves.
  const child = spawn(process.execPath, ['--import', 'tsx', CLUSTER_SCRIPT, '--passes', String(passes)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const loaded = await new Promise<LoadedCluster>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the cluster did not start within ${STARTUP_TIMEOUT_MS / 1000} s`)), STARTUP_TIMEOUT_MS);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as LoadedCluster);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the cluster process exited (${code}) before it was ready: ${stderr.trim()}`));
    });
  });
  return { child, loaded };
}

export function stopCluster(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin.end();
  });
}

interface ScanFigures {
  records: number;
  bytes: number;
  wallMs: number;
  scannerCpuMs: number;
  clusterCpuMs: number | undefined;
  peakRss: number;
  peakHeapUsed: number;
}

async function measure(clusterPid: number, scan: () => Promise<ScanStats>): Promise<ScanFigures> {
  collectGarbage();
  let peakRss = 0;
  let peakHeapUsed = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeapUsed = Math.max(peakHeapUsed, usage.heapUsed);
  };
  // Every Fetch awaits the network, so a timer gets its turn throughout the scan.
  const sampler = setInterval(sample, 20);
  const clusterBefore = processCpuMs(clusterPid);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  try {
    const stats = await scan();
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const clusterAfter = processCpuMs(clusterPid);
    sample();
    return {
      records: stats.records,
      bytes: stats.bytes,
      wallMs,
      scannerCpuMs: (cpu.user + cpu.system) / 1000,
      clusterCpuMs: clusterBefore === undefined || clusterAfter === undefined ? undefined : clusterAfter - clusterBefore,
      peakRss,
      peakHeapUsed,
    };
  } finally {
    clearInterval(sampler);
  }
}

function printScan(label: string, f: ScanFigures, found: string): void {
  const cluster =
    f.clusterCpuMs === undefined
      ? 'cluster CPU time not measurable here (no /proc)'
      : `cluster (child process) ${(f.clusterCpuMs / 1000).toFixed(2)} CPU-s, busy ${((100 * f.clusterCpuMs) / f.wallMs).toFixed(0)}% of the wall time, ` +
        `${((100 * f.clusterCpuMs) / (f.clusterCpuMs + f.scannerCpuMs)).toFixed(0)}% of the CPU both used`;
  console.log(
    `${label}: ${f.records.toLocaleString('en-US')} records, ${mib(f.bytes)}: ${formatRate(perSecond(f.records, f.scannerCpuMs))} of scanner CPU time ` +
      `(${(f.scannerCpuMs / 1000).toFixed(2)} s, this process: adapter, kafkajs, decode, replay), ` +
      `${formatRate(perSecond(f.records, f.wallMs))} of wall time (${(f.wallMs / 1000).toFixed(2)} s, what an operator waits)`,
  );
  console.log(`     ${cluster}; scanner peak rss ${mib(f.peakRss)}, peak heapUsed ${mib(f.peakHeapUsed)}; ${found}`);
}

async function run(): Promise<BenchOutcome> {
  const { child, loaded } = await startCluster();
  let port: KafkaPort | undefined;
  try {
    console.log(
      `cluster: 3 brokers in a child process (pid ${loaded.pid}), ${loaded.records.toLocaleString('en-US')} offset commits (${mib(loaded.bytes)}) ` +
        `bulk-loaded into __consumer_offsets-${loaded.partition}, the partition of ${loaded.group}`,
    );
    port = createKafkaPort({ brokers: loaded.bootstrap, clientId: 'bench-kafka-scan' });
    const scanning = port;
    // One unmeasured scan: connections open, the JIT warm, the cluster's fetch path warm.
    await readCommittedOffsets(scanning, loaded.group);

    let offsetsFound = 0;
    const one = await measure(loaded.pid, async () => {
      const result = await readCommittedOffsets(scanning, loaded.group);
      offsetsFound = Object.values(result.offsets).reduce((sum, partitions) => sum + Object.keys(partitions).length, 0);
      return result.scan;
    });
    printScan('(a) readCommittedOffsets', one, `${offsetsFound} offsets of ${loaded.group} recovered`);

    let groupsFound = 0;
    const all = await measure(loaded.pid, async () => {
      const result = await affectedGroups(scanning, loaded.partition);
      groupsFound = result.groups.length;
      return result.scan;
    });
    printScan('(b) affectedGroups', all, `${groupsFound} groups with live offsets`);
    return { floors: [] };
  } finally {
    await port?.close();
    await stopCluster(child);
  }
}

export const kafkaScanCases: BenchCase[] = [
  {
    name: 'kafka-scan',
    description: 'scanner end to end: readCommittedOffsets and affectedGroups over ~1M commits on the local cluster (child process) through the kafkajs adapter',
    run,
  },
];
