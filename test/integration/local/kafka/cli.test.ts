import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { killChildren, runProcess } from './helpers.ts';
import { tempDirForSuite } from '../../../support/temp-dir.ts';

const cli = fileURLToPath(new URL('../../../../local/kafka/cli.ts', import.meta.url));
const tsxArgs = ['--import', 'tsx', cli];

describe('npm run local CLI', () => {
  const dir = tempDirForSuite('local-kafka-cli-');
  const env = { ...process.env, LOCAL_KAFKA_STATE: join(dir, 'state.json') };
  let up: ChildProcess | undefined;

  afterAll(() => {
    up?.kill('SIGKILL');
    killChildren();
  });

  const run = (...args: string[]) => runProcess(process.execPath, [...tsxArgs, ...args], { env, timeoutMs: 30_000 });

  it('runs a cluster, drives it by its state file, and leaves nothing behind on SIGTERM', async () => {
    up = spawn(process.execPath, [...tsxArgs, 'up', '--brokers', '2', '--port', '0', '--offsets-partitions', '4', '--leader-imbalance-check-interval-ms', '600000'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    // 'close', not 'exit': only then has every byte the process wrote to stdout been read.
    const exited = new Promise<number | null>((resolve) => up!.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no bootstrap line; got: ${out}`)), 30_000);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`up exited (${code}) before printing its addresses; got: ${out}`));
      });
      up!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('\n').length > 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const [first, second] = out.split('\n');
    expect(first).toMatch(/^bootstrap: 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    expect(second).toMatch(/^control: http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(env.LOCAL_KAFKA_STATE)).toBe(true);

    const status = await run('status', '--json');
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { brokers: Array<{ id: number; running: boolean }>; topics: Array<{ name: string; partitions: unknown[] }> };
    expect(parsed.brokers.map((b) => b.id)).toEqual([1, 2]);
    expect(parsed.topics.find((t) => t.name === '__consumer_offsets')!.partitions).toHaveLength(4);

    const stopped = await run('stop-broker', '--id', '2');
    expect(stopped.stdout.trim()).toBe('stopped broker 2');
    const kcat = await runProcess('kcat', ['-b', first!.slice('bootstrap: '.length).split(',')[0]!, '-L'], { timeoutMs: 15_000 });
    expect(kcat.stdout).toContain(' 1 brokers:');
    expect((await run('start-broker', '--id', '2')).code).toBe(0);
    // Broker 2 is back as a follower; a preferred election gives it back the partitions it prefers (1 and 3 of 4).
    const elected = await run('elect-leaders', '--topic', '__consumer_offsets');
    expect(elected.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^__consumer_offsets-1 is led by broker 2 at epoch \d+$/),
      expect.stringMatching(/^__consumer_offsets-3 is led by broker 2 at epoch \d+$/),
    ]);
    expect((await run('elect-leaders', '--partition', '1')).stderr).toContain('--partition needs --topic');
    const moved = await run('move-leader', '--partition', '0', '--to', '2');
    expect(moved.stdout.trim()).toMatch(/^__consumer_offsets-0 is led by broker 2 at epoch \d+$/);
    expect((await run('compact', '--topic', '__consumer_offsets')).stdout).toContain('compacted __consumer_offsets');

    const usage = await run('stop-broker');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--id is required');
    const refused = await run('stop-broker', '--id', '7');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no broker 7/);

    up.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped');
    expect(existsSync(env.LOCAL_KAFKA_STATE)).toBe(false);
    const after = await run('status');
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/no running cluster found/);
  }, 90_000);
});
