import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { CONSUMER_OFFSETS } from '../../../../local/kafka/cluster/cluster.ts';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { dumpOffsetsPartition, offsetsFromDump } from './coordinator-test-helpers.ts';
import { killChildren, runProcess, watchProcess } from './helpers.ts';

const OFFSETS_PARTITIONS = 12;
const STUCK = 'sync';

/**
 * The seed's incident, reproduced with librdkafka: the group's coordinator shard is FAILED, so
 * its consumer loops between FindCoordinator (which succeeds) and JoinGroup (NOT_COORDINATOR)
 * and never gets an assignment, while another group coordinated by the same broker consumes.
 */
describe('a FAILED coordinator shard, seen through kcat', () => {
  let local: LocalCluster;
  let bootstrap: string;
  let stuckPartition: number;
  let leader: number;
  let healthy: string;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 2 });
    bootstrap = local.bootstrapServers.join(',');
    local.cluster.createTopic('events', { partitions: 3 });
    const input = Array.from({ length: 20 }, (_, i) => `k${i}:event-${i}`).join('\n') + '\n';
    expect((await runProcess('kcat', ['-b', bootstrap, '-P', '-t', 'events', '-K', ':'], { timeoutMs: 20_000, input })).code).toBe(0);
    stuckPartition = partitionForGroup(STUCK, OFFSETS_PARTITIONS);
    leader = local.cluster.partition(CONSUMER_OFFSETS, stuckPartition)!.leader;
    // Another group on the same coordinator broker, on a different shard.
    for (let i = 0; ; i++) {
      const p = partitionForGroup(`app-${i}`, OFFSETS_PARTITIONS);
      if (p !== stuckPartition && local.cluster.partition(CONSUMER_OFFSETS, p)!.leader === leader) {
        healthy = `app-${i}`;
        break;
      }
    }
    // The stuck group had a healthy past: it consumed and committed before the failure.
    expect((await runProcess('kcat', ['-b', bootstrap, '-G', STUCK, '-o', 'beginning', '-e', 'events'], { timeoutMs: 40_000 })).code).toBe(0);
  });

  afterAll(async () => {
    killChildren();
    await local?.stop();
  });

  it('JoinGroup fails with "Not coordinator" while FindCoordinator succeeds; no assignment; another group keeps consuming', async () => {
    await local.faults.failCoordinator(stuckPartition, { group: STUCK });
    const brokerErrors = local.logs.lines(leader).filter((l) => l.level === 'ERROR').map((l) => l.text);
    expect(brokerErrors.join('\n')).toMatch(new RegExp(`Replaying record .* from __consumer_offsets-${stuckPartition} at offset \\d+ .*failed due to: Cannot set the epoch of events-\\d to \\d+ because the partition is still owned at epoch \\d+\\.`));
    expect(brokerErrors.join('\n')).toMatch(new RegExp(`\\[GroupCoordinator id=${leader}\\] Failed to load metadata from __consumer_offsets-${stuckPartition} with epoch \\d+ due to Cannot set the epoch of events-\\d`));

    const stuck = watchProcess('kcat', ['-b', bootstrap, '-G', STUCK, '-o', 'beginning', '-X', 'debug=cgrp,protocol', '-f', '%s\\n', 'events']);
    const joinFailedThenFound = (_out: string, err: string): boolean => {
      const failure = err.search(/JoinGroup.*Not coordinator/);
      return failure >= 0 && err.slice(failure).includes('Received FindCoordinatorResponse') && /JoinGroup.*Not coordinator[\s\S]*JoinGroup.*Not coordinator/.test(err);
    };
    const healthyRun = runProcess('kcat', ['-b', bootstrap, '-G', healthy, '-o', 'beginning', '-e', '-f', '%s\\n', 'events'], { timeoutMs: 40_000 });

    await stuck.until(joinFailedThenFound, 40_000);
    const other = await healthyRun;
    expect(other.code).toBe(0);
    expect(other.stdout.trim().split('\n')).toHaveLength(20);

    stuck.kill();
    await stuck.exited();
    const debug = stuck.stderr();
    expect(debug).toMatch(/JoinGroup response: GenerationId -1.*Broker: Not coordinator/);
    expect(debug).toMatch(new RegExp(`Group "${STUCK}" coordinator is 127\\.0\\.0\\.1:\\d+ id ${leader}`));
    expect(debug).not.toMatch(/assigned:/);
    expect(stuck.stdout().length).toBe(0);
  });

  it('Fetch and ListOffsets on the FAILED shard\'s partition keep working, so the offsets stay readable without the coordinator', async () => {
    const dump = await dumpOffsetsPartition(bootstrap, stuckPartition);
    const ends = Object.fromEntries(local.cluster.topic('events')!.partitions.map((p) => [`events-${p.partition}`, String(p.log.logEndOffset)]));
    expect(offsetsFromDump(dump, STUCK)).toEqual(ends);
    const latest = await runProcess('kcat', ['-b', bootstrap, '-Q', '-t', `__consumer_offsets:${stuckPartition}:-1`], { timeoutMs: 20_000 });
    expect(latest.stdout.trim()).toBe(`__consumer_offsets [${stuckPartition}] offset ${local.cluster.partition(CONSUMER_OFFSETS, stuckPartition)!.log.logEndOffset}`);
  });

  it('moving the partition\'s leadership reloads the shard on a healthy broker and the group consumes again', async () => {
    const target = [1, 2, 3].find((b) => b !== leader)!;
    local.cluster.moveLeader(CONSUMER_OFFSETS, stuckPartition, target);
    const input = Array.from({ length: 5 }, (_, i) => `late-${i}:late-${i}`).join('\n') + '\n';
    expect((await runProcess('kcat', ['-b', bootstrap, '-P', '-t', 'events', '-K', ':'], { timeoutMs: 20_000, input })).code).toBe(0);
    const resumed = await runProcess('kcat', ['-b', bootstrap, '-G', STUCK, '-e', '-f', '%s\\n', 'events'], { timeoutMs: 40_000 });
    expect(resumed.code).toBe(0);
    // It resumes from its committed offsets: only the new messages, nothing replayed.
    expect(resumed.stdout.trim().split('\n').sort()).toEqual(['late-0', 'late-1', 'late-2', 'late-3', 'late-4']);
  });
});
