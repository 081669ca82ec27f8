import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeConsumerGroupRecord, decodeConsumerGroupRecord, MemberState, type ConsumerGroupRecord } from '../../../../../local/kafka/coordinator/consumer-group-records.ts';
import type { HeartbeatRequest } from '../../../../../local/kafka/coordinator/consumer-group.ts';
import { ConsumerRecordReplayFailure, GroupShard, type ConsumerGroupSettings } from '../../../../../local/kafka/coordinator/group-shard.ts';
import { consumerReplayFailureLines } from '../../../../../local/kafka/coordinator/log-lines.ts';
import { ErrorCode } from '../../../../../local/kafka/protocol/error-codes.ts';
import { capturedRecord, KAFKA_4_1_1_BY_NAME, KAFKA_4_1_1_BY_REGEX } from '../../../../support/kip848-records.ts';
import { MemoryShardLog, testShardEnvironment } from './helpers.ts';

const TOPIC_ID = '8a4c1463-8a8e-4413-930d-c0687f00cd93';
const topics = new Map([['t848', { topicId: TOPIC_ID, partitions: 3 }]]);

function settings(overrides: Partial<ConsumerGroupSettings> = {}): ConsumerGroupSettings {
  return { topics: () => topics, heartbeatIntervalMs: 5000, sessionTimeoutMs: 45_000, subscriptionMetadata: 'hash', partitionEpochRules: 'strict', ...overrides };
}

function join(memberId: string, extra: Partial<HeartbeatRequest> = {}): HeartbeatRequest {
  return {
    memberId,
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 300_000,
    subscribedTopicNames: ['t848'],
    subscribedTopicRegex: '',
    serverAssignor: null,
    ownedTopicPartitions: new Map(),
    clientId: 'rdkafka',
    clientHost: '/127.0.0.1',
    ...extra,
  };
}

function beat(memberId: string, memberEpoch: number, owned: number[] | null): HeartbeatRequest {
  return { ...join(memberId), memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, ownedTopicPartitions: owned === null ? null : new Map([[TOPIC_ID, new Set(owned)]]) };
}

const partitionsOf = (assignment: Map<string, Set<number>> | null | undefined): number[] => [...(assignment?.get(TOPIC_ID) ?? [])].sort();
const consumerTypes = (log: MemoryShardLog): number[] => log.records().flatMap((r) => (r.kind === 'consumer' ? [r.record.type] : []));

describe('KIP-848 consumer groups in a 4.x shard', () => {
  let log: MemoryShardLog;
  let shard: GroupShard;
  beforeEach(() => {
    vi.useFakeTimers();
    log = new MemoryShardLog();
    shard = new GroupShard(0, 0, log, testShardEnvironment({ consumerGroups: settings() }));
  });
  afterEach(() => {
    shard.unload();
    vi.useRealTimers();
  });

  it('joins at epoch 1 with every partition and writes 5, 3, 7, 6, 8 as 4.1.1 does, the member record byte for byte', () => {
    const answer = shard.consumerGroupHeartbeat('g848', join('sCxE4AgcSQa7dRv3c1lWPQ'))!;
    expect(answer).toMatchObject({ errorCode: 0, memberId: 'sCxE4AgcSQa7dRv3c1lWPQ', memberEpoch: 1, heartbeatIntervalMs: 5000 });
    expect(partitionsOf(answer.assignment)).toEqual([0, 1, 2]);
    expect(consumerTypes(log)).toEqual(KAFKA_4_1_1_BY_NAME.records.slice(0, 5).map(([type]) => type));
    const memberRecord = log.records()[0]!;
    if (memberRecord.kind !== 'consumer') throw new Error('expected a consumer group record');
    const real = capturedRecord(KAFKA_4_1_1_BY_NAME.records[0]!);
    const ours = encodeConsumerGroupRecord(memberRecord.record);
    expect(ours.key.toString('hex')).toBe(real.key.toString('hex'));
    expect(ours.value!.toString('hex')).toBe(real.value!.toString('hex'));
    // The assignment records are the real ones too, but for the topic id the broker drew.
    for (const index of [2, 4]) {
      const record = log.records()[index]!;
      if (record.kind !== 'consumer') throw new Error('expected a consumer group record');
      expect(encodeConsumerGroupRecord(record.record).value!.toString('hex')).toBe(KAFKA_4_1_1_BY_NAME.records[index]![2]);
    }
    expect(shard.list()).toEqual([{ groupId: 'g848', protocolType: 'consumer', state: 'Stable', groupType: 'consumer' }]);
  });

  it('resolves a regular expression subscription off the request path, in the record order 4.1.1 writes, and drops it with the last member', () => {
    const regexShard = new GroupShard(0, 0, log, testShardEnvironment({ consumerGroups: settings({ topics: () => new Map([['tre848', { topicId: TOPIC_ID, partitions: 3 }], ['other', { topicId: '00000000-0000-0000-0000-0000000000aa', partitions: 1 }]]) }) }));
    const memberId = 'vW4tWZbfT1KEsYVF7NiEuQ';
    const first = regexShard.consumerGroupHeartbeat('gre848', join(memberId, { subscribedTopicNames: [], subscribedTopicRegex: KAFKA_4_1_1_BY_REGEX.regex }))!;
    expect(first).toMatchObject({ errorCode: 0, memberEpoch: 1 });
    expect(partitionsOf(first.assignment)).toEqual([]);
    vi.advanceTimersByTime(0);
    const second = regexShard.consumerGroupHeartbeat('gre848', beat(memberId, 1, []))!;
    expect(second.memberEpoch).toBe(2);
    expect(partitionsOf(second.assignment)).toEqual([0, 1, 2]);
    regexShard.commitOffsets('gre848', { memberId, generationId: 2, groupInstanceId: null }, [0, 1, 2].map((partition) => ({ topic: 'tre848', partition, offset: 10n, leaderEpoch: 0, metadata: '' })));
    regexShard.consumerGroupHeartbeat('gre848', beat(memberId, -1, null));
    const ours = log.records().map((r) => (r.kind === 'consumer' ? [r.record.type, r.record.value === null] : [1, r.kind === 'offset' && r.value === null]));
    expect(ours).toEqual(KAFKA_4_1_1_BY_REGEX.records.map(([type, , value]) => [type, value === null]));
    // The member record and the resolved expression, byte for byte but for the resolution's version and time.
    const bytes = log.records().map((r) => (r.kind === 'consumer' ? encodeConsumerGroupRecord(r.record) : null));
    expect(bytes[0]!.value!.toString('hex')).toBe(KAFKA_4_1_1_BY_REGEX.records[0]![2]);
    expect(bytes[5]!.key.toString('hex')).toBe(KAFKA_4_1_1_BY_REGEX.records[5]![1]);
    regexShard.unload();
  });

  it('decodes every record a real 4.1.1 broker wrote for a consumer group back to the same bytes', () => {
    for (const captured of KAFKA_4_1_1_BY_NAME.records.filter(([type]) => type !== 1)) {
      const { key, value } = capturedRecord(captured);
      const decoded = decodeConsumerGroupRecord(key, value)!;
      const encoded = encodeConsumerGroupRecord(decoded);
      expect([encoded.key.toString('hex'), encoded.value?.toString('hex') ?? null]).toEqual([captured[1], captured[2]]);
    }
  });

  it('moves a partition to a new member only after its old owner revoked it', () => {
    shard.consumerGroupHeartbeat('g', join('a'));
    const b = shard.consumerGroupHeartbeat('g', join('b'))!;
    // b gets the target epoch but not the partition a still owns.
    expect(b.memberEpoch).toBe(2);
    expect(partitionsOf(b.assignment)).toEqual([]);
    const aRevoking = shard.consumerGroupHeartbeat('g', beat('a', 1, null))!;
    expect(aRevoking.memberEpoch).toBe(1);
    // Kafka's updateMemberEpoch: the previous epoch is the current one even when it does not move.
    expect(shard.consumerGroup('g')!.members.get('a')!.assignment).toMatchObject({ memberEpoch: 1, previousMemberEpoch: 1, state: MemberState.UNREVOKED_PARTITIONS });
    const kept = partitionsOf(aRevoking.assignment);
    expect(kept).toHaveLength(2);
    const moved = [0, 1, 2].filter((p) => !kept.includes(p));
    // a still reports the partition: nothing moves.
    expect(shard.consumerGroupHeartbeat('g', beat('a', 1, [0, 1, 2]))!.memberEpoch).toBe(1);
    expect(partitionsOf(shard.consumerGroupHeartbeat('g', beat('b', 2, []))!.assignment)).toEqual([]);
    // a revoked it: a reaches epoch 2, then b gets it.
    expect(shard.consumerGroupHeartbeat('g', beat('a', 1, kept))!.memberEpoch).toBe(2);
    const bAssigned = shard.consumerGroupHeartbeat('g', beat('b', 2, []))!;
    expect(partitionsOf(bAssigned.assignment)).toEqual(moved);
    expect(shard.list()[0]!.state).toBe('Stable');
  });

  it('fences a heartbeat with a wrong epoch, and validates OffsetCommit v9 and OffsetFetch v9 against member epochs', () => {
    shard.consumerGroupHeartbeat('g', join('a'));
    expect(shard.consumerGroupHeartbeat('g', beat('a', 5, null))!.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect(shard.consumerGroupHeartbeat('g', beat('nobody', 1, null))!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const offsets = [{ topic: 't848', partition: 0, offset: 7n, leaderEpoch: 0, metadata: '' }];
    expect(shard.commitOffsets('g', { memberId: 'a', generationId: 0, groupInstanceId: null }, offsets)[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(shard.commitOffsets('g', { memberId: 'x', generationId: 1, groupInstanceId: null }, offsets)[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(shard.commitOffsets('g', { memberId: 'a', generationId: 1, groupInstanceId: null }, offsets, -1, 8)[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(shard.commitOffsets('g', { memberId: 'a', generationId: 1, groupInstanceId: null }, offsets)[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(shard.validateOffsetFetch('g', 'a', 0)).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(shard.validateOffsetFetch('g', 'a', 1)).toBe(ErrorCode.NONE);
    expect(shard.fetchOffsets('g', [{ topic: 't848', partitions: [0] }], false)[0]!.offset).toBe(7n);
  });

  it('keeps transactional commits and OffsetDelete on the consumer group (member epochs, subscribed topics), with no classic twin', () => {
    shard.consumerGroupHeartbeat('g', join('a'));
    const offsets = [{ topic: 't848', partition: 0, offset: 3n, leaderEpoch: 0, metadata: '' }];
    const producer = { producerId: 7n, producerEpoch: 0 };
    expect(shard.commitTransactionalOffsets('g', producer, { memberId: 'a', generationId: 0, groupInstanceId: null }, offsets)[0]!.errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(shard.commitTransactionalOffsets('g', producer, { memberId: 'a', generationId: 1, groupInstanceId: null }, offsets)[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(shard.completeTransaction(producer, true, 0)).toBe(ErrorCode.NONE);
    expect(shard.list()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Stable', groupType: 'consumer' }]);
    const subscribed = shard.deleteOffsets('g', [{ topic: 't848', partitions: [0] }, { topic: 'elsewhere', partitions: [0] }], () => null);
    expect(subscribed).toEqual({ errorCode: 0, partitions: [{ topic: 't848', partition: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }, { topic: 'elsewhere', partition: 0, errorCode: 0 }] });
    shard.consumerGroupHeartbeat('g', beat('a', -1, null));
    expect(shard.deleteOffsets('g', [{ topic: 't848', partitions: [0] }], () => null).partitions).toEqual([{ topic: 't848', partition: 0, errorCode: 0 }]);
    expect(shard.fetchOffsets('g', [{ topic: 't848', partitions: [0] }], false)[0]!.offset).toBe(-1n);
  });

  it('keeps a static member\'s partitions through a temporary leave (-2) and gives them to its next incarnation without a rebalance', () => {
    shard.consumerGroupHeartbeat('g', join('a', { instanceId: 'i1' }));
    shard.consumerGroupHeartbeat('g', join('b'));
    const kept = partitionsOf(shard.consumerGroupHeartbeat('g', beat('a', 1, null))!.assignment);
    shard.consumerGroupHeartbeat('g', beat('a', 1, kept));
    shard.consumerGroupHeartbeat('g', beat('b', 2, []));
    const group = shard.consumerGroup('g')!;
    const epoch = group.groupEpoch;
    expect(shard.consumerGroupHeartbeat('g', join('a2', { instanceId: 'i1' }))!.errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
    expect(shard.consumerGroupHeartbeat('g', { ...beat('a', -2, null), instanceId: 'i1' })).toMatchObject({ errorCode: 0, memberEpoch: -2 });
    expect(group.groupEpoch).toBe(epoch);
    // b cannot take a's partitions meanwhile.
    expect(partitionsOf(shard.consumerGroupHeartbeat('g', beat('b', 2, null))!.assignment ?? group.members.get('b')!.assignment.assignedPartitions)).toHaveLength(1);
    const back = shard.consumerGroupHeartbeat('g', join('a2', { instanceId: 'i1' }))!;
    expect(back).toMatchObject({ errorCode: 0, memberId: 'a2', memberEpoch: epoch });
    expect(partitionsOf(back.assignment)).toEqual(kept);
    expect(group.groupEpoch).toBe(epoch);
    expect([...group.members.keys()].sort()).toEqual(['a2', 'b']);
    expect(shard.consumerGroupHeartbeat('g', { ...beat('a', 2, null), instanceId: 'i1' })!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it('expires a consumer group\'s offsets a retention after their commit unless a member subscribes to the topic, then deletes the empty group', () => {
    shard.consumerGroupHeartbeat('g', join('a'));
    shard.commitOffsets('g', { memberId: 'a', generationId: 1, groupInstanceId: null }, [{ topic: 't848', partition: 0, offset: 4n, leaderEpoch: 0, metadata: '' }]);
    vi.advanceTimersByTime(30_000);
    shard.consumerGroupHeartbeat('g', beat('a', 1, null));
    vi.advanceTimersByTime(31_000);
    // Subscribed: kept past the retention (60 s in the test environment).
    expect(shard.expireOffsets()).toBe(0);
    shard.consumerGroupHeartbeat('g', beat('a', -1, null));
    const before = log.records().length;
    expect(shard.expireOffsets()).toBe(1);
    const written = log.records().slice(before).map((r) => (r.kind === 'consumer' ? [r.record.type, r.record.value === null] : [r.kind, r.kind === 'offset' && r.value === null]));
    expect(written).toEqual([['offset', true], [6, true], [3, true]]);
    expect(shard.list()).toEqual([]);
    expect(shard.consumerGroup('g')).toBeUndefined();
  });

  it('writes the tombstones of 8, 7, 5 and a new group epoch when a member leaves, and when its session expires', () => {
    shard.consumerGroupHeartbeat('g', join('a'));
    shard.consumerGroupHeartbeat('g', join('b'));
    const before = log.records().length;
    expect(shard.consumerGroupHeartbeat('g', beat('a', -1, null))).toMatchObject({ errorCode: 0, memberEpoch: -1 });
    const leave = log.records().slice(before);
    expect(leave.map((r) => (r.kind === 'consumer' ? [r.record.type, r.record.value === null] : r.kind))).toEqual([
      [8, true],
      [7, true],
      [5, true],
      [3, false],
    ]);
    vi.advanceTimersByTime(45_001);
    expect(shard.consumerGroup('g')!.members.size).toBe(0);
    expect(shard.list()[0]!.state).toBe('Empty');
  });

  it('rebuilds the same group by replaying its records', () => {
    shard.consumerGroupHeartbeat('g', join('a'));
    shard.consumerGroupHeartbeat('g', join('b'));
    shard.consumerGroupHeartbeat('g', beat('a', 1, null));
    const group = shard.consumerGroup('g')!;
    const snapshot = (): unknown => ({
      epoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      members: [...shard.consumerGroup('g')!.members.values()].map((m) => [m.memberId, m.assignment.memberEpoch, m.assignment.state, partitionsOf(m.assignment.assignedPartitions), partitionsOf(m.assignment.partitionsPendingRevocation)]),
    });
    const expected = { epoch: group.groupEpoch, assignmentEpoch: group.assignmentEpoch, members: (snapshot() as { members: unknown }).members };
    const reloaded = new GroupShard(0, 1, log, testShardEnvironment({ consumerGroups: settings() }));
    reloaded.load();
    const again = reloaded.consumerGroup('g')!;
    expect({ epoch: again.groupEpoch, assignmentEpoch: again.assignmentEpoch, members: [...again.members.values()].map((m) => [m.memberId, m.assignment.memberEpoch, m.assignment.state, partitionsOf(m.assignment.assignedPartitions), partitionsOf(m.assignment.partitionsPendingRevocation)]) }).toEqual(expected);
    expect(again.members.get('a')!.assignment.state).toBe(MemberState.UNREVOKED_PARTITIONS);
    // Members that never heartbeat to the new coordinator are fenced after a session timeout.
    shard.unload();
    vi.advanceTimersByTime(45_001);
    expect(again.members.size).toBe(0);
    expect(reloaded.list()).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Empty', groupType: 'consumer' }]);
    reloaded.unload();
  });

  /** a owned every partition at epoch 1; b then took one at epoch 2; a's first assignment comes back. */
  function staleAssignmentLog(): { log: MemoryShardLog; stale: ConsumerGroupRecord; moved: number } {
    shard.consumerGroupHeartbeat('g', join('a'));
    const first = log.records().find((r) => r.kind === 'consumer' && r.record.type === 8)!;
    shard.consumerGroupHeartbeat('g', join('b'));
    const kept = partitionsOf(shard.consumerGroupHeartbeat('g', beat('a', 1, null))!.assignment);
    shard.consumerGroupHeartbeat('g', beat('a', 1, kept));
    shard.consumerGroupHeartbeat('g', beat('b', 2, []));
    if (first.kind !== 'consumer') throw new Error('expected a consumer group record');
    log.appendRecords([first], 0n, { producerId: -1n, producerEpoch: 0 });
    return { log, stale: first.record, moved: [0, 1, 2].find((p) => !kept.includes(p))! };
  }

  it('fails the load on 4.1.1 rules when a replayed assignment gives a partition still owned at another epoch (KAFKA-19862)', () => {
    const { stale, moved } = staleAssignmentLog();
    const reloaded = new GroupShard(0, 1, log, testShardEnvironment({ consumerGroups: settings() }));
    let failure: unknown;
    try {
      reloaded.load();
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ConsumerRecordReplayFailure);
    const f = failure as ConsumerRecordReplayFailure;
    const topicId = Buffer.from(TOPIC_ID.replace(/-/g, ''), 'hex').toString('base64url');
    expect(f.message).toBe(`Cannot set the epoch of ${topicId}-${moved} to 1 because the partition is still owned at epoch 2`);
    expect(f.record).toEqual(stale);
    const lines = consumerReplayFailureLines({ brokerId: 2, partition: 0, epoch: 1, record: f.record, position: f.position, message: f.message });
    expect(lines.map((l) => l.logger)).toEqual(['kafka.coordinator.group.CoordinatorLoaderImpl', 'org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime']);
    expect(lines[0]!.message).toBe(
      `Replaying record CoordinatorRecord(key=ConsumerGroupCurrentMemberAssignmentKey(groupId='g', memberId='a'), value=ApiMessageAndVersion(ConsumerGroupCurrentMemberAssignmentValue(memberEpoch=1, previousMemberEpoch=0, state=0, assignedPartitions=[TopicPartitions(topicId=${topicId}, partitions=[0, 1, 2])], partitionsPendingRevocation=[]) at version 0)) ` +
        `from __consumer_offsets-0 at offset ${f.position.logOffset} with producer id -1 and producer epoch 0 failed due to: ${f.message}.`,
    );
    expect(lines[1]!.message).toBe(`[GroupCoordinator id=2] Failed to load metadata from __consumer_offsets-0 with epoch 1 due to java.lang.RuntimeException: ${lines[0]!.message}`);
    expect(reloaded.list()).toEqual([]);
  });

  it('on the fixed rules (4.0.2) a newer epoch takes a partition over while an older one still fails', () => {
    const { stale } = staleAssignmentLog();
    if (stale.type !== 8 || stale.value === null) throw new Error('expected an assignment');
    // The stale record at an epoch newer than every owner's replays.
    const newer = new MemoryShardLog();
    for (const b of log.batches.slice(0, -1)) if (!b.isControl) newer.appendRecords(b.records.map((r) => r.record), 0n);
    newer.appendRecords([{ kind: 'consumer', record: { ...stale, value: { ...stale.value, memberEpoch: 9 } } }], 0n);
    const lenient = new GroupShard(0, 1, newer, testShardEnvironment({ consumerGroups: settings({ partitionEpochRules: 'lenient' }) }));
    expect(() => lenient.load()).not.toThrow();
    lenient.unload();
    expect(() => new GroupShard(0, 1, newer, testShardEnvironment({ consumerGroups: settings() })).load()).toThrow(ConsumerRecordReplayFailure);
    expect(() => new GroupShard(0, 1, log, testShardEnvironment({ consumerGroups: settings({ partitionEpochRules: 'lenient' }) })).load()).toThrow(/still owned at epoch 2/);
  });

  it('refuses a classic JoinGroup into a consumer group (no KIP-848 upgrade path here) and a heartbeat into a classic group with members', async () => {
    shard.consumerGroupHeartbeat('g', join('a'));
    const joined = await shard.join('g', { memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false });
    expect(joined.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // The classic member waits in the delayed initial rebalance: the group has a member.
    void shard.join('classic', { memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false });
    expect(shard.consumerGroupHeartbeat('classic', join('b'))).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group classic is not a consumer group.' });
  });

  it('is not served by a 3.x shard, whose classic loader skips the records', () => {
    shard.consumerGroupHeartbeat('g', join('a'));
    const classic = new GroupShard(0, 1, log, testShardEnvironment());
    expect(classic.consumerGroupHeartbeat('g', join('b'))).toBeNull();
    expect(classic.load().skipped).toBe(5);
    classic.unload();
  });
});
