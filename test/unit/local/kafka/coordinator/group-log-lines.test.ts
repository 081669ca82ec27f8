/**
 * The coordinator's broker-log lines for a group's life (a manual commit creating it, a member
 * that must first get its id, a rebalance, a leave, OffsetDelete, DeleteGroups, expiry), worded
 * as the real releases print them. The expected lines are what Apache Kafka 4.1.1 and 3.9.2
 * printed for the same steps in test/integration/local/real-kafka/conformance-groups.test.ts,
 * with the member id and partition put in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../../lambdas/core/hash.ts';
import { encodeConsumerSubscription } from '../../../../../lambdas/core/offsets-records/index.ts';
import { BrokerLogSink } from '../../../../../local/kafka/broker-log.ts';
import { Cluster, CONSUMER_OFFSETS, TRANSACTION_STATE } from '../../../../../local/kafka/cluster/cluster.ts';
import { GroupShard } from '../../../../../local/kafka/coordinator/group-shard.ts';
import { installCoordinator } from '../../../../../local/kafka/coordinator/index.ts';
import { ErrorCode } from '../../../../../local/kafka/protocol/error-codes.ts';
import { ApiRegistry } from '../../../../../local/kafka/server/registry.ts';
import { MemoryShardLog, testShardEnvironment } from './helpers.ts';

const OFFSETS_PARTITIONS = 12;
const GROUP = 'conform-busy';
const SIMPLE = 'conform-retained';
const standalone = { memberId: '', generationId: -1, groupInstanceId: null };

function start(wording: 'runtime' | 'classic', tuning: { minSessionTimeoutMs?: number } = {}) {
  const logs = new BrokerLogSink();
  const cluster = new Cluster({ brokerIds: [1], logs });
  cluster.brokerStarted(1, 9001);
  cluster.createTopic(CONSUMER_OFFSETS, { partitions: OFFSETS_PARTITIONS, replicationFactor: 1 });
  cluster.createTopic(TRANSACTION_STATE, { partitions: 1, replicationFactor: 1 });
  cluster.createTopic('orders', { partitions: 2, replicationFactor: 1 });
  cluster.createTopic('audit', { partitions: 1, replicationFactor: 1 });
  const plugin = installCoordinator(
    { cluster, registry: new ApiRegistry(), logs, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 1, offsetCommitValueVersion: 3, ...(wording === 'classic' ? { loadFailure: 'offsets-lost' as const } : {}) },
    { retentionCheckIntervalMs: 0, initialRebalanceDelayMs: 0, ...tuning },
  );
  const shardOf = (group: string) => {
    const found = plugin.groups.lookup(1, group);
    if (!found.ok) throw new Error(`no shard for ${group}`);
    return found.slot.shard;
  };
  return { logs, plugin, shardOf };
}

/** A consumer like the scenario's kafkajs one: joins (MEMBER_ID_REQUIRED first), syncs, leaves. */
async function memberComesAndGoes(shard: GroupShard): Promise<string> {
  const join = {
    groupInstanceId: null,
    clientId: 'conformance',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 60_000,
    protocolType: 'consumer',
    protocols: [{ name: 'RoundRobinAssigner', metadata: encodeConsumerSubscription({ topics: ['orders'] }) }],
    requireKnownMemberId: true,
  };
  const required = await shard.join(GROUP, { ...join, memberId: '' });
  expect(required.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  const joined = await shard.join(GROUP, { ...join, memberId: required.memberId });
  expect(joined.generationId).toBe(1);
  await shard.sync(GROUP, { memberId: joined.memberId, groupInstanceId: null, generationId: 1, protocolType: 'consumer', protocolName: 'RoundRobinAssigner', assignments: [] });
  return joined.memberId;
}

describe('group log lines as the release prints them', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it('4.x (coordinator runtime): the loggers and wording of Kafka 4.1.1', async () => {
    const { logs, plugin, shardOf } = start('runtime');
    stop = () => plugin.stop?.();
    shardOf(SIMPLE).commitOffsets(SIMPLE, standalone, [{ topic: 'orders', partition: 0, offset: 1n, leaderEpoch: -1, metadata: '' }]);
    shardOf(GROUP).commitOffsets(GROUP, standalone, [{ topic: 'audit', partition: 0, offset: 1n, leaderEpoch: -1, metadata: '' }]);
    const member = await memberComesAndGoes(shardOf(GROUP));
    shardOf(GROUP).leave(GROUP, [{ memberId: member, groupInstanceId: null }]);
    expect(shardOf(GROUP).deleteGroups([GROUP])).toEqual([ErrorCode.NONE]);

    const p = (group: string) => `[GroupCoordinator id=1 topic=__consumer_offsets partition=${partitionForGroup(group, OFFSETS_PARTITIONS)}] `;
    const manager = 'org.apache.kafka.coordinator.group.GroupMetadataManager';
    expect(logs.lines(1).filter((l) => l.message.includes(GROUP) || l.message.includes(SIMPLE)).map((l) => [l.logger, l.message])).toEqual([
      ['org.apache.kafka.coordinator.group.OffsetMetadataManager', `${p(SIMPLE)}[GroupId ${SIMPLE}] Creating a simple consumer group via manual offset commit.`],
      ['org.apache.kafka.coordinator.group.OffsetMetadataManager', `${p(GROUP)}[GroupId ${GROUP}] Creating a simple consumer group via manual offset commit.`],
      [manager, `${p(GROUP)}Dynamic member with unknown member id joins group ${GROUP} in Empty state. Created a new member id ${member} and requesting the member to rejoin with this id.`],
      [manager, `${p(GROUP)}Pending dynamic member with id ${member} joins group ${GROUP} in Empty state. Adding to the group now.`],
      [manager, `${p(GROUP)}Preparing to rebalance group ${GROUP} in state PreparingRebalance with old generation 0 (reason: Adding new member ${member} with group instance id null; client reason: not provided).`],
      [manager, `${p(GROUP)}Stabilized group ${GROUP} generation 1 with 1 members.`],
      [manager, `${p(GROUP)}Assignment received from leader ${member} for group ${GROUP} for generation 1. The group has 1 members, 0 of which are static.`],
      [manager, `${p(GROUP)}[Group ${GROUP}] Member ${member} has left group through explicit \`LeaveGroup\` request; client reason: not provided`],
      [manager, `${p(GROUP)}Preparing to rebalance group ${GROUP} in state PreparingRebalance with old generation 1 (reason: explicit \`LeaveGroup\` request for (${member}) members.).`],
      [manager, `${p(GROUP)}Group ${GROUP} with generation 2 is now empty.`],
      ['org.apache.kafka.coordinator.group.GroupCoordinatorShard', `${p(GROUP)}The following groups were deleted: ${GROUP}. A total of 1 offsets were removed.`],
    ]);
  });

  it('3.x (classic coordinator): the loggers and wording of Kafka 3.9.2', async () => {
    const { logs, plugin, shardOf } = start('classic');
    stop = () => plugin.stop?.();
    shardOf(SIMPLE).commitOffsets(SIMPLE, standalone, [{ topic: 'orders', partition: 0, offset: 1n, leaderEpoch: -1, metadata: '' }]);
    shardOf(GROUP).commitOffsets(GROUP, standalone, [{ topic: 'audit', partition: 0, offset: 1n, leaderEpoch: -1, metadata: '' }, { topic: 'orders', partition: 1, offset: 1n, leaderEpoch: -1, metadata: '' }]);
    const member = await memberComesAndGoes(shardOf(GROUP));
    const offsetDelete = shardOf(GROUP).deleteOffsets(GROUP, [{ topic: 'audit', partitions: [0] }], () => new Set(['orders']));
    expect(offsetDelete.errorCode).toBe(ErrorCode.NONE);
    shardOf(GROUP).leave(GROUP, [{ memberId: member, groupInstanceId: null }]);
    expect(shardOf(GROUP).deleteGroups([GROUP])).toEqual([ErrorCode.NONE]);

    const partition = `__consumer_offsets-${partitionForGroup(GROUP, OFFSETS_PARTITIONS)}`;
    const coordinator = 'kafka.coordinator.group.GroupCoordinator';
    expect(logs.lines(1).filter((l) => l.message.includes(GROUP) || l.message.includes(SIMPLE)).map((l) => [l.logger, l.message])).toEqual([
      [coordinator, `[GroupCoordinator 1]: Dynamic member with unknown member id joins group ${GROUP} in Empty state. Created a new member id ${member} and request the member to rejoin with this id.`],
      [coordinator, `[GroupCoordinator 1]: Preparing to rebalance group ${GROUP} in state PreparingRebalance with old generation 0 (${partition}) (reason: Adding new member ${member} with group instance id None; client reason: not provided)`],
      [coordinator, `[GroupCoordinator 1]: Stabilized group ${GROUP} generation 1 (${partition}) with 1 members`],
      [coordinator, `[GroupCoordinator 1]: Assignment received from leader ${member} for group ${GROUP} for generation 1. The group has 1 members, 0 of which are static.`],
      [coordinator, `[GroupCoordinator 1]: The following offsets of the group ${GROUP} were deleted: audit-0. A total of 1 offsets were removed.`],
      [coordinator, `[GroupCoordinator 1]: Preparing to rebalance group ${GROUP} in state PreparingRebalance with old generation 1 (${partition}) (reason: Removing member ${member} on LeaveGroup; client reason: not provided)`],
      [coordinator, `[GroupCoordinator 1]: Group ${GROUP} with generation 2 is now empty (${partition})`],
      [coordinator, `[GroupCoordinator 1]: Member MemberMetadata(memberId=${member}, groupInstanceId=None, clientId=conformance, clientHost=/127.0.0.1, sessionTimeoutMs=30000, rebalanceTimeoutMs=60000, supportedProtocols=List(RoundRobinAssigner)) has left group ${GROUP} through explicit \`LeaveGroup\`; client reason: not provided`],
      [coordinator, `[GroupCoordinator 1]: The following groups were deleted: ${GROUP}. A total of 1 offsets were removed.`],
    ]);
  });

  it.each([
    ['runtime', (p: number, _member: string) => [
      ['org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime', `[GroupCoordinator id=1] Scheduling loading of metadata from __consumer_offsets-${p} with epoch 1`],
      ['org.apache.kafka.coordinator.group.GroupMetadataManager', `[GroupCoordinator id=1 topic=__consumer_offsets partition=${p}] Loaded classic group ${GROUP} with 0 members.`],
      ['org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime', expect.stringMatching(new RegExp(`^\\[GroupCoordinator id=1\\] Finished loading of metadata from __consumer_offsets-${p} with epoch 1 in \\d+ms where 0ms was spent in the scheduler\\. Loaded 3 records which total to \\d+ bytes\\.$`))],
    ]],
    ['classic', (p: number, m: string) => [
      ['kafka.coordinator.group.GroupMetadataManager', `[GroupMetadataManager brokerId=1] Scheduling loading of offsets and group metadata from __consumer_offsets-${p} for epoch 1`],
      ['kafka.coordinator.group.GroupMetadata$', `Loaded member MemberMetadata(memberId=${m}, groupInstanceId=None, clientId=conformance, clientHost=/127.0.0.1, sessionTimeoutMs=30000, rebalanceTimeoutMs=60000, supportedProtocols=List(RoundRobinAssigner)) in group ${GROUP} with generation 1.`],
      ['kafka.coordinator.group.GroupCoordinator', `[GroupCoordinator 1]: Loading group metadata for ${GROUP} with generation 2`],
      ['kafka.coordinator.group.GroupMetadataManager', expect.stringMatching(new RegExp(`^\\[GroupMetadataManager brokerId=1\\] Finished loading offsets and group metadata from __consumer_offsets-${p} in \\d+ milliseconds for epoch 1, of which 0 milliseconds was spent in the scheduler\\.$`))],
    ]],
  ] as const)('%s: the lines of a shard\'s load (as 4.1.1 and 3.9.2 print them after a restart)', async (wording, expected) => {
    const { logs, plugin, shardOf } = start(wording);
    stop = () => plugin.stop?.();
    const member = await memberComesAndGoes(shardOf(GROUP));
    shardOf(GROUP).leave(GROUP, [{ memberId: member, groupInstanceId: null }]);
    const partition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
    const before = logs.lines(1).length;
    // heal-coordinator re-elects the leader (epoch 0 -> 1) and the shard reloads at the new epoch.
    plugin.groups.healCoordinator(partition);
    const loadLines = logs.lines(1).slice(before).filter((l) => !/unloading|^\[Partition /.test(l.message));
    expect(loadLines.map((l) => [l.logger, l.message])).toEqual(expected(partition, member));
  });

  it.each([
    ['runtime', (p: number, m: string) => [
      `[GroupCoordinator id=1 topic=__consumer_offsets partition=${p}] Dynamic member with unknown member id joins group ${GROUP} in state Empty. Created a new member id ${m} and added the member to the group.`,
      `[GroupCoordinator id=1 topic=__consumer_offsets partition=${p}] Preparing to rebalance group ${GROUP} in state PreparingRebalance with old generation 0 (reason: Adding new member ${m} with group instance id null; client reason: not provided).`,
    ]],
    ['classic', (p: number, m: string) => [
      `[GroupCoordinator 1]: Dynamic Member with unknown member id joins group ${GROUP} in Empty state. Created a new member id ${m} for this member and add to the group.`,
      `[GroupCoordinator 1]: Preparing to rebalance group ${GROUP} in state PreparingRebalance with old generation 0 (__consumer_offsets-${p}) (reason: Adding new member ${m} with group instance id None; client reason: not provided)`,
    ]],
  ] as const)('%s: a member joining with JoinGroup v3 (no MEMBER_ID_REQUIRED)', async (wording, expected) => {
    const { logs, plugin, shardOf } = start(wording);
    stop = () => plugin.stop?.();
    const before = logs.lines(1).length;
    const joined = await shardOf(GROUP).join(GROUP, {
      memberId: '', groupInstanceId: null, clientId: 'conformance-raw', clientHost: '/127.0.0.1', sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 6_000,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['orders'] }) }], requireKnownMemberId: false,
    });
    expect(logs.lines(1).slice(before, before + 2).map((l) => l.message)).toEqual(expected(partitionForGroup(GROUP, OFFSETS_PARTITIONS), joined.memberId));
  });

  it.each([
    ['runtime', (p: number, m: string) => [
      `[GroupCoordinator id=1 topic=__consumer_offsets partition=${p}] Member ${m} in group ${GROUP} has failed, removing it from the group.`,
      `[GroupCoordinator id=1 topic=__consumer_offsets partition=${p}] Preparing to rebalance group ${GROUP} in state PreparingRebalance with old generation 1 (reason: removing member ${m} on heartbeat expiration.).`,
      `[GroupCoordinator id=1 topic=__consumer_offsets partition=${p}] Group ${GROUP} with generation 2 is now empty.`,
    ]],
    ['classic', (p: number, m: string) => [
      `[GroupCoordinator 1]: Member ${m} in group ${GROUP} has failed, removing it from the group`,
      `[GroupCoordinator 1]: Preparing to rebalance group ${GROUP} in state PreparingRebalance with old generation 1 (__consumer_offsets-${p}) (reason: removing member ${m} on heartbeat expiration)`,
      `[GroupCoordinator 1]: Group ${GROUP} with generation 2 is now empty (__consumer_offsets-${p})`,
    ]],
  ] as const)('%s: a member whose session runs out', async (wording, expected) => {
    const { logs, plugin, shardOf } = start(wording, { minSessionTimeoutMs: 10 });
    stop = () => plugin.stop?.();
    const shard = shardOf(GROUP);
    const joined = await shard.join(GROUP, {
      memberId: '', groupInstanceId: null, clientId: 'conformance-raw', clientHost: '/127.0.0.1', sessionTimeoutMs: 50, rebalanceTimeoutMs: 50,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['orders'] }) }], requireKnownMemberId: false,
    });
    await shard.sync(GROUP, { memberId: joined.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
    const failedAt = logs.lines(1).length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logs.lines(1).slice(failedAt).map((l) => l.message)).toEqual(expected(partitionForGroup(GROUP, OFFSETS_PARTITIONS), joined.memberId));
  });

  it.each([
    ['3.x writes no GroupMetadata tombstone for a group that never had a generation', true, ['offset']],
    ['4.x tombstones the group too', false, ['offset', 'group']],
  ] as const)('expiry emptying a group made by a manual commit: %s', async (_title, classic, tombstones) => {
    const log = new MemoryShardLog();
    const lines: string[] = [];
    const shard = new GroupShard(0, 0, log, testShardEnvironment({ expiryTombstonesOnlyGenerations: classic, log: (event) => lines.push(event.kind) }));
    shard.commitOffsets(SIMPLE, standalone, [{ topic: 'orders', partition: 0, offset: 1n, leaderEpoch: -1, metadata: '' }], 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(shard.expireOffsets()).toBe(1);
    expect(log.records().slice(1).map((r) => [r.kind, 'value' in r ? r.value : 'none'])).toEqual(tombstones.map((kind) => [kind, null]));
    expect(lines).toEqual(['simple-group-created', 'group-expired']);
  });
});
