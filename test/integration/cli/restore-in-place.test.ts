/**
 * The Kafka 3.x incident from a terminal, on the local cluster's 3.9 profile: a shard whose load
 * failed serves again with the offsets gone. `diagnose` says OFFSETS_LOST_ON_LOAD with each
 * partition's difference; `plan --in-place` refuses while the group has a member, and once it is
 * empty restores the offsets into the group itself; kafka-python members of the same group then
 * resume exactly where they had committed, nothing replayed, nothing skipped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnoseDocument } from '../../../bin/cli/commands/diagnose.ts';
import type { PlanCommandDocument } from '../../../bin/cli/commands/plan.ts';
import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import { startAwsStandins, type AwsStandins } from '../../../local/aws/index.ts';
import { startLocalCluster, type LocalCluster } from '../../../local/kafka/index.ts';
import { killChildren, PYTHON, runProcess, watchProcess } from '../local/kafka/helpers.ts';
import { OFFSETS_PARTITIONS, createTopic, realClient, waitFor } from '../kafka/helpers.ts';
import { messageValues, produceToEachPartition, type PerPartition } from '../../support/produce.ts';
import { runCliInProcess, type CliRun } from '../../support/run-cli.ts';
import { tempDirForSuite } from '../../support/temp-dir.ts';

const PY = fileURLToPath(new URL('./kafka_python_group.py', import.meta.url));
const TOPIC = 'payments';
const GROUP = 'payments-service';
const PARTITIONS = 2;
const BEFORE = 6;
const DURING = 4;

let cluster: LocalCluster;
let bootstrap: string;
let port: KafkaPort;
const dir = tempDirForSuite('restore-in-place-');
const shard = partitionForGroup(GROUP, OFFSETS_PARTITIONS);

function cli(argv: string[]): Promise<CliRun> {
  return runCliInProcess([...argv, '--bootstrap', bootstrap], { env: { USER: 'it-operator' } });
}

/** `count` messages to each partition from index `from` on, `payment-<partition>-<index>`. */
function batch(from: number, count: number): PerPartition {
  return { partitions: PARTITIONS, prefix: 'payment', from, count };
}

/** kafka-python members of GROUP read `count` messages, committing as they go. */
async function consumeWithKafkaPython(count: number): Promise<string[]> {
  const result = await runProcess(PYTHON, [PY, 'consume', bootstrap, GROUP, TOPIC, String(count)], { timeoutMs: 60_000 });
  expect(result.stderr).not.toMatch(/Traceback/);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { received: string[] }).received;
}

beforeAll(async () => {
  cluster = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, kafkaVersion: '3.9' });
  bootstrap = cluster.bootstrapServers.join(',');
  await createTopic(realClient(cluster), TOPIC, PARTITIONS);
  await produceToEachPartition(realClient(cluster), TOPIC, batch(0, BEFORE));
  expect((await consumeWithKafkaPython(PARTITIONS * BEFORE)).sort()).toEqual(messageValues(batch(0, BEFORE)).sort());
  await cluster.faults.failCoordinator(shard);
  port = createKafkaPort({ brokers: cluster.bootstrapServers, clientId: 'restore-in-place-it' });
}, 120_000);

afterAll(async () => {
  killChildren();
  await port?.close();
  await cluster?.stop();
});

describe('diagnose on a 3.x incident', () => {
  it('--compare-log says OFFSETS_LOST_ON_LOAD with each partition\'s difference, without broker logs', async () => {
    const json = await cli(['diagnose', GROUP, '--compare-log', '--json']);
    expect(json.code, json.err).toBe(0);
    const doc = JSON.parse(json.out) as DiagnoseDocument;
    expect(doc.verdict).toBe('OFFSETS_LOST_ON_LOAD');
    expect(doc.lostOffsets).toEqual([
      { groupId: GROUP, partition: shard, differences: [0, 1].map((p) => ({ topic: TOPIC, partition: p, logOffset: String(BEFORE), fetchedOffset: null, logRecordOffset: expect.stringMatching(/^\d+$/) })) },
    ]);

    const human = await cli(['diagnose', GROUP, '--compare-log']);
    expect(human.out).toContain('verdict: OFFSETS_LOST_ON_LOAD');
    expect(human.out).toMatch(new RegExp(`${GROUP}\\s+__consumer_offsets-${shard}\\s+${TOPIC}-0\\s+${BEFORE}\\s+none\\s+\\d+`));
    expect(human.out).toMatch(new RegExp(`LIVE: Group ${GROUP} lost offsets on the load of __consumer_offsets-${shard}: 2 partition\\(s\\) missing`));

    // Without the comparison or a log line, the served shard looks healthy: the reason the flag exists.
    expect((JSON.parse((await cli(['diagnose', GROUP, '--json'])).out) as DiagnoseDocument).verdict).toBe('HEALTHY');
    const unnamed = await cli(['diagnose', '--all-shards', '--compare-log']);
    expect(unnamed.code).toBe(2);
    expect(unnamed.err).toContain('--compare-log');
  }, 60_000);

  it('finds the classic coordinator\'s log line through the broker logs (AWS stand-ins) and compares every group of the shard', async () => {
    let aws: AwsStandins | undefined;
    const saved = { ...process.env };
    try {
      aws = await startAwsStandins({ cluster, clusterName: 'payments-39' });
      Object.assign(process.env, aws.environment());
      const result = await cli(['diagnose', '--log-group', aws.logGroupName, '--region', aws.region, '--json']);
      expect(result.code, result.err).toBe(0);
      const doc = JSON.parse(result.out) as DiagnoseDocument;
      expect(doc.logSearch!.findings.map((f) => [f.partition, f.phrase])).toEqual([[shard, 'ERROR_LOADING_OFFSETS']]);
      expect(doc.verdict).toBe('OFFSETS_LOST_ON_LOAD');
      expect(doc.lostOffsets.map((g) => [g.groupId, g.differences.length])).toEqual([[GROUP, PARTITIONS]]);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      await aws?.stop();
    }
  }, 60_000);
});

describe('plan --in-place, seed, verify', () => {
  const planFile = (): string => join(dir, 'plan.json');

  it('refuses while the group has a member, before any write', async () => {
    const stop = join(dir, 'stop-member');
    const member = watchProcess(PYTHON, [PY, 'hold', bootstrap, GROUP, TOPIC, stop]);
    try {
      await member.until((out) => out.includes('"joined"'), 40_000);
      const planned = await cli(['plan', GROUP, '--in-place', '--out', planFile(), '--json']);
      expect(planned.code, planned.err).toBe(4);
      const group = (JSON.parse(planned.out) as PlanCommandDocument).plan.groups[0]!;
      expect(group).toMatchObject({ sourceGroup: GROUP, targetGroup: GROUP, restore: 'IN_PLACE', blocked: true });
      expect(group.blockedReason).toMatch(new RegExp(`^restoreInPlace: "${GROUP}" has 1 active member\\(s\\) \\(state Stable\\).*Stop its consumers and plan again$`));
      const seeded = await cli(['seed', '--plan', planFile(), '--yes']);
      expect(seeded.code).toBe(3);
      expect((await port.fetchCommittedOffsets(GROUP, [TOPIC])).map((e) => e.offset)).toEqual([-1n, -1n]);
    } finally {
      writeFileSync(stop, '');
      await member.exited();
    }
  }, 90_000);

  it('restores the offsets into the group itself, and kafka-python members resume exactly', async () => {
    await waitFor('the member to have left', async () => ((await port.describeGroup(GROUP)).members.length === 0 ? true : undefined), 20_000);
    await produceToEachPartition(realClient(cluster), TOPIC, batch(BEFORE, DURING));

    const planned = await cli(['plan', GROUP, '--in-place', '--out', planFile()]);
    expect(planned.code, planned.err).toBe(0);
    expect(planned.out).toContain('Restore: in place (each group takes its offsets back)');
    expect(planned.out).toContain(`Group ${GROUP}, restored in place (the same group)`);
    expect(planned.out).toMatch(new RegExp(`its coordinator: broker \\d+ .*__consumer_offsets-${shard}; state (Empty|Dead), 0 member\\(s\\)`));
    const plan = JSON.parse(readFileSync(planFile(), 'utf8')) as PlanCommandDocument['plan'];
    expect(plan.groups[0]!.offsets.map((o) => [o.partition, o.offset])).toEqual([[0, String(BEFORE)], [1, String(BEFORE)]]);

    const seeded = await cli(['seed', '--plan', planFile(), '--yes']);
    expect(seeded.code, seeded.err).toBe(0);
    expect(seeded.out).toMatch(new RegExp(`${GROUP}\\s+${GROUP}\\s+SEEDED\\s+2`));
    expect(seeded.out).toContain('unchanged (restored in place)');
    const verified = await cli(['verify', '--plan', planFile()]);
    expect(verified.code, verified.err).toBe(0);

    // Consumers restart unchanged (same group.id, auto_offset_reset=earliest): a lost offset would replay from 0.
    expect((await consumeWithKafkaPython(PARTITIONS * DURING)).sort()).toEqual(messageValues(batch(BEFORE, DURING)).sort());
  }, 120_000);
});
