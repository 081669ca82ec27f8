/**
 * The CLI against kcat on the same partition, side by side in one run: the local cluster (child
 * process) holds 5M offset commits (483 MB, 500 groups) in one `__consumer_offsets` partition;
 * kcat consumes it raw from beginning to end (librdkafka: no decoding of keys or values), then
 * `groups --partition P` (every group, one pass) and `offsets <group>` read it through the
 * real kafkajs adapter, in this process as an operator's terminal would (output discarded).
 * The targets are wall-time ratios to kcat: groups <= 1.3x, offsets <= 1.1x. CPU time of
 * this process and of the cluster is printed beside them, since the machine may be shared.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { runCli } from '../../bin/cli/run.ts';
import { createKafkaPort } from '../../lambdas/kafka/index.ts';
import { formatRate, mib, perSecond } from '../measure.ts';
import type { BenchCase, BenchOutcome, FloorCheck } from '../types.ts';
import { processCpuMs, startCluster, stopCluster } from './kafka-scan.ts';

const PASSES = 5;
const ROUNDS = 2;

interface Timing {
  wallMs: number;
  cpuMs: number;
  clusterCpuMs: number | undefined;
}

async function timed(clusterPid: number, run: () => Promise<void>, childCpu?: () => number): Promise<Timing> {
  const clusterBefore = processCpuMs(clusterPid);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const clusterAfter = processCpuMs(clusterPid);
  return {
    wallMs,
    cpuMs: childCpu?.() ?? (used.user + used.system) / 1000,
    clusterCpuMs: clusterBefore === undefined || clusterAfter === undefined ? undefined : clusterAfter - clusterBefore,
  };
}

/** kcat reads the partition from the beginning to its end; one output line per record, counted. */
function kcat(bootstrap: string[], partition: number, expected: number): { run: () => Promise<void>; cpuMs: () => number } {
  let cpuMs = 0;
  return {
    cpuMs: () => cpuMs,
    run: () =>
      new Promise((resolve, reject) => {
        const child = spawn('kcat', ['-b', bootstrap.join(','), '-C', '-t', '__consumer_offsets', '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%o\n'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let lines = 0;
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => {
          for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
          // Sampled while it runs: /proc/<pid> is gone once it exits.
          cpuMs = processCpuMs(child.pid!) ?? cpuMs;
        });
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.once('exit', (code) => {
          if (code !== 0 || lines < expected) reject(new Error(`kcat exited ${code} after ${lines} of ${expected} records: ${stderr.trim()}`));
          else resolve();
        });
      }),
  };
}

async function cli(argv: string[]): Promise<void> {
  let out = 0;
  let err = '';
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (out += text.length) },
    stderr: { write: (text: string) => (err += text) },
    interactive: false,
    stdin: Readable.from([]),
    env: {},
    now: () => Date.now(),
    readFile: (path) => readFileSync(path),
    createPort: (config) => createKafkaPort(config),
  });
  // 4: done but incomplete (the workload's topics do not exist on the bench cluster): still a full read.
  if ((code !== 0 && code !== 4) || out === 0) throw new Error(`${argv.slice(0, 3).join(' ')} exited ${code}: ${err.trim()}`);
}

function line(label: string, t: Timing, records: number, kcatMs: number): string {
  const cluster = t.clusterCpuMs === undefined ? '' : `, cluster ${(t.clusterCpuMs / 1000).toFixed(2)} CPU-s`;
  return (
    `${label.padEnd(22)} ${(t.wallMs / 1000).toFixed(2)} s wall (${(t.wallMs / kcatMs).toFixed(2)}x kcat), ` +
    `${(t.cpuMs / 1000).toFixed(2)} CPU-s of its own (${formatRate(perSecond(records, t.cpuMs))} per CPU-second)${cluster}`
  );
}

async function run(): Promise<BenchOutcome> {
  const { child, loaded } = await startCluster(PASSES);
  try {
    const bootstrap = ['--bootstrap', loaded.bootstrap.join(',')];
    console.log(
      `cluster: ${loaded.records.toLocaleString('en-US')} offset commits (${mib(loaded.bytes)}) in __consumer_offsets-${loaded.partition} ` +
        `(child pid ${loaded.pid}); ${ROUNDS} rounds of kcat, groups, offsets one after the other`,
    );
    // Warm: connections, JIT, the cluster's fetch path.
    await cli(['offsets', loaded.group, ...bootstrap]);
    const ratios = { groups: [] as number[], offsets: [] as number[] };
    for (let round = 1; round <= ROUNDS; round++) {
      const raw = kcat(loaded.bootstrap, loaded.partition, loaded.records);
      const k = await timed(loaded.pid, raw.run, raw.cpuMs);
      const g = await timed(loaded.pid, () => cli(['groups', '--partition', String(loaded.partition), ...bootstrap]));
      const o = await timed(loaded.pid, () => cli(['offsets', loaded.group, ...bootstrap]));
      console.log(`round ${round}:`);
      console.log(`  ${line('kcat (raw consume)', k, loaded.records, k.wallMs)}`);
      console.log(`  ${line('groups --partition P', g, loaded.records, k.wallMs)}`);
      console.log(`  ${line('offsets <group>', o, loaded.records, k.wallMs)}`);
      ratios.groups.push(g.wallMs / k.wallMs);
      ratios.offsets.push(o.wallMs / k.wallMs);
    }
    const best = (values: number[]) => Math.min(...values);
    const floors: FloorCheck[] = [
      { label: 'groups --partition P, wall time / kcat (best round)', value: best(ratios.groups), floor: 1.3, unit: 'x', atMost: true },
      { label: 'offsets <group>, wall time / kcat (best round)', value: best(ratios.offsets), floor: 1.1, unit: 'x', atMost: true },
    ];
    return { floors };
  } finally {
    await stopCluster(child);
  }
}

export const cliVsKcatCases: BenchCase[] = [
  {
    name: 'cli-vs-kcat',
    description: 'groups --partition P and offsets <group> against kcat raw consume of the same 5M-commit partition on the local cluster, side by side',
    run,
  },
];
