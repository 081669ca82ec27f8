/** The pure parts of diagnose, export, plan, seed, verify and playbook; the commands run end to end in test/integration/cli/operator-commands.test.ts. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../bin/cli/command.ts';
import { COMMANDS } from '../../../bin/cli/commands/index.ts';
import { exportCsv, exportRows, parseExportFormat } from '../../../bin/cli/commands/export.ts';
import { parseTargets } from '../../../bin/cli/commands/plan.ts';
import { askConsent } from '../../../bin/cli/confirm.ts';
import { loadPlanFile, requireSameCluster, writePlanFiles } from '../../../bin/cli/plan-file.ts';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import { runCli } from '../../../bin/cli/run.ts';
import type { GroupOffsetsResult } from '../../../lambdas/core/model.ts';
import type { RecoveryPlan } from '../../../lambdas/core/workflow/documents.ts';
import { fakeIo } from './fake-io.ts';

function context(options: { interactive?: boolean; tty?: boolean; answer?: string } = {}): CommandContext & { err(): string } {
  const stdin = Object.assign(Readable.from(options.answer === undefined ? [] : [options.answer]), options.tty ? { isTTY: true } : {});
  const io = fakeIo({ stdin, interactive: options.interactive ?? false });
  return {
    io,
    json: false,
    debug: false,
    port: async () => {
      throw new Error('no cluster in unit tests');
    },
    note: () => undefined,
    progress: () => undefined,
    err: () => io.err(),
  };
}

function result(groupId: string, offsets: Record<string, Record<string, string>>): GroupOffsetsResult {
  const entries = Object.fromEntries(
    Object.entries(offsets).map(([topic, partitions]) => [topic, Object.fromEntries(Object.entries(partitions).map(([p, offset]) => [p, { offset } as never]))]),
  );
  return { groupId, offsetsPartition: 0, offsets: entries, groupMetadata: null, scan: {} as never } as GroupOffsetsResult;
}

describe('the commands', () => {
  it.each(['diagnose', 'export', 'plan', 'seed', 'verify', 'playbook'])('%s --help has an example and the exit codes', async (name) => {
    const io = fakeIo();
    expect(await runCli([name, '--help'], io)).toBe(0);
    expect(io.out()).toMatch(new RegExp(`Example: coordinator-recovery ${name} `));
    expect(io.out()).toContain('Exit codes:');
  });

  it.each(COMMANDS.map((c) => c.name))('%s --help (every command) shows an example', async (name) => {
    const io = fakeIo();
    await runCli([name, '--help'], io);
    expect(io.out()).toMatch(new RegExp(`Examples?:[\\s\\S]*coordinator-recovery ${name}[ \n]`));
  });

  it('is listed once in --help', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of ['diagnose', 'export', 'plan', 'seed', 'verify', 'playbook']) expect(names).toContain(name);
  });
});

describe('export formats', () => {
  const results = [result('b-service', { orders: { '1': '7', '0': '4' } }), result('a-service', { audit: { '0': '1' } })];

  it('sorts rows by group, topic, partition, with offsets as numbers', () => {
    expect(exportRows(results)).toEqual([
      { group: 'a-service', topic: 'audit', partition: 0, offset: 1 },
      { group: 'b-service', topic: 'orders', partition: 0, offset: 4 },
      { group: 'b-service', topic: 'orders', partition: 1, offset: 7 },
    ]);
  });

  it('writes topic,partition,offset for one group and adds the group column for several', () => {
    expect(exportCsv(exportRows([results[0]!]), ['b-service'])).toBe('orders,0,4\norders,1,7');
    expect(exportCsv(exportRows(results), ['a-service', 'b-service'])).toBe('a-service,audit,0,1\nb-service,orders,0,4\nb-service,orders,1,7');
  });

  it('refuses an offset a JSON number would round', () => {
    expect(() => exportRows([result('g', { t: { '0': '9007199254740993' } })])).toThrow(/beyond what JSON numbers carry/);
  });

  it('knows json and csv only', () => {
    expect(parseExportFormat(undefined)).toBe('json');
    expect(parseExportFormat('csv')).toBe('csv');
    expect(() => parseExportFormat('xml')).toThrow(/--format: "xml" is not a format/);
  });
});

describe('plan --target', () => {
  it('takes a bare name for one group and SOURCE=NAME for several', () => {
    expect(parseTargets(['orders-v2'], ['orders'])).toEqual({ orders: 'orders-v2' });
    expect(parseTargets(['a=a-2', 'b=b-2'], ['a', 'b'])).toEqual({ a: 'a-2', b: 'b-2' });
  });

  it('names the flag when the value is ambiguous, unknown or the source itself', () => {
    expect(() => parseTargets(['x'], ['a', 'b'])).toThrow(/--target: "x" does not say which of the 2 groups/);
    expect(() => parseTargets(['c=c-2'], ['a', 'b'])).toThrow(/--target: "c" is not one of the groups/);
    expect(() => parseTargets(['orders'], ['orders'])).toThrow(/--target: "orders" is the group being recovered/);
  });
});

describe('asking before a write', () => {
  it('approves with --yes without asking', async () => {
    const c = context();
    expect(await askConsent(c, 'write?', true)).toEqual({ approved: true, how: 'yes-flag' });
    expect(c.err()).toBe('');
  });

  it('says no without a terminal, even when stdin carries a "y"', async () => {
    expect(await askConsent(context({ answer: 'y\n' }), 'write?', false)).toMatchObject({ approved: false, why: expect.stringContaining('no terminal') });
    expect(await askConsent(context({ interactive: true, answer: 'y\n' }), 'write?', false)).toMatchObject({ approved: false });
  });

  it('asks on a terminal: y approves, an empty answer is no', async () => {
    const yes = context({ interactive: true, tty: true, answer: 'y\n' });
    expect(await askConsent(yes, 'write?', false)).toEqual({ approved: true, how: 'terminal' });
    expect(yes.err()).toBe('write? [y/N] ');
    expect(await askConsent(context({ interactive: true, tty: true, answer: '\n' }), 'write?', false)).toMatchObject({ approved: false, why: 'no answer (the default is no)' });
  });
});

describe('plan files', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const plan = { planId: 'p', clusterArn: 'kafka-cluster-id:c', groups: [], warnings: [] } as unknown as RecoveryPlan;
  const read = (path: string): Buffer => readFileSync(path);

  it('loads a plan whose bytes match the hash written beside it', () => {
    dir = mkdtempSync(join(tmpdir(), 'plan-file-'));
    const file = join(dir, 'plan.json');
    const sha = writePlanFiles(file, plan);
    expect(loadPlanFile(file, read, undefined)).toEqual({ plan, sha256: sha });
    expect(loadPlanFile(file, read, sha.toUpperCase()).sha256).toBe(sha);
  });

  it('refuses a hash the reviewer did not see, and a plan without its hash', () => {
    dir = mkdtempSync(join(tmpdir(), 'plan-file-'));
    const file = join(dir, 'plan.json');
    writePlanFiles(file, plan);
    expect(() => loadPlanFile(file, read, 'ab'.repeat(32))).toThrow(expect.objectContaining({ code: 'REFUSED' }));
    const bare = join(dir, 'bare.json');
    writeFileSync(bare, readFileSync(file));
    expect(() => loadPlanFile(bare, read, undefined)).toThrow(/bare\.json\.sha256 is missing beside the plan/);
  });
});

describe('the cluster a plan is for', () => {
  const connectedTo = (clusterId: string): KafkaPort => ({ metadata: async () => ({ clusterId, controllerId: 1, brokers: [], topics: [] }) }) as unknown as KafkaPort;
  const planFor = (clusterArn: string) => ({ clusterArn }) as RecoveryPlan;

  it('accepts the cluster the plan was made on and refuses another', async () => {
    await expect(requireSameCluster(connectedTo('abc'), planFor('kafka-cluster-id:abc'), undefined)).resolves.toBeUndefined();
    await expect(requireSameCluster(connectedTo('xyz'), planFor('kafka-cluster-id:abc'), undefined)).rejects.toMatchObject({
      code: 'REFUSED',
      message: expect.stringContaining('the plan is for kafka-cluster-id:abc, but --bootstrap reaches kafka-cluster-id:xyz'),
    });
  });

  it('needs --cluster-arn to match a workflow plan that names an MSK cluster', async () => {
    const arn = 'arn:aws:kafka:eu-west-1:111122223333:cluster/orders/0a1b-2';
    await expect(requireSameCluster(connectedTo('abc'), planFor(arn), undefined)).rejects.toMatchObject({ code: 'REFUSED', details: { field: '--cluster-arn' } });
    await expect(requireSameCluster(connectedTo('abc'), planFor(arn), arn)).resolves.toBeUndefined();
  });
});

describe('diagnose', () => {
  it('needs something to check', async () => {
    const io = fakeIo();
    expect(await runCli(['diagnose'], io)).toBe(2);
    expect(io.err()).toContain('has nothing to check');
  });
});
