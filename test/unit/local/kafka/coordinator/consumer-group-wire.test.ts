import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../../../local/kafka/protocol/api-keys.ts';
import { ErrorCode } from '../../../../../local/kafka/protocol/error-codes.ts';
import { wireHarness, type WireHarness } from './wire-harness.ts';

const OFFSETS_PARTITIONS = 4;

function joinBody(groupId: string, memberId: string, topics: string[]): Record<string, unknown> {
  return { groupId, memberId, memberEpoch: 0, rebalanceTimeoutMs: 300_000, subscribedTopicNames: topics, subscribedTopicRegex: '', topicPartitions: [] };
}

describe('KIP-848 APIs through the wire codec (4.1 profile)', () => {
  let h: WireHarness;
  beforeEach(() => {
    h = wireHarness(OFFSETS_PARTITIONS, { consumerGroups: { subscriptionMetadata: 'hash', partitionEpochRules: 'strict', heartbeatIntervalMs: 700 } });
    h.cluster.createTopic('orders', { partitions: 2, replicationFactor: 3 });
  });
  afterEach(() => h.stop());

  it('ConsumerGroupHeartbeat v1 joins with the client\'s member id and answers the assignment by topic id; v1 without a member id is refused', async () => {
    const topicId = h.cluster.topic('orders')!.topicId;
    const joined = await h.call(ApiKey.ConsumerGroupHeartbeat, 1, joinBody('cg', 'm-1', ['orders']), h.leaderOf('cg'), 'rdkafka');
    expect(joined).toMatchObject({ errorCode: 0, memberId: 'm-1', memberEpoch: 1, heartbeatIntervalMs: 700, assignment: { topicPartitions: [{ topicId, partitions: [0, 1] }] } });
    expect(await h.call(ApiKey.ConsumerGroupHeartbeat, 1, joinBody('cg', '', ['orders']), h.leaderOf('cg'))).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "MemberId can't be empty." });
    // v0: the coordinator names the member.
    const v0 = await h.call(ApiKey.ConsumerGroupHeartbeat, 0, { ...joinBody('cg0', '', ['orders']), subscribedTopicRegex: undefined }, h.leaderOf('cg0'));
    expect(v0).toMatchObject({ errorCode: 0, memberEpoch: 1 });
    expect(String(v0['memberId'])).not.toBe('');
    const notLeader = [1, 2, 3].find((b) => b !== h.leaderOf('cg'))!;
    expect(await h.call(ApiKey.ConsumerGroupHeartbeat, 1, joinBody('cg', 'm-2', ['orders']), notLeader)).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR });
  });

  it('ConsumerGroupDescribe, DescribeGroups and ListGroups show a consumer group as Kafka does', async () => {
    await h.call(ApiKey.ConsumerGroupHeartbeat, 1, joinBody('cg', 'm-1', ['orders']), h.leaderOf('cg'), 'rdkafka');
    const described = await h.call(ApiKey.ConsumerGroupDescribe, 1, { groupIds: ['cg', 'nobody'], includeAuthorizedOperations: false }, h.leaderOf('cg'));
    const [cg] = described['groups'] as Array<Record<string, unknown>>;
    expect(cg).toMatchObject({ errorCode: 0, groupId: 'cg', groupState: 'Stable', groupEpoch: 1, assignmentEpoch: 1, assignorName: 'uniform' });
    expect(cg!['members']).toMatchObject([
      { memberId: 'm-1', memberEpoch: 1, clientId: 'rdkafka', clientHost: '/127.0.0.1', subscribedTopicNames: ['orders'], assignment: { topicPartitions: [{ topicName: 'orders', partitions: [0, 1] }] }, memberType: 1 },
    ]);
    const classic = await h.call(ApiKey.DescribeGroups, 5, { groups: ['cg'] }, h.leaderOf('cg'));
    expect(classic['groups']).toMatchObject([{ groupId: 'cg', errorCode: 0, groupState: 'Dead' }]);
    const v6 = await h.call(ApiKey.DescribeGroups, 6, { groups: ['cg'] }, h.leaderOf('cg'));
    expect(v6['groups']).toMatchObject([{ groupId: 'cg', errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group cg is not a classic group.' }]);
    const listed = await h.call(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] }, h.leaderOf('cg'));
    expect(listed['groups']).toEqual([{ groupId: 'cg', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    const onlyClassic = await h.call(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['classic'] }, h.leaderOf('cg'));
    expect(onlyClassic['groups']).toEqual([]);
    // A member asking for the range assignor: the group's only member decides.
    await h.call(ApiKey.ConsumerGroupHeartbeat, 1, { ...joinBody('cr', 'm-r', ['orders']), serverAssignor: 'range' }, h.leaderOf('cr'));
    const ranged = await h.call(ApiKey.ConsumerGroupDescribe, 1, { groupIds: ['cr'], includeAuthorizedOperations: false }, h.leaderOf('cr'));
    expect(ranged['groups']).toMatchObject([{ groupId: 'cr', assignorName: 'range' }]);
  });

  it('OffsetCommit v9 and OffsetFetch v9 check the member epoch', async () => {
    await h.call(ApiKey.ConsumerGroupHeartbeat, 1, joinBody('cg', 'm-1', ['orders']), h.leaderOf('cg'));
    const commit = (epoch: number, memberId = 'm-1') =>
      h.call(ApiKey.OffsetCommit, 9, { groupId: 'cg', generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: '' }] }] }, h.leaderOf('cg'));
    expect(((await commit(0))['topics'] as Array<{ partitions: Array<{ errorCode: number }> }>)[0]!.partitions[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(((await commit(1, 'm-x'))['topics'] as Array<{ partitions: Array<{ errorCode: number }> }>)[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(((await commit(1))['topics'] as Array<{ partitions: Array<{ errorCode: number }> }>)[0]!.partitions[0]!.errorCode).toBe(0);
    const fetch = (epoch: number) => h.call(ApiKey.OffsetFetch, 9, { groups: [{ groupId: 'cg', memberId: 'm-1', memberEpoch: epoch, topics: [{ name: 'orders', partitionIndexes: [0] }] }], requireStable: false }, h.leaderOf('cg'));
    expect((await fetch(3))['groups']).toMatchObject([{ groupId: 'cg', errorCode: ErrorCode.STALE_MEMBER_EPOCH }]);
    expect((await fetch(1))['groups']).toMatchObject([{ groupId: 'cg', errorCode: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n }] }] }]);
  });
});

describe('KIP-848 APIs on a 3.x coordinator', () => {
  it('answers ConsumerGroupHeartbeat UNSUPPORTED_VERSION, as a 3.9 broker without the consumer protocol', async () => {
    const h = wireHarness(OFFSETS_PARTITIONS);
    try {
      h.cluster.createTopic('orders', { partitions: 2, replicationFactor: 3 });
      expect(await h.call(ApiKey.ConsumerGroupHeartbeat, 0, { ...joinBody('cg', '', ['orders']), subscribedTopicRegex: undefined }, h.leaderOf('cg'))).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_VERSION });
    } finally {
      h.stop();
    }
  });
});
