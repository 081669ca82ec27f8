/**
 * The operator CLI against the local cluster: every command in-process through the real Kafka
 * adapter, and the installed `coordinator-recovery` bin (the built dist/js/cli.js) as a child
 * process, the way an operator runs it.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, Kafka } from 'kafkajs';
import { KCAT_FORMAT } from '../../../bin/cli/kcat-frames.ts';
import { offsetsPartitionForCount } from '../../../lambdas/core/operations/index.ts';
import { decodeRecordBatches } from '../../../lambdas/core/record-batch/index.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import type { LocalCluster } from '../../../local/kafka/index.ts';
import { BUILT_CLI as BIN } from '../../support/build-cli.ts';
import { runCliInProcess, type CliRun } from '../../support/run-cli.ts';
import { OFFSETS_PARTITIONS, consumeAll, createTopic, produce, realClient, startCluster } from '../kafka/helpers.ts';

const GROUP = 'billing-service';
const LIVE_GROUP = 'live-service';

let cluster: LocalCluster;
let kafka: Kafka;
let live: Consumer | undefined;
let bootstrap: string;

function cli(argv: string[], stdin: string[] = []): Promise<CliRun> {
  return runCliInProcess(argv, { stdin: Readable.from(stdin) });
}

/** The npm bin as a child process; asynchronous, because the cluster answers from this process. */
function shim(argv: string[], stdin: string | Buffer = ''): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, KAFKA_BOOTSTRAP: bootstrap } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(stdin);
  });
}

beforeAll(async () => {
  cluster = await startCluster();
  bootstrap = cluster.bootstrapServers.join(',');
  kafka = realClient(cluster);
  await createTopic(kafka, 'invoices', 2);
  await produce(kafka, 'invoices', 2, 3);
  const done = await consumeAll(kafka, GROUP, 'invoices', 6);
  await done.disconnect();
  live = await consumeAll(kafka, LIVE_GROUP, 'invoices', 6);
});

afterAll(async () => {
  await live?.disconnect();
  await cluster?.stop();
});

describe('commands in-process through the adapter', () => {
  it('partition-for agrees with and without --partitions', async () => {
    const fromCluster = await cli(['partition-for', GROUP, '--bootstrap', bootstrap, '--json']);
    const pure = await cli(['partition-for', GROUP, '--partitions', String(OFFSETS_PARTITIONS), '--json']);
    expect(fromCluster.code).toBe(0);
    expect(JSON.parse(fromCluster.out).partition).toBe(JSON.parse(pure.out).partition);
    expect(JSON.parse(pure.out).partition).toBe(offsetsPartitionForCount(GROUP, OFFSETS_PARTITIONS));
  });

  it('coordinator and partitions --broker agree', async () => {
    const coordinator = await cli(['coordinator', GROUP, '--bootstrap', bootstrap, '--json']);
    expect(coordinator.code).toBe(0);
    const location = JSON.parse(coordinator.out);
    const partitions = await cli(['partitions', '--broker', String(location.brokerId), '--bootstrap', bootstrap, '--json']);
    expect(JSON.parse(partitions.out).partitions).toContain(location.partition);
    const human = await cli(['coordinator', GROUP, '--bootstrap', bootstrap]);
    expect(human.out).toContain(`__consumer_offsets-${location.partition}`);
  });

  it('groups lists both groups on their partitions, the live one with its subscription', async () => {
    const partitions = [...new Set([GROUP, LIVE_GROUP].map((g) => offsetsPartitionForCount(g, OFFSETS_PARTITIONS)))];
    const result = await cli(['groups', '--partition', partitions.join(','), '--since', '1h', '--bootstrap', bootstrap, '--json']);
    expect(result.code).toBe(0);
    const groups = (JSON.parse(result.out) as { groups: { groupId: string; subscribedTopics: string[]; topics: string[] }[] }[]).flatMap((r) => r.groups);
    expect(groups.find((g) => g.groupId === GROUP)?.topics).toEqual(['invoices']);
    expect(groups.find((g) => g.groupId === LIVE_GROUP)?.subscribedTopics).toEqual(['invoices']);
    const human = await cli(['groups', '--partition', partitions.join(','), '--bootstrap', bootstrap]);
    expect(human.out).toMatch(new RegExp(`${GROUP}\\s+invoices\\s+consumer`));
  });

  it('groups --broker scans every partition the broker leads: from blast radius to groups in one step', async () => {
    const coordinator = JSON.parse((await cli(['coordinator', GROUP, '--bootstrap', bootstrap, '--json'])).out) as { brokerId: number; partition: number };
    const leads = JSON.parse((await cli(['partitions', '--broker', String(coordinator.brokerId), '--bootstrap', bootstrap, '--json'])).out) as { partitions: number[] };
    const result = await cli(['groups', '--broker', String(coordinator.brokerId), '--bootstrap', bootstrap, '--json']);
    expect(result.code, result.err).toBe(0);
    const results = JSON.parse(result.out) as { partition: number; groups: { groupId: string }[] }[];
    expect(results.map((r) => r.partition)).toEqual(leads.partitions);
    expect(results.find((r) => r.partition === coordinator.partition)?.groups.map((g) => g.groupId)).toContain(GROUP);
  });

  it('offsets prints the recovered offsets and the completeness report', async () => {
    const json = await cli(['offsets', GROUP, '--since', '1h', '--bootstrap', bootstrap, '--json']);
    expect(json.code).toBe(0);
    const { offsets, completeness } = JSON.parse(json.out);
    expect(offsets.offsets).toEqual({ invoices: { '0': expect.objectContaining({ offset: '3' }), '1': expect.objectContaining({ offset: '3' }) } });
    expect(completeness.complete).toBe(true);
    const human = await cli(['offsets', GROUP, '--bootstrap', bootstrap]);
    expect(human.out).toMatch(/invoices\s+0\s+3\s+0\s+OK/);
    expect(human.out).toContain('complete: every known partition has a valid offset');
  });

  it('works while the group\'s coordinator is FAILED', async () => {
    const partition = offsetsPartitionForCount(GROUP, OFFSETS_PARTITIONS);
    await cluster.faults.failCoordinator(partition);
    try {
      const result = await cli(['offsets', GROUP, '--bootstrap', bootstrap, '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out).offsets.offsets.invoices['1'].offset).toBe('3');
    } finally {
      await cluster.faults.healCoordinator(partition);
    }
  });

  it('exits 1 with one line when the cluster is unreachable, 2 for a partition out of range', async () => {
    const down = await cli(['coordinator', GROUP, '--bootstrap', '127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.err.trim().split('\n')).toHaveLength(1);
    expect(down.err).toContain('127.0.0.1:1');
    const outOfRange = await cli(['groups', '--partition', String(OFFSETS_PARTITIONS), '--bootstrap', bootstrap]);
    expect(outOfRange.code).toBe(2);
  });
});

describe('the installed bin', () => {
  it('runs a command against the cluster with KAFKA_BOOTSTRAP from the environment', async () => {
    const result = await shim(['offsets', GROUP, '--json']);
    expect(result.code, result.err).toBe(0);
    expect(result.err).not.toMatch(/error/i);
    expect(JSON.parse(result.out).offsets.offsets.invoices['0'].offset).toBe('3');
  });

  it('exits 2 on bad input', async () => {
    const result = await shim(['groups', '--partition', 'x']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--partition');
  });

  it('decodes raw records fetched from __consumer_offsets', async () => {
    const port = createKafkaPort({ brokers: cluster.bootstrapServers });
    let lines: string[];
    try {
      const partition = offsetsPartitionForCount(GROUP, OFFSETS_PARTITIONS);
      const fetched = await port.fetch({ topic: '__consumer_offsets', partition, offset: 0n, maxBytes: 1 << 20, isolation: 'read_committed', maxWaitMs: 0 });
      lines = decodeRecordBatches(fetched.records)
        .batches.flatMap((batch) => (batch.kind === 'records' && !batch.isControl ? batch.records() : []))
        .map((record) => JSON.stringify({ key: record.key?.toString('hex') ?? '', value: record.value === null ? null : record.value.toString('hex') }));
    } finally {
      await port.close();
    }
    expect(lines.length).toBeGreaterThan(0);
    const result = await shim(['decode'], `${lines.join('\n')}\n`);
    expect(result.code).toBe(0);
    const decoded = result.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(decoded).toHaveLength(lines.length);
    const commits = decoded.filter((d) => d['kind'] === 'offset-commit' && d['group'] === GROUP);
    expect(commits.map((c) => (c['value'] as { offset: string }).offset)).toContain('3');
  });

  it('decodes what kcat reads from __consumer_offsets, with the format the help gives', async () => {
    const partition = offsetsPartitionForCount(GROUP, OFFSETS_PARTITIONS);
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const kcat = spawn('kcat', ['-b', bootstrap, '-C', '-t', '__consumer_offsets', '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', KCAT_FORMAT], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const chunks: Buffer[] = [];
      let err = '';
      kcat.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      kcat.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      kcat.on('error', reject);
      kcat.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`kcat exited ${code}: ${err}`))));
    });
    const result = await shim(['decode', '--format', 'kcat'], raw);
    expect(result.code, result.err).toBe(0);
    expect(result.err).toBe('');
    const decoded = result.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(decoded.every((d) => d['logPartition'] === partition && typeof d['logOffset'] === 'string')).toBe(true);
    const commits = decoded.filter((d) => d['kind'] === 'offset-commit' && d['group'] === GROUP && d['tombstone'] === false);
    expect(commits.map((c) => [c['topic'], c['partition'], (c['value'] as { offset: string }).offset])).toContainEqual(['invoices', 0, '3']);
    expect(decoded.some((d) => d['kind'] === 'group-metadata' && d['group'] === GROUP)).toBe(true);
  });
});
