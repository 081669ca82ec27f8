import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { CONSUMER_OFFSETS } from '../../../../local/kafka/cluster/cluster.ts';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { dumpOffsetsPartition, offsetsFromDump } from './coordinator-test-helpers.ts';
import { waitFor } from '../../../support/wait.ts';
import { killChildren, runProcess } from './helpers.ts';

const OFFSETS_PARTITIONS = 5;
const GROUP = 'restart-readers';

/** A stopped coordinator broker hands its shards to the next ISR member, which loads them from the log. */
describe('group coordinator across a broker stop and start', () => {
  let local: LocalCluster;
  let admin: Admin;
  let bootstrap: string;

  beforeAll(async () => {
    // A short leader.imbalance.check.interval: the restarted broker leads its preferred partitions again soon.
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 2, leaderImbalanceCheckIntervalMs: 300 });
    bootstrap = local.bootstrapServers.join(',');
    local.cluster.createTopic('jobs', { partitions: 2 });
    const input = Array.from({ length: 10 }, (_, i) => `j${i}:job-${i}`).join('\n') + '\n';
    expect((await runProcess('kcat', ['-b', bootstrap, '-P', '-t', 'jobs', '-K', ':'], { timeoutMs: 20_000, input })).code).toBe(0);
    expect((await runProcess('kcat', ['-b', bootstrap, '-G', GROUP, '-o', 'beginning', '-e', 'jobs'], { timeoutMs: 40_000 })).code).toBe(0);
    admin = new Kafka({ clientId: 'restart-test', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect().catch(() => undefined);
    killChildren();
    await local?.stop();
  });

  const committed = async (): Promise<Record<string, string>> => {
    const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: ['jobs'] });
    return Object.fromEntries(topic!.partitions.map((p) => [`jobs-${p.partition}`, p.offset]));
  };

  it('serves the same offsets from the new leader while the old one is down, and again once it is back', async () => {
    const partition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
    const before = local.cluster.partition(CONSUMER_OFFSETS, partition)!.leader;
    const expected = { 'jobs-0': String(local.cluster.partition('jobs', 0)!.log.logEndOffset), 'jobs-1': String(local.cluster.partition('jobs', 1)!.log.logEndOffset) };
    expect(await committed()).toEqual(expected);

    await local.faults.stopBroker(before);
    try {
      const during = local.cluster.partition(CONSUMER_OFFSETS, partition)!.leader;
      expect(during).not.toBe(before);
      expect(await committed()).toEqual(expected);
      expect(local.logs.lines(during).some((l) => l.text.includes(`Finished loading of metadata from __consumer_offsets-${partition}`))).toBe(true);

      // The group keeps working on the new coordinator: new messages are consumed from the committed position.
      expect((await runProcess('kcat', ['-b', bootstrap, '-P', '-t', 'jobs', '-p', '0', '-K', ':'], { timeoutMs: 20_000, input: 'late:late-job\n' })).code).toBe(0);
      const resumed = await runProcess('kcat', ['-b', bootstrap, '-G', GROUP, '-e', '-f', '%s\\n', 'jobs'], { timeoutMs: 40_000 });
      expect(resumed.stdout.trim()).toBe('late-job');
    } finally {
      await local.faults.startBroker(before);
    }
    // Back as a follower; the periodic preferred election hands the shard back to it.
    await waitFor('the restarted broker to lead the shard again', () => (local.cluster.partition(CONSUMER_OFFSETS, partition)!.leader === before ? true : undefined), 15_000);
    const after = { ...expected, 'jobs-0': String(local.cluster.partition('jobs', 0)!.log.logEndOffset) };
    expect(await committed()).toEqual(after);
    expect(offsetsFromDump(await dumpOffsetsPartition(bootstrap, partition), GROUP)).toEqual(after);
  });
});
