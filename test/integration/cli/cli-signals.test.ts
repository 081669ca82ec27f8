/**
 * Ctrl-C through the installed bin (the built dist/js/cli.js as a child process): one SIGINT,
 * or the same keypress delivered twice within a few milliseconds, stops the scan, prints where
 * it stopped and exits 130; while the CLI is still connecting, it stops within a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOffsetsSegment, DEFAULT_SHAPE } from '../../../bench/offsets-workload.ts';
import type { LocalCluster } from '../../../local/kafka/index.ts';
import { ApiKey } from '../../../local/kafka/protocol/api-keys.ts';
import { BUILT_CLI } from '../../support/build-cli.ts';
import { waitFor } from '../../support/wait.ts';
import { startCluster } from '../kafka/helpers.ts';

const PARTITION = 3;

let cluster: LocalCluster;
let bootstrap: string;

interface Running {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<{ code: number | null; at: number }>;
}

function start(argv: string[]): Running {
  const child = spawn(process.execPath, [BUILT_CLI, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: Date.now() })));
  return { child, stderr: () => err, exited };
}

beforeAll(async () => {
  cluster = await startCluster();
  bootstrap = cluster.bootstrapServers.join(',');
  // About 40 MiB of offset commits, each 8 MiB Fetch answered after 300 ms: a scan of a few seconds.
  const segment = buildOffsetsSegment({ ...DEFAULT_SHAPE, records: 300_000 });
  const log = cluster.cluster.requirePartition('__consumer_offsets', PARTITION).log;
  for (const fetch of segment.fetches) log.append(fetch, { timestampType: 'LogAppendTime' });
  cluster.faults.slowResponses({ apiKey: ApiKey.Fetch, delayMs: 300 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Starts a scan with progress lines (--debug) and waits until it is reading. */
async function scanUnderway(): Promise<Running> {
  const run = start(['groups', '--partition', String(PARTITION), '--bootstrap', bootstrap, '--debug']);
  await waitFor('the scan to report progress', () => /scanning __consumer_offsets-3: offset [1-9]/.test(run.stderr()) || undefined).catch((error: Error) => {
    throw new Error(`${error.message}; stderr so far:\n${run.stderr().slice(-2000)}`);
  });
  return run;
}

function stoppedAt(stderr: string): { offset: bigint; end: bigint } {
  const match = /^interrupted: stopped at offset (\d+) of __consumer_offsets-3 \(log end (\d+), \d+ records read\); nothing was written\.$/m.exec(stderr);
  expect(match, stderr).not.toBeNull();
  return { offset: BigInt(match![1]!), end: BigInt(match![2]!) };
}

describe('Ctrl-C during a scan', () => {
  it('one SIGINT stops it, says where and how to go on, and exits 130', async () => {
    const run = await scanUnderway();
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(130);
    const { offset, end } = stoppedAt(run.stderr());
    expect(offset).toBeGreaterThan(0n);
    expect(offset).toBeLessThan(end);
    expect(run.stderr()).toContain('Run the same command again to start over (it is read-only); add --checkpoint FILE to be able to resume an interrupted scan.');
  });

  it('the same keypress delivered twice within a few ms is one request: the stop is still reported', async () => {
    const run = await scanUnderway();
    run.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 3));
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(130);
    stoppedAt(run.stderr());
    expect(run.stderr()).not.toContain('leaving at once');
  });
});

describe('Ctrl-C while connecting', () => {
  let silent: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // Accepts connections and never answers: the CLI is stuck in its first request.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('stops within a second and exits 130', async () => {
    const port = (silent.address() as { port: number }).port;
    const run = start(['coordinator', 'billing', '--bootstrap', `127.0.0.1:${port}`]);
    await waitFor('the CLI to connect', () => sockets.length > 0 || undefined);
    const signalledAt = Date.now();
    run.child.kill('SIGINT');
    const { code, at } = await run.exited;
    expect(code, run.stderr()).toBe(130);
    expect(at - signalledAt).toBeLessThan(1000);
    expect(run.stderr()).toContain('interrupted while waiting for the cluster to answer');
  });
});
