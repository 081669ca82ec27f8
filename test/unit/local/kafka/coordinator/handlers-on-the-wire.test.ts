import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../../lambdas/core/hash.ts';
import { encodeConsumerSubscription } from '../../../../../lambdas/core/offsets-records/index.ts';
import { CONSUMER_OFFSETS, TRANSACTION_STATE, type Cluster } from '../../../../../local/kafka/cluster/cluster.ts';
import { COORDINATOR_APIS } from '../../../../../local/kafka/coordinator/index.ts';
import { ErrorCode } from '../../../../../local/kafka/protocol/error-codes.ts';
import { ApiKey } from '../../../../../local/kafka/protocol/api-keys.ts';
import type { ApiRegistry, ProtocolValue } from '../../../../../local/kafka/server/registry.ts';
import { wireHarness, type WireHarness } from './wire-harness.ts';

const OFFSETS_PARTITIONS = 4;

/**
 * Each call goes through the real request and response codecs at the version under test, so a
 * field the handler forgets or fills with the wrong type fails here, not in a client.
 */
describe('coordinator handlers through the wire codec', () => {
  let cluster: Cluster;
  let registry: ApiRegistry;
  let plugin: WireHarness['plugin'];
  let call: WireHarness['call'];

  beforeEach(() => {
    ({ cluster, registry, plugin, call } = wireHarness(OFFSETS_PARTITIONS, { offsetCommitValueVersion: 3 }, { topics: { orders: 2 }, findCoordinator: true }));
  });
  afterEach(() => plugin.stop?.());

  const leaderOf = (groupId: string): number => cluster.partition(CONSUMER_OFFSETS, partitionForGroup(groupId, OFFSETS_PARTITIONS))!.leader;
  const notLeaderOf = (groupId: string): number => [1, 2, 3].find((b) => b !== leaderOf(groupId))!;

  it('registers every coordinator API with the versions it serves', () => {
    for (const api of COORDINATOR_APIS) {
      expect(registry.get(api.apiKey)).toMatchObject({ minVersion: api.minVersion, maxVersion: api.maxVersion });
    }
    expect(registry.get(ApiKey.OffsetFetch)).toMatchObject({ minVersion: 1, maxVersion: 9 });
  });

  it('FindCoordinator names the leader at v0-3 and answers batched keys at v4, for groups and transactions', async () => {
    for (const version of [0, 1, 2, 3]) {
      const answer = await call(ApiKey.FindCoordinator, version, { key: 'g1', keyType: 0 });
      expect(answer).toMatchObject({ errorCode: 0, nodeId: leaderOf('g1'), host: '127.0.0.1', port: 9000 + leaderOf('g1') });
    }
    const batched = await call(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g1', 'g2', 'g3'] });
    expect(batched['coordinators']).toEqual(['g1', 'g2', 'g3'].map((key) => ({ key, nodeId: leaderOf(key), host: '127.0.0.1', port: 9000 + leaderOf(key), errorCode: 0, errorMessage: null })));
    const txn = await call(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['tx'] });
    expect(txn['coordinators']).toMatchObject([{ key: 'tx', nodeId: cluster.partition(TRANSACTION_STATE, partitionForGroup('tx', 2))!.leader, errorCode: 0 }]);
    plugin.faults.failCoordinator(partitionForGroup('g1', OFFSETS_PARTITIONS));
    expect(await call(ApiKey.FindCoordinator, 2, { key: 'g1', keyType: 0 })).toMatchObject({ errorCode: 0, nodeId: leaderOf('g1') });
  });

  it('JoinGroup asks for a member id from v4 on, not before; a non-coordinator broker answers NOT_COORDINATOR', async () => {
    const protocols = [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['orders'] }, 0) }];
    const join = (version: number, memberId = '', brokerId = leaderOf('jg')) =>
      call(ApiKey.JoinGroup, version, { groupId: 'jg', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, protocolType: 'consumer', protocols }, brokerId);
    const old = await join(3);
    expect(old).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
    const required = await join(5);
    expect(required).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: expect.stringMatching(/^wire-test-/) });
    expect(await join(7, '', notLeaderOf('jg'))).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, protocolType: null, protocolName: null });
  });

  it('LeaveGroup: one member at v0-2, a batch with per-member errors at v3+', async () => {
    const protocols = [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['orders'] }, 0) }];
    const joined = await call(ApiKey.JoinGroup, 2, { groupId: 'lg', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols }, leaderOf('lg'));
    const memberId = joined['memberId'] as string;
    expect(await call(ApiKey.LeaveGroup, 0, { groupId: 'lg', memberId: 'ghost' }, leaderOf('lg'))).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    const batch = await call(ApiKey.LeaveGroup, 4, { groupId: 'lg', members: [{ memberId, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }] }, leaderOf('lg'));
    expect(batch).toMatchObject({ errorCode: 0, members: [{ memberId, errorCode: 0 }, { memberId: 'ghost', errorCode: ErrorCode.UNKNOWN_MEMBER_ID }] });
  });

  it('OffsetCommit answers per partition, refusing unknown partitions; OffsetFetch v1 carries group errors per partition', async () => {
    const leader = leaderOf('oc');
    const committed = await call(ApiKey.OffsetCommit, 2, {
      groupId: 'oc', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 12n, committedMetadata: 'm' }, { partitionIndex: 9, committedOffset: 1n, committedMetadata: null }] }],
    }, leader);
    expect(committed['topics']).toMatchObject([{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] }]);
    const v1 = await call(ApiKey.OffsetFetch, 1, { groupId: 'oc', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] }, leader);
    expect(v1['topics']).toEqual([{ name: 'orders', partitions: [
      { partitionIndex: 0, committedOffset: 12n, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 },
      { partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
    ] }]);
    const elsewhere = await call(ApiKey.OffsetFetch, 1, { groupId: 'oc', topics: [{ name: 'orders', partitionIndexes: [0] }] }, notLeaderOf('oc'));
    expect(elsewhere['topics']).toMatchObject([{ partitions: [{ partitionIndex: 0, committedOffset: -1n, errorCode: ErrorCode.NOT_COORDINATOR }] }]);
    const all = await call(ApiKey.OffsetFetch, 5, { groupId: 'oc', topics: null }, leader);
    expect(all).toMatchObject({ errorCode: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 12n }] }] });
  });

  it('an empty group id is INVALID_GROUP_ID for the membership and commit APIs, on every partition named', async () => {
    const protocols = [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['orders'] }, 0) }];
    const topics = [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }, { partitionIndex: 1, committedOffset: 2n, committedMetadata: null }] }];
    const refusedPartitions = [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.INVALID_GROUP_ID }, { partitionIndex: 1, errorCode: ErrorCode.INVALID_GROUP_ID }] }];
    const invalid = { errorCode: ErrorCode.INVALID_GROUP_ID };
    expect(await call(ApiKey.JoinGroup, 5, { groupId: '', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols })).toMatchObject(invalid);
    expect(await call(ApiKey.SyncGroup, 3, { groupId: '', generationId: 1, memberId: 'm', assignments: [] })).toMatchObject(invalid);
    expect(await call(ApiKey.Heartbeat, 3, { groupId: '', generationId: 1, memberId: 'm' })).toMatchObject(invalid);
    expect(await call(ApiKey.LeaveGroup, 3, { groupId: '', members: [{ memberId: 'm', groupInstanceId: null }] })).toMatchObject(invalid);
    expect(await call(ApiKey.OffsetDelete, 0, { groupId: '', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] })).toMatchObject(invalid);
    const committed = await call(ApiKey.OffsetCommit, 8, { groupId: '', generationIdOrMemberEpoch: -1, memberId: '', topics });
    expect(committed['topics']).toMatchObject(refusedPartitions);
    const transactional = await call(ApiKey.TxnOffsetCommit, 3, { transactionalId: 't', groupId: '', producerId: 1n, producerEpoch: 0, generationId: -1, memberId: '', topics });
    expect(transactional['topics']).toMatchObject(refusedPartitions);
  });

  it('OffsetFetch v8 answers several groups, each with its own error', async () => {
    const groups = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
    const broker = 1;
    for (const g of groups) {
      if (leaderOf(g) !== broker) continue;
      await call(ApiKey.OffsetCommit, 8, { groupId: g, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 5n, committedLeaderEpoch: 2, committedMetadata: '' }] }] }, broker);
    }
    const answer = await call(ApiKey.OffsetFetch, 8, { groups: groups.map((groupId) => ({ groupId, topics: null })), requireStable: true }, broker);
    const byGroup = answer['groups'] as ProtocolValue[];
    expect(byGroup.map((g) => g['groupId'])).toEqual(groups);
    for (const g of byGroup) {
      if (leaderOf(g['groupId'] as string) === broker) {
        expect(g).toMatchObject({ errorCode: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 5n, committedLeaderEpoch: 2 }] }] });
      } else {
        expect(g).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, topics: [] });
      }
    }
  });

  it('ListGroups filters by state; DescribeGroups answers unknown groups Dead (GROUP_ID_NOT_FOUND at v6); DeleteGroups per group', async () => {
    const leader = leaderOf('dg');
    await call(ApiKey.OffsetCommit, 3, { groupId: 'dg', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: '' }] }] }, leader);
    expect((await call(ApiKey.ListGroups, 4, { statesFilter: ['Empty'] }, leader))['groups']).toMatchObject([{ groupId: 'dg', protocolType: '', groupState: 'Empty' }]);
    expect((await call(ApiKey.ListGroups, 4, { statesFilter: ['Stable'] }, leader))['groups']).toEqual([]);
    expect((await call(ApiKey.DescribeGroups, 5, { groups: ['nobody'], includeAuthorizedOperations: false }, leaderOf('nobody')))['groups']).toMatchObject([{ groupId: 'nobody', errorCode: 0, groupState: 'Dead' }]);
    expect((await call(ApiKey.DescribeGroups, 6, { groups: ['nobody'], includeAuthorizedOperations: false }, leaderOf('nobody')))['groups']).toMatchObject([{ errorCode: ErrorCode.GROUP_ID_NOT_FOUND }]);
    const deleted = await call(ApiKey.DeleteGroups, 1, { groupsNames: ['dg', 'nobody'] }, leader);
    expect(deleted['results']).toEqual([
      { groupId: 'dg', errorCode: 0 },
      { groupId: 'nobody', errorCode: leaderOf('nobody') === leader ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NOT_COORDINATOR },
    ]);
  });

  it('a FAILED shard answers NOT_COORDINATOR to every group call, a LOADING one COORDINATOR_LOAD_IN_PROGRESS', async () => {
    const leader = leaderOf('ff');
    plugin.faults.failCoordinator(partitionForGroup('ff', OFFSETS_PARTITIONS));
    const calls: Array<[number, number, ProtocolValue, (r: ProtocolValue) => unknown]> = [
      [ApiKey.JoinGroup, 5, { groupId: 'ff', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [] }, (r) => r['errorCode']],
      [ApiKey.SyncGroup, 3, { groupId: 'ff', generationId: 1, memberId: 'm', groupInstanceId: null, assignments: [] }, (r) => r['errorCode']],
      [ApiKey.Heartbeat, 3, { groupId: 'ff', generationId: 1, memberId: 'm', groupInstanceId: null }, (r) => r['errorCode']],
      [ApiKey.LeaveGroup, 3, { groupId: 'ff', members: [{ memberId: 'm', groupInstanceId: null }] }, (r) => r['errorCode']],
      [ApiKey.OffsetCommit, 7, { groupId: 'ff', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: '' }] }] }, (r) => (r['topics'] as ProtocolValue[])[0]!['partitions']],
      [ApiKey.OffsetFetch, 7, { groupId: 'ff', topics: null, requireStable: false }, (r) => r['errorCode']],
      [ApiKey.DescribeGroups, 4, { groups: ['ff'], includeAuthorizedOperations: false }, (r) => (r['groups'] as ProtocolValue[])[0]!['errorCode']],
      [ApiKey.DeleteGroups, 2, { groupsNames: ['ff'] }, (r) => (r['results'] as ProtocolValue[])[0]!['errorCode']],
      [ApiKey.OffsetDelete, 0, { groupId: 'ff', topics: [] }, (r) => r['errorCode']],
      [ApiKey.TxnOffsetCommit, 3, { transactionalId: 't', groupId: 'ff', producerId: 1n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: '' }] }] }, (r) => (r['topics'] as ProtocolValue[])[0]!['partitions']],
    ];
    for (const [apiKey, version, body, pick] of calls) {
      const answer = pick(await call(apiKey, version, body, leader));
      if (Array.isArray(answer)) expect(answer).toEqual([{ partitionIndex: 0, errorCode: ErrorCode.NOT_COORDINATOR }]);
      else expect(answer, `api ${apiKey}`).toBe(ErrorCode.NOT_COORDINATOR);
    }
    plugin.faults.healCoordinator(partitionForGroup('ff', OFFSETS_PARTITIONS));
    plugin.faults.loadCoordinator!(partitionForGroup('ff', OFFSETS_PARTITIONS), 60_000);
    expect(await call(ApiKey.Heartbeat, 0, { groupId: 'ff', generationId: 1, memberId: 'm' }, leader)).toMatchObject({ errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS });
    expect(await call(ApiKey.ListGroups, 3, {}, leader)).toMatchObject({ errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS });
  });

  it('ListGroups while one of the broker\'s shards loads: 4.x answers only COORDINATOR_LOAD_IN_PROGRESS, 3.9 adds the loaded shards\' groups', async () => {
    // Partitions 0 and 3 of __consumer_offsets are both led by broker 1 (replicas [1, 2, 3]).
    const groupOn = (partition: number): string => {
      for (let i = 0; ; i++) if (partitionForGroup(`lg-${i}`, OFFSETS_PARTITIONS) === partition) return `lg-${i}`;
    };
    const [loading, loaded] = [groupOn(0), groupOn(3)];
    expect([leaderOf(loading), leaderOf(loaded)]).toEqual([1, 1]);
    // The 4.x runtime fails the whole read; 3.9's classic coordinator (whose failed load leaves offsets lost) lists the loaded shards' groups.
    for (const [env, groupsWhileLoading] of [[{}, []], [{ loadFailure: 'offsets-lost' }, [loaded]]] as const) {
      const profile = wireHarness(OFFSETS_PARTITIONS, { offsetCommitValueVersion: 3, ...env }, { topics: { orders: 2 } });
      try {
        const commit = (groupId: string) =>
          profile.call(ApiKey.OffsetCommit, 7, { groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: '' }] }] }, 1);
        const listed = async () => {
          const answer = await profile.call(ApiKey.ListGroups, 4, { statesFilter: [] }, 1);
          return { errorCode: answer['errorCode'], groups: (answer['groups'] as ProtocolValue[]).map((g) => g['groupId']).sort() };
        };
        await commit(loading);
        await commit(loaded);
        expect(await listed()).toEqual({ errorCode: 0, groups: [loading, loaded].sort() });
        profile.plugin.faults.loadCoordinator!(0, 60_000);
        expect(await listed()).toEqual({ errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: groupsWhileLoading });
      } finally {
        profile.stop();
      }
    }
  });

  it('transactions over the wire: InitProducerId, AddPartitionsToTxn v0-3, AddOffsetsToTxn, TxnOffsetCommit, EndTxn', async () => {
    const txnLeader = cluster.partition(TRANSACTION_STATE, partitionForGroup('wire-tx', 2))!.leader;
    const init = await call(ApiKey.InitProducerId, 2, { transactionalId: 'wire-tx', transactionTimeoutMs: 60_000 }, txnLeader);
    expect(init).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    const producerId = init['producerId'] as bigint;
    for (const version of [0, 3]) {
      const added = await call(ApiKey.AddPartitionsToTxn, version, {
        v3AndBelowTransactionalId: 'wire-tx', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 'orders', partitions: [0, 1] }],
      }, txnLeader);
      expect(added['resultsByTopicV3AndBelow']).toEqual([{ name: 'orders', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }, { partitionIndex: 1, partitionErrorCode: 0 }] }]);
    }
    expect(await call(ApiKey.AddOffsetsToTxn, 1, { transactionalId: 'wire-tx', producerId, producerEpoch: 0, groupId: 'txg' }, txnLeader)).toMatchObject({ errorCode: 0 });
    const tx = await call(ApiKey.TxnOffsetCommit, 0, { transactionalId: 'wire-tx', groupId: 'txg', producerId, producerEpoch: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 33n, committedMetadata: null }] }] }, leaderOf('txg'));
    expect(tx['topics']).toEqual([{ name: 'orders', partitions: [{ partitionIndex: 1, errorCode: 0 }] }]);
    const fenced = await call(ApiKey.TxnOffsetCommit, 0, { transactionalId: 'wire-tx', groupId: 'txg', producerId, producerEpoch: 7, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 1n, committedMetadata: null }] }] }, leaderOf('txg'));
    expect(fenced['topics']).toEqual([{ name: 'orders', partitions: [{ partitionIndex: 1, errorCode: ErrorCode.INVALID_PRODUCER_EPOCH }] }]);
    expect(await call(ApiKey.EndTxn, 1, { transactionalId: 'wire-tx', producerId, producerEpoch: 0, committed: true }, txnLeader)).toMatchObject({ errorCode: 0 });
    const fetched = await call(ApiKey.OffsetFetch, 7, { groupId: 'txg', topics: null, requireStable: true }, leaderOf('txg'));
    expect(fetched).toMatchObject({ errorCode: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 33n, errorCode: 0 }] }] });
  });
});
