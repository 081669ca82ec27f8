import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../../lambdas/core/hash.ts';
import { BrokerLogSink } from '../../../../../local/kafka/broker-log.ts';
import { Cluster, CONSUMER_OFFSETS, TRANSACTION_STATE } from '../../../../../local/kafka/cluster/cluster.ts';
import { installCoordinator } from '../../../../../local/kafka/coordinator/index.ts';
import { ErrorCode } from '../../../../../local/kafka/protocol/error-codes.ts';
import { ApiRegistry } from '../../../../../local/kafka/server/registry.ts';
import { waitFor } from '../../../../support/wait.ts';

const OFFSETS_PARTITIONS = 6;
const standalone = { memberId: '', generationId: -1, groupInstanceId: null };

/** Two group ids that land on the same `__consumer_offsets` partition, and one that does not. */
function groupsOnPartition(partition: number, count: number): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) if (partitionForGroup(`group-${i}`, OFFSETS_PARTITIONS) === partition) found.push(`group-${i}`);
  return found;
}

describe('coordinator runtime on a cluster model', () => {
  let cluster: Cluster;
  let logs: BrokerLogSink;
  let plugin: ReturnType<typeof installCoordinator>;

  beforeEach(() => {
    logs = new BrokerLogSink();
    cluster = new Cluster({ brokerIds: [1, 2, 3], logs });
    [1, 2, 3].forEach((id) => cluster.brokerStarted(id, 9000 + id));
    cluster.createTopic(CONSUMER_OFFSETS, { partitions: OFFSETS_PARTITIONS, replicationFactor: 3 });
    cluster.createTopic(TRANSACTION_STATE, { partitions: 4, replicationFactor: 3 });
    cluster.createTopic('orders', { partitions: 3, replicationFactor: 2 });
    plugin = installCoordinator(
      { cluster, registry: new ApiRegistry(), logs, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 4, offsetCommitValueVersion: 3 },
      { retentionCheckIntervalMs: 0 },
    );
  });
  afterEach(() => plugin.stop?.());

  function shardFor(groupId: string) {
    const leader = plugin.groups.coordinatorBroker(groupId);
    const found = plugin.groups.lookup(leader, groupId);
    if (!found.ok) throw new Error(`no shard for ${groupId}: ${found.errorCode}`);
    return { leader, shard: found.slot.shard };
  }

  it('serves a group only on the leader of its partition', () => {
    const [groupId] = groupsOnPartition(2, 1);
    const leader = plugin.groups.coordinatorBroker(groupId!);
    expect(leader).toBe(cluster.partition(CONSUMER_OFFSETS, 2)?.leader);
    for (const broker of [1, 2, 3]) {
      expect(plugin.groups.lookup(broker, groupId!).ok).toBe(broker === leader);
    }
    expect(plugin.groups.lookup(leader === 1 ? 2 : 1, groupId!)).toEqual({ ok: false, errorCode: ErrorCode.NOT_COORDINATOR });
  });

  it('a leadership move unloads the shard and reloads it on the new leader from the log', () => {
    const [groupId] = groupsOnPartition(1, 1);
    const { leader, shard } = shardFor(groupId!);
    shard.commitOffsets(groupId!, standalone, [{ topic: 'orders', partition: 0, offset: 42n, leaderEpoch: -1, metadata: 'x' }]);
    const target = [1, 2, 3].find((b) => b !== leader)!;
    cluster.moveLeader(CONSUMER_OFFSETS, 1, target);
    expect(plugin.groups.lookup(leader, groupId!)).toEqual({ ok: false, errorCode: ErrorCode.NOT_COORDINATOR });
    const moved = shardFor(groupId!);
    expect(moved.leader).toBe(target);
    expect(moved.shard.fetchOffsets(groupId!, null, false)).toMatchObject([{ topic: 'orders', partition: 0, offset: 42n, metadata: 'x' }]);
    expect(logs.lines(target).some((l) => l.text.includes(`Finished loading of metadata from __consumer_offsets-1 with epoch ${cluster.partition(CONSUMER_OFFSETS, 1)?.leaderEpoch}`))).toBe(true);
  });

  it('failCoordinator: NOT_COORDINATOR for the shard\'s groups only, the leader logs real values, FindCoordinator still names it', () => {
    const [failing, sibling] = groupsOnPartition(4, 2);
    const [other] = groupsOnPartition(5, 1);
    const { leader, shard } = shardFor(failing!);
    shard.commitOffsets(failing!, standalone, [{ topic: 'orders', partition: 2, offset: 7n, leaderEpoch: -1, metadata: '' }]);
    const offsetsLog = cluster.partition(CONSUMER_OFFSETS, 4)!.log;
    const recordOffset = offsetsLog.logEndOffset - 1;
    const epoch = cluster.partition(CONSUMER_OFFSETS, 4)!.leaderEpoch;

    plugin.faults.failCoordinator(4, { group: failing });

    expect(plugin.groups.lookup(leader, failing!)).toEqual({ ok: false, errorCode: ErrorCode.NOT_COORDINATOR });
    expect(plugin.groups.lookup(leader, sibling!)).toEqual({ ok: false, errorCode: ErrorCode.NOT_COORDINATOR });
    expect(plugin.groups.coordinatorBroker(failing!)).toBe(leader);
    const otherLeader = plugin.groups.coordinatorBroker(other!);
    expect(plugin.groups.lookup(otherLeader, other!).ok).toBe(true);

    const errors = logs.lines(leader).filter((l) => l.level === 'ERROR').map((l) => l.text);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(
      new RegExp(
        `^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}\\] ERROR Replaying record .* from __consumer_offsets-4 at offset ${recordOffset} .*failed due to: ` +
          `Cannot set the epoch of orders-2 to ${epoch} because the partition is still owned at epoch ${epoch + 1}\\. \\(kafka\\.coordinator\\.group\\.CoordinatorLoaderImpl\\)$`,
      ),
    );
    expect(errors[1]).toMatch(
      new RegExp(`ERROR \\[GroupCoordinator id=${leader}\\] Failed to load metadata from __consumer_offsets-4 with epoch ${epoch} due to Cannot set the epoch of orders-2 to ${epoch} because the partition is still owned at epoch ${epoch + 1}\\.\\. \\(`),
    );
    // The log itself is untouched: Fetch and ListOffsets keep serving it.
    expect(offsetsLog.logEndOffset).toBe(recordOffset + 1);
  });

  it('legacy mode prints the older coordinator\'s line', () => {
    const [groupId] = groupsOnPartition(0, 1);
    const { leader } = shardFor(groupId!);
    plugin.faults.failCoordinator(0, { mode: 'legacy' });
    const errors = logs.lines(leader).filter((l) => l.level === 'ERROR').map((l) => l.text);
    expect(errors[0]).toMatch(/ERROR \[GroupMetadataManager brokerId=\d\] Error loading offsets from __consumer_offsets-0\n/);
    expect(() => plugin.faults.failCoordinator(0, { mode: 'sideways' })).toThrow(/mode/);
  });

  it('heal reloads the shard; a leadership move clears FAILED on the new leader', () => {
    const [groupId] = groupsOnPartition(3, 1);
    const { leader, shard } = shardFor(groupId!);
    shard.commitOffsets(groupId!, standalone, [{ topic: 'orders', partition: 1, offset: 9n, leaderEpoch: -1, metadata: '' }]);
    const failedEpoch = cluster.partition(CONSUMER_OFFSETS, 3)!.leaderEpoch;
    plugin.faults.failCoordinator(3);
    plugin.faults.healCoordinator(3);
    expect(shardFor(groupId!).shard.fetchOffsets(groupId!, null, false)[0]?.offset).toBe(9n);
    // Kafka loads a shard only at a higher leader epoch: the heal re-elects the same leader.
    expect(cluster.partition(CONSUMER_OFFSETS, 3)).toMatchObject({ leader, leaderEpoch: failedEpoch + 1 });
    expect(plugin.groups.status().find((s) => s.partition === 3)).toMatchObject({ brokerId: leader, epoch: failedEpoch + 1, status: 'ACTIVE' });
    const texts = logs.lines(leader).map((l) => l.text);
    expect(texts.some((t) => t.includes(`Finished loading of metadata from __consumer_offsets-3 with epoch ${failedEpoch + 1} `))).toBe(true);
    expect(texts.some((t) => t.includes('Finished unloading metadata for __consumer_offsets-3'))).toBe(false);

    plugin.faults.failCoordinator(3);
    const target = [1, 2, 3].find((b) => b !== leader)!;
    cluster.moveLeader(CONSUMER_OFFSETS, 3, target);
    expect(shardFor(groupId!).leader).toBe(target);
    expect(shardFor(groupId!).shard.fetchOffsets(groupId!, null, false)[0]?.offset).toBe(9n);
  });

  it('the failure recurs when leadership returns to the broker, until the group\'s conflicting offsets are deleted (the seed\'s playbook)', () => {
    const [groupId] = groupsOnPartition(3, 1);
    const { leader, shard } = shardFor(groupId!);
    shard.commitOffsets(groupId!, standalone, [{ topic: 'orders', partition: 1, offset: 9n, leaderEpoch: -1, metadata: '' }]);
    plugin.faults.failCoordinator(3, { group: groupId });
    const healthy = [1, 2, 3].find((b) => b !== leader)!;
    const errorsOn = (broker: number): number => logs.lines(broker).filter((l) => l.level === 'ERROR').length;

    cluster.moveLeader(CONSUMER_OFFSETS, 3, healthy);
    cluster.moveLeader(CONSUMER_OFFSETS, 3, leader);
    expect(plugin.groups.lookup(leader, groupId!)).toEqual({ ok: false, errorCode: ErrorCode.NOT_COORDINATOR });
    expect(errorsOn(leader)).toBe(4);
    expect(plugin.groups.status().find((s) => s.partition === 3)).toMatchObject({ status: 'FAILED', failsOnBroker: leader });

    // Step 2-4 of the playbook: load on a healthy broker, delete the group there, move back.
    cluster.moveLeader(CONSUMER_OFFSETS, 3, healthy);
    expect(shardFor(groupId!).shard.deleteGroup(groupId!)).toBe(ErrorCode.NONE);
    cluster.moveLeader(CONSUMER_OFFSETS, 3, leader);
    expect(plugin.groups.lookup(leader, groupId!).ok).toBe(true);
    expect(errorsOn(leader)).toBe(4);
    expect(plugin.groups.status().find((s) => s.partition === 3)).toMatchObject({ status: 'ACTIVE', failsOnBroker: null });
  });

  it('loadCoordinator answers COORDINATOR_LOAD_IN_PROGRESS until the time is up, then serves the replayed state', async () => {
    const [groupId] = groupsOnPartition(5, 1);
    const { leader, shard } = shardFor(groupId!);
    shard.commitOffsets(groupId!, standalone, [{ topic: 'orders', partition: 0, offset: 3n, leaderEpoch: -1, metadata: '' }]);
    const epochBefore = cluster.partition(CONSUMER_OFFSETS, 5)!.leaderEpoch;
    plugin.faults.loadCoordinator!(5, 60);
    expect(plugin.groups.lookup(leader, groupId!)).toEqual({ ok: false, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS });
    expect(plugin.groups.status().find((s) => s.partition === 5)).toMatchObject({ epoch: epochBefore + 1, status: 'LOADING' });
    expect(logs.lines(leader).some((l) => l.text.includes(`Scheduling loading of metadata from __consumer_offsets-5 with epoch ${epochBefore + 1}`))).toBe(true);
    await waitFor('the timed load to finish', () => plugin.groups.lookup(leader, groupId!).ok || undefined, 10_000);
    expect(shardFor(groupId!).shard.fetchOffsets(groupId!, null, false)).toMatchObject([{ offset: 3n }]);

    // A reload on the broker where the shard failed fails again: reloading is no cure.
    plugin.faults.failCoordinator(5);
    plugin.faults.loadCoordinator!(5, 10);
    await waitFor('the reload to finish', () => plugin.groups.status().find((s) => s.partition === 5)?.status !== 'LOADING' || undefined, 10_000);
    expect(plugin.groups.lookup(leader, groupId!)).toEqual({ ok: false, errorCode: ErrorCode.NOT_COORDINATOR });
  });

  it('the leader\'s broker log follows each rebalance step of its groups', async () => {
    const [groupId] = groupsOnPartition(1, 1);
    const { leader, shard } = shardFor(groupId!);
    const joined = await shard.join(groupId!, {
      memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false,
    });
    await shard.sync(groupId!, { memberId: joined.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
    shard.leave(groupId!, [{ memberId: joined.memberId, groupInstanceId: null }]);
    const lines = logs.lines(leader).map((l) => l.text).filter((t) => t.includes(`group ${groupId}`) || t.includes(`Group ${groupId}`));
    const prefix = `INFO \\[GroupCoordinator id=${leader} topic=__consumer_offsets partition=1\\] `;
    expect(lines.map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual([
      expect.stringMatching(new RegExp(`^${prefix}Dynamic member with unknown member id joins group ${groupId} in state Empty\\. Created a new member id c-.* and added the member to the group\\.`)),
      expect.stringMatching(new RegExp(`^${prefix}Preparing to rebalance group ${groupId} in state PreparingRebalance with old generation 0 \\(reason: Adding new member c-`)),
      expect.stringMatching(new RegExp(`^${prefix}Stabilized group ${groupId} generation 1 with 1 members\\.`)),
      expect.stringMatching(new RegExp(`^${prefix}Assignment received from leader c-.* for group ${groupId} for generation 1\\. The group has 1 members, 0 of which are static\\.`)),
      expect.stringMatching(new RegExp(`^${prefix}\\[Group ${groupId}\\] Member c-.* has left group through explicit \`LeaveGroup\` request; client reason: not provided`)),
      expect.stringMatching(new RegExp(`^${prefix}Preparing to rebalance group ${groupId} in state PreparingRebalance with old generation 1 \\(reason: explicit \`LeaveGroup\` request for \\(c-.*\\) members\\.\\)\\.`)),
      expect.stringMatching(new RegExp(`^${prefix}Group ${groupId} with generation 2 is now empty\\.`)),
    ]);
  });

  it('rejects faults on partitions that do not exist, naming the field', () => {
    expect(() => plugin.faults.failCoordinator(OFFSETS_PARTITIONS)).toThrow(/partition/);
    expect(() => plugin.faults.loadCoordinator!(0, -1)).toThrow(/durationMs/);
  });
});
