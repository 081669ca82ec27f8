/**
 * The operator's commands (diagnose, export, plan, seed, verify, playbook) against the local
 * cluster, with kafka-python as the independent client that commits the offsets to recover and
 * reads back what seed wrote.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import { startAwsStandins, type AwsStandins } from '../../../local/aws/index.ts';
import { CONSUMER_OFFSETS, type LocalCluster } from '../../../local/kafka/index.ts';
import { PYTHON, runProcess } from '../local/kafka/helpers.ts';
import { OFFSETS_PARTITIONS, consumeAll, produce, realClient, startCluster, waitFor } from '../kafka/helpers.ts';
import { runCliInProcess, type CliRun } from '../../support/run-cli.ts';
import { tempDirForSuite } from '../../support/temp-dir.ts';

const PY = fileURLToPath(new URL('./kafka_python_offsets.py', import.meta.url));
const TOPIC = 'payments';
const SOURCE = 'payments-service';
const OTHER = 'audit-service';
const COMMITTED = { 0: 4, 1: 7, 2: 9 } as const;

let cluster: LocalCluster;
let bootstrap: string;
const dir = tempDirForSuite('operator-commands-');

function cli(argv: string[], options: { stdin?: Readable; interactive?: boolean } = {}): Promise<CliRun> {
  return runCliInProcess([...argv, '--bootstrap', bootstrap], { ...options, env: { USER: 'it-operator' } });
}

async function python(mode: 'commit' | 'committed', group: string, spec: string): Promise<Record<string, number | null>> {
  const result = await runProcess(PYTHON, [PY, mode, bootstrap, group, TOPIC, spec], { timeoutMs: 40_000 });
  expect(result.stderr).not.toMatch(/Traceback/);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, number | null>;
}

/** A group name whose shard is led by another broker than `failing`, so it lands on a healthy coordinator. */
function nameAwayFromBroker(prefix: string, failing: number): string {
  for (let n = 1; ; n++) {
    const name = `${prefix}-${n}`;
    if (offsetsLeader(partitionForGroup(name, OFFSETS_PARTITIONS)).leader !== failing) return name;
  }
}

function shardStatus(partition: number): string | undefined {
  const status = cluster.coordinator?.status?.() as { shards: { partition: number; status: string }[] } | undefined;
  return status?.shards.find((s) => s.partition === partition)?.status;
}

function offsetsLeader(partition: number): { leader: number; replicas: number[]; isr: number[] } {
  const p = cluster.cluster.requirePartition(CONSUMER_OFFSETS, partition);
  return { leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] };
}

const sourceShard = partitionForGroup(SOURCE, OFFSETS_PARTITIONS);

beforeAll(async () => {
  cluster = await startCluster();
  bootstrap = cluster.bootstrapServers.join(',');
  cluster.cluster.createTopic(TOPIC, { partitions: 3 });
  await produce(realClient(cluster), TOPIC, 3, 10);
  await python('commit', SOURCE, Object.entries(COMMITTED).map(([p, o]) => `${p}:${o}`).join(','));
  await python('commit', OTHER, '0:1');
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('export', () => {
  it('gives the offsets kafka-python committed, as JSON and as CSV for kafka-consumer-groups --from-file', async () => {
    const json = await cli(['export', SOURCE, '--format', 'json']);
    expect(json.code, json.err).toBe(0);
    expect(json.err).toBe('');
    expect(JSON.parse(json.out)).toEqual(Object.entries(COMMITTED).map(([partition, offset]) => ({ group: SOURCE, topic: TOPIC, partition: Number(partition), offset })));

    const csv = await cli(['export', SOURCE, '--format', 'csv']);
    expect(csv.code, csv.err).toBe(0);
    expect(csv.out.trim().split('\n')).toEqual(['payments,0,4', 'payments,1,7', 'payments,2,9']);

    const both = await cli(['export', SOURCE, OTHER, '--format', 'csv']);
    // audit-service committed partition 0 only: exported as is, the gaps named, exit 4.
    expect(both.code).toBe(4);
    expect(both.err).toMatch(/audit-service: MISSING.*payments-1/);
    expect(both.out.trim().split('\n')).toEqual(['audit-service,payments,0,1', 'payments-service,payments,0,4', 'payments-service,payments,1,7', 'payments-service,payments,2,9']);
  }, 60_000);

  it('refuses an unknown format, naming the flag', async () => {
    const bad = await cli(['export', SOURCE, '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--format');
  });
});

describe('diagnose --all-shards', () => {
  const other = (sourceShard + 5) % OFFSETS_PARTITIONS;

  it('lists exactly the shards made FAILED, and none before', async () => {
    const healthy = await cli(['diagnose', '--all-shards', '--json']);
    expect(healthy.code, healthy.err).toBe(0);
    const before = JSON.parse(healthy.out) as { verdict: string; failedShards: unknown[]; checkedShards: number };
    expect(before.verdict).toBe('HEALTHY');
    expect(before.failedShards).toEqual([]);
    expect(before.checkedShards).toBe(OFFSETS_PARTITIONS);

    await cluster.faults.failCoordinator(sourceShard);
    await cluster.faults.failCoordinator(other);
    try {
      const failed = await cli(['diagnose', '--all-shards', '--json']);
      expect(failed.code, failed.err).toBe(0);
      const after = JSON.parse(failed.out) as { verdict: string; failedShards: { partition: number; brokerId: number }[] };
      expect(after.verdict).toBe('COORDINATOR_FAILED');
      expect(after.failedShards).toEqual(
        [sourceShard, other].sort((a, b) => a - b).map((partition) => ({ partition, brokerId: offsetsLeader(partition).leader })),
      );
      const human = await cli(['diagnose', SOURCE]);
      expect(human.out).toContain('verdict: COORDINATOR_FAILED');
      expect(human.out).toMatch(new RegExp(`${SOURCE}\\s+${sourceShard}\\s.*NOT_COORDINATOR`));
    } finally {
      await cluster.faults.healCoordinator(other);
    }
  }, 60_000);
});

describe('diagnose with the MSK broker logs (AWS stand-ins)', () => {
  let aws: AwsStandins;
  const saved = { ...process.env };

  beforeAll(async () => {
    if (shardStatus(sourceShard) !== 'FAILED') await cluster.faults.failCoordinator(sourceShard);
    aws = await startAwsStandins({ cluster, clusterName: 'payments-prod' });
    // The CLI builds its AWS clients from the environment, as on an operator's machine.
    Object.assign(process.env, aws.environment());
  });

  afterAll(async () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    await aws?.stop();
  });

  it('--cluster-arn finds the load failure in the broker logs and confirms it live', async () => {
    const result = await cli(['diagnose', SOURCE, '--cluster-arn', aws.clusterArn, '--json']);
    expect(result.code, result.err).toBe(0);
    const doc = JSON.parse(result.out) as { verdict: string; failedShards: { partition: number }[]; logSearch: { logGroup: string; findings: { partition: number; phrase: string }[] }; evidence: { kind: string; partition: number | null }[] };
    expect(doc.verdict).toBe('COORDINATOR_FAILED');
    expect(doc.logSearch.logGroup).toBe(aws.logGroupName);
    expect(doc.logSearch.findings.map((f) => f.partition)).toContain(sourceShard);
    expect(doc.evidence.some((e) => e.kind === 'LOG' && e.partition === sourceShard)).toBe(true);
    expect(doc.failedShards.map((s) => s.partition)).toContain(sourceShard);
  }, 60_000);

  it('--log-group reads the group directly; a bad ARN names the flag', async () => {
    const direct = await cli(['diagnose', '--log-group', aws.logGroupName, '--region', aws.region, '--json']);
    expect(direct.code, direct.err).toBe(0);
    expect((JSON.parse(direct.out) as { failedShards: { partition: number }[] }).failedShards.map((s) => s.partition)).toContain(sourceShard);
    const bad = await cli(['diagnose', '--cluster-arn', 'orders-prod']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--cluster-arn');
  }, 60_000);
});

describe('plan, seed, verify (the source shard stays FAILED)', () => {
  let target: string;
  let planFile: string;

  beforeAll(async () => {
    if (shardStatus(sourceShard) !== 'FAILED') await cluster.faults.failCoordinator(sourceShard);
    target = nameAwayFromBroker(`${SOURCE}-v2`, offsetsLeader(sourceShard).leader);
    planFile = join(dir, 'plan.json');
  });

  it('plan writes the workflow plan document and its sha256, nothing to Kafka', async () => {
    const result = await cli(['plan', SOURCE, '--target', target, '--out', planFile]);
    expect(result.code, result.err).toBe(0);
    const bytes = readFileSync(planFile);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(readFileSync(`${planFile}.sha256`, 'utf8')).toBe(`${sha}  plan.json\n`);
    expect(result.out).toContain(sha);
    const plan = JSON.parse(bytes.toString('utf8')) as { groups: { sourceGroup: string; targetGroup: string; blocked: boolean; offsets: { topic: string; partition: number; offset: string }[] }[] };
    expect(plan.groups).toHaveLength(1);
    expect(plan.groups[0]).toMatchObject({ sourceGroup: SOURCE, targetGroup: target, blocked: false });
    expect(plan.groups[0]!.offsets.map((o) => [o.partition, o.offset])).toEqual(Object.entries(COMMITTED).map(([p, o]) => [Number(p), String(o)]));
    expect(await python('committed', target, '3')).toEqual({ 0: null, 1: null, 2: null });
  }, 60_000);

  it('seed without a terminal and without --yes refuses with exit 3 and writes nothing', async () => {
    const result = await cli(['seed', '--plan', planFile]);
    expect(result.code).toBe(3);
    expect(result.err).toContain('not approved');
    expect(existsSync(join(dir, 'plan.approval.json'))).toBe(false);
    expect(await python('committed', target, '3')).toEqual({ 0: null, 1: null, 2: null });
  }, 60_000);

  it('seed on a terminal answered "n" refuses and writes nothing', async () => {
    const stdin = Object.assign(Readable.from(['n\n']), { isTTY: true });
    const result = await cli(['seed', '--plan', planFile], { stdin, interactive: true });
    expect(result.code).toBe(3);
    expect(result.err).toContain('approve? [y/N]');
    expect(result.err).toContain(`Group ${SOURCE} -> ${target}`);
    expect(await python('committed', target, '3')).toEqual({ 0: null, 1: null, 2: null });
  }, 60_000);

  it('seed refuses a plan edited after planning', async () => {
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, readFileSync(planFile, 'utf8').replace('"offset": "9"', '"offset": "90"'));
    writeFileSync(`${edited}.sha256`, readFileSync(`${planFile}.sha256`));
    const result = await cli(['seed', '--plan', edited, '--yes']);
    expect(result.code).toBe(3);
    expect(result.err).toContain('changed after it was planned');
    expect(await python('committed', target, '3')).toEqual({ 0: null, 1: null, 2: null });
  }, 60_000);

  it('seed --yes commits exactly the plan, which kafka-python reads on the target; verify agrees', async () => {
    const result = await cli(['seed', '--plan', planFile, '--yes']);
    expect(result.code, result.err).toBe(0);
    expect(await python('committed', target, '3')).toEqual({ 0: 4, 1: 7, 2: 9 });
    const approval = JSON.parse(readFileSync(join(dir, 'plan.approval.json'), 'utf8')) as Record<string, unknown>;
    expect(approval).toMatchObject({ approved: true, approvedBy: 'it-operator', channel: 'cli', planSha256: createHash('sha256').update(readFileSync(planFile)).digest('hex') });
    const verified = await cli(['verify', '--plan', planFile]);
    expect(verified.code, verified.err).toBe(0);
    expect(verified.out).toContain(`${target}: OK, all 3 partition(s) match the plan`);
  }, 60_000);

  it('verify lists a mismatch (exit 1), and seed then refuses a target whose offsets differ', async () => {
    await python('commit', target, '1:3');
    const verified = await cli(['verify', '--plan', planFile, '--json']);
    expect(verified.code).toBe(1);
    expect((JSON.parse(verified.out) as { groups: { mismatches: unknown[] }[] }).groups[0]!.mismatches).toEqual([{ topic: TOPIC, partition: 1, expected: '7', actual: '3' }]);
    const again = await cli(['seed', '--plan', planFile, '--yes']);
    expect(again.code).toBe(3);
    expect(again.err).toContain('already has different offsets');
    expect(await python('committed', target, '3')).toEqual({ 0: 4, 1: 3, 2: 9 });
  }, 60_000);

  it('seed refuses a target that has members, and writes nothing', async () => {
    const busy = nameAwayFromBroker(`${SOURCE}-busy`, offsetsLeader(sourceShard).leader);
    const busyPlan = join(dir, 'busy.json');
    expect((await cli(['plan', SOURCE, '--target', busy, '--out', busyPlan])).code).toBe(0);
    const consumer = await consumeAll(realClient(cluster, 'busy-consumer'), busy, TOPIC, 30);
    try {
      const result = await cli(['seed', '--plan', busyPlan, '--yes']);
      expect(result.code).toBe(3);
      expect(result.err).toMatch(/active member\(s\)/);
      expect(existsSync(join(dir, 'busy.approval.json'))).toBe(false);
    } finally {
      await consumer.disconnect();
    }
  }, 90_000);
});

describe('playbook', () => {
  it('writes files that match the live replicas of the shard, with the steps in order', async () => {
    const out = join(dir, 'playbook');
    const live = offsetsLeader(sourceShard);
    const result = await cli(['playbook', SOURCE, '--out', out]);
    expect(result.code, result.err).toBe(0);
    const reassignment = JSON.parse(readFileSync(join(out, 'reassignment.json'), 'utf8')) as { partitions: { topic: string; partition: number; replicas: number[]; log_dirs: string[] }[] };
    const rollback = JSON.parse(readFileSync(join(out, 'reassignment-rollback.json'), 'utf8')) as typeof reassignment;
    const moved = reassignment.partitions[0]!;
    expect(moved.topic).toBe(CONSUMER_OFFSETS);
    expect(moved.partition).toBe(sourceShard);
    expect([...moved.replicas].sort()).toEqual([...live.replicas].sort());
    expect(moved.replicas[0]).not.toBe(live.leader);
    expect(live.isr).toContain(moved.replicas[0]);
    expect(moved.log_dirs).toEqual(live.replicas.map(() => 'any'));
    expect(rollback.partitions[0]!.replicas).toEqual(live.replicas);
    expect(JSON.parse(readFileSync(join(out, 'election.json'), 'utf8'))).toEqual({ partitions: [{ topic: CONSUMER_OFFSETS, partition: sourceShard }] });
    const steps = readFileSync(join(out, 'steps.md'), 'utf8');
    const order = [
      'kafka-topics --bootstrap-server',
      `coordinator-recovery export ${SOURCE} --format csv`,
      'kafka-reassign-partitions --bootstrap-server "$BOOTSTRAP" --command-config client.properties --execute --reassignment-json-file reassignment.json',
      '--verify --reassignment-json-file reassignment.json',
      '--election-type PREFERRED --path-to-json-file election.json',
      `--delete --group ${SOURCE}`,
      '--execute --reassignment-json-file reassignment-rollback.json',
    ].map((text) => steps.indexOf(text));
    expect(order.every((position) => position >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(steps).toContain('Deleting the group drops its committed offsets');
  }, 60_000);

  it('refuses (exit 3, no files) while a replica is out of sync', async () => {
    const out = join(dir, 'refused');
    const live = offsetsLeader(sourceShard);
    const follower = live.replicas.find((r) => r !== live.leader)!;
    await cluster.faults.stopBroker(follower);
    try {
      const result = await cli(['playbook', '--partition', String(sourceShard), '--out', out]);
      expect(result.code).toBe(3);
      expect(result.err).toContain('under-replicated');
      expect(existsSync(out)).toBe(false);
    } finally {
      await cluster.faults.startBroker(follower);
      await waitFor('the ISR to be whole again', () => (offsetsLeader(sourceShard).isr.length === live.replicas.length ? true : undefined));
    }
  }, 60_000);

  it('--execute asks before the first write: no terminal and no --yes moves nothing', async () => {
    const before = offsetsLeader(sourceShard);
    const result = await cli(['playbook', SOURCE, '--out', join(dir, 'asked'), '--execute', '--json']);
    expect(result.code).toBe(3);
    const doc = JSON.parse(result.out) as { execution: { outcome: string; steps: { name: string; status: string }[] } };
    expect(doc.execution.outcome).toBe('REFUSED');
    expect(doc.execution.steps.map((s) => [s.name, s.status])).toEqual([['save offsets', 'DONE'], ['stopped', 'REFUSED']]);
    expect(offsetsLeader(sourceShard)).toEqual(before);
  }, 60_000);

  it('--execute will not delete a group whose offsets it could not save', async () => {
    const before = offsetsLeader(sourceShard);
    const result = await cli(['playbook', 'never-committed-group', '--out', join(dir, 'unsaved'), '--execute', '--yes', '--json']);
    expect(result.code).toBe(3);
    expect(result.out).toContain('could not be saved from the raw log');
    expect(offsetsLeader(sourceShard)).toEqual(before);
  }, 60_000);

  it('--execute clears the FAILED shard, restores the original leaders and the saved offsets', async () => {
    const before = offsetsLeader(sourceShard);
    expect(shardStatus(sourceShard)).toBe('FAILED');
    const out = join(dir, 'execute');
    const result = await cli(['playbook', SOURCE, '--out', out, '--execute', '--yes', '--json']);
    expect(result.code, result.err + result.out).toBe(0);
    const doc = JSON.parse(result.out) as { execution: { outcome: string; steps: { name: string; status: string }[] } };
    expect(doc.execution.outcome).toBe('DONE');
    expect(doc.execution.steps.map((s) => s.name)).toEqual(['save offsets', 'move leadership', 'delete group', 'restore leadership', 'restore offsets']);
    const after = offsetsLeader(sourceShard);
    expect(after.leader).toBe(before.leader);
    expect(after.replicas).toEqual(before.replicas);
    expect(shardStatus(sourceShard)).toBe('ACTIVE');
    const diagnosed = await cli(['diagnose', SOURCE, '--json']);
    expect((JSON.parse(diagnosed.out) as { verdict: string }).verdict).toBe('HEALTHY');
    expect(await python('committed', SOURCE, '3')).toEqual({ 0: 4, 1: 7, 2: 9 });
  }, 90_000);
});
