import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeConsumerAssignment, encodeConsumerSubscription } from '../../../../../lambdas/core/offsets-records/index.ts';
import type { JoinRequest, JoinResult } from '../../../../../local/kafka/coordinator/classic-group.ts';
import { GroupShard } from '../../../../../local/kafka/coordinator/group-shard.ts';
import { ErrorCode } from '../../../../../local/kafka/protocol/error-codes.ts';
import { MemoryShardLog, testShardEnvironment } from './helpers.ts';

const subscription = (topics: string[]): Buffer => encodeConsumerSubscription({ topics }, 0);
const assignment = (topic: string, partitions: number[]): Buffer =>
  encodeConsumerAssignment({ assignedPartitions: [{ topic, partitions }] }, 0);

function joinRequest(overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['orders']) }],
    requireKnownMemberId: false,
    ...overrides,
  };
}

describe('classic group state machine', () => {
  let log: MemoryShardLog;
  let shard: GroupShard;

  beforeEach(() => {
    vi.useFakeTimers();
    log = new MemoryShardLog();
    shard = new GroupShard(0, 1, log, testShardEnvironment());
  });
  afterEach(() => {
    shard.unload();
    vi.useRealTimers();
  });

  /** Joins a first member and completes the initial (delayed) rebalance. */
  async function joinAlone(clientId = 'a'): Promise<JoinResult> {
    const pending = shard.join('g', joinRequest({ clientId }));
    await vi.advanceTimersByTimeAsync(150);
    return pending;
  }

  it('asks a v4+ member without an id to come back with the id it is given', async () => {
    const first = await shard.join('g', joinRequest({ requireKnownMemberId: true }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^client-/);
    const second = shard.join('g', joinRequest({ memberId: first.memberId, requireKnownMemberId: true }));
    await vi.advanceTimersByTimeAsync(150);
    const joined = await second;
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, memberId: first.memberId, leader: first.memberId, protocolName: 'range' });
    expect(joined.members.map((m) => m.memberId)).toEqual([first.memberId]);
  });

  it('runs a full rebalance: leader gets the members, sync hands out assignments, GroupMetadata is written', async () => {
    const a = await joinAlone('a');
    const syncA = await shard.sync('g', {
      memberId: a.memberId, groupInstanceId: null, generationId: 1, protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: a.memberId, assignment: assignment('orders', [0, 1]) }],
    });
    expect(syncA.errorCode).toBe(0);
    expect(syncA.assignment.equals(assignment('orders', [0, 1]))).toBe(true);

    // A second member triggers a rebalance; the first learns of it through its heartbeat.
    const joinB = shard.join('g', joinRequest({ clientId: 'b' }));
    expect(shard.heartbeat('g', a.memberId, 1, null)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoinA = shard.join('g', joinRequest({ memberId: a.memberId, clientId: 'a' }));
    const [ja, jb] = await Promise.all([rejoinA, joinB]);
    expect(ja.generationId).toBe(2);
    expect(jb.generationId).toBe(2);
    expect(ja.leader).toBe(a.memberId);
    expect(ja.members).toHaveLength(2);
    expect(jb.members).toHaveLength(0);

    const followerSync = shard.sync('g', { memberId: jb.memberId, groupInstanceId: null, generationId: 2, protocolType: null, protocolName: null, assignments: [] });
    const leaderSync = shard.sync('g', {
      memberId: a.memberId, groupInstanceId: null, generationId: 2, protocolType: null, protocolName: null,
      assignments: [
        { memberId: a.memberId, assignment: assignment('orders', [0]) },
        { memberId: jb.memberId, assignment: assignment('orders', [1]) },
      ],
    });
    const [sa, sb] = await Promise.all([leaderSync, followerSync]);
    expect(sa.assignment.equals(assignment('orders', [0]))).toBe(true);
    expect(sb.assignment.equals(assignment('orders', [1]))).toBe(true);
    expect(shard.describe('g')).toMatchObject({ state: 'Stable', protocol: 'range' });

    const written = log.records().filter((r) => r.kind === 'group');
    expect(written).toHaveLength(2);
    const last = written.at(-1);
    expect(last?.kind === 'group' && last.value?.generation).toBe(2);
    expect(last?.kind === 'group' && last.value?.members.map((m) => m.assignmentBytes.equals(assignment('orders', m.memberId === a.memberId ? [0] : [1])))).toEqual([true, true]);
  });

  it('removes a member whose session expires and writes the Empty group', async () => {
    const a = await joinAlone();
    await shard.sync('g', { memberId: a.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
    await vi.advanceTimersByTimeAsync(10_001);
    expect(shard.describe('g')).toMatchObject({ state: 'Empty', members: [] });
    const last = log.records().at(-1);
    expect(last).toMatchObject({ kind: 'group', group: 'g', value: { protocolType: 'consumer', generation: 2, protocol: null, leader: null, members: [] } });
    expect(shard.heartbeat('g', a.memberId, 1, null)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // Generation -1 to the Empty group is accepted whatever member id it names (Kafka's admin/assign() path);
    // a real generation from the departed member is not.
    const commit = (generationId: number): number[] =>
      shard.commitOffsets('g', { memberId: a.memberId, generationId, groupInstanceId: null }, [{ topic: 'orders', partition: 0, offset: 5n, leaderEpoch: -1, metadata: '' }]).map((r) => r.errorCode);
    expect(commit(-1)).toEqual([ErrorCode.NONE]);
    expect(commit(2)).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
  });

  it('keeps a member alive while it heartbeats', async () => {
    const a = await joinAlone();
    await shard.sync('g', { memberId: a.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(6_000);
      expect(shard.heartbeat('g', a.memberId, 1, null)).toBe(ErrorCode.NONE);
    }
    expect(shard.describe('g').state).toBe('Stable');
  });

  it('answers LeaveGroup per member and rebalances the rest', async () => {
    const a = await joinAlone('a');
    await shard.sync('g', { memberId: a.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
    expect(shard.leave('g', [{ memberId: a.memberId, groupInstanceId: null }, { memberId: 'nobody', groupInstanceId: null }])).toEqual([
      { errorCode: ErrorCode.NONE, memberId: a.memberId },
      { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId: 'nobody' },
    ]);
    expect(shard.describe('g').state).toBe('Empty');
  });

  it('refuses a member that shares no protocol, and stale generations', async () => {
    const a = await joinAlone();
    const other = await shard.join('g', joinRequest({ protocols: [{ name: 'roundrobin', metadata: subscription(['orders']) }] }));
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const otherType = await shard.join('g', joinRequest({ protocolType: 'connect' }));
    expect(otherType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(shard.heartbeat('g', a.memberId, 0, null)).toBe(ErrorCode.ILLEGAL_GENERATION);
    const sync = await shard.sync('g', { memberId: a.memberId, groupInstanceId: null, generationId: 7, protocolType: null, protocolName: null, assignments: [] });
    expect(sync.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const badSession = await shard.join('g', joinRequest({ sessionTimeoutMs: 10 }));
    expect(badSession.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    // A refused join to a group that never existed leaves nothing behind.
    expect((await shard.join('never', joinRequest({ protocolType: '' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(shard.list().map((g) => g.groupId)).toEqual(['g']);
  });

  it('selects the protocol every member supports, by the members\' preference', async () => {
    const both = [
      { name: 'cooperative-sticky', metadata: subscription(['orders']) },
      { name: 'range', metadata: subscription(['orders']) },
    ];
    const first = shard.join('g', joinRequest({ clientId: 'a', protocols: both }));
    const second = shard.join('g', joinRequest({ clientId: 'b', protocols: [both[1]!, both[0]!] }));
    const third = shard.join('g', joinRequest({ clientId: 'c', protocols: [both[1]!] }));
    await vi.advanceTimersByTimeAsync(150);
    const results = await Promise.all([first, second, third]);
    expect(new Set(results.map((r) => r.protocolName))).toEqual(new Set(['range']));
    expect(new Set(results.map((r) => r.generationId))).toEqual(new Set([1]));
  });

  it('fences the old incarnation of a static member and hands its slot to the new one', async () => {
    const first = shard.join('g', joinRequest({ groupInstanceId: 'pod-1' }));
    await vi.advanceTimersByTimeAsync(150);
    const old = await first;
    expect(old.memberId).toMatch(/^pod-1-/);
    const restarted = shard.join('g', joinRequest({ groupInstanceId: 'pod-1' }));
    await vi.advanceTimersByTimeAsync(10);
    const now = await restarted;
    expect(now.errorCode).toBe(0);
    expect(now.memberId).not.toBe(old.memberId);
    // Looked up by instance id first, as Kafka's validateMember does: the old incarnation is fenced.
    expect(shard.heartbeat('g', old.memberId, now.generationId, 'pod-1')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const standaloneAsOld = shard.commitOffsets('g', { memberId: old.memberId, generationId: now.generationId, groupInstanceId: 'pod-1' }, [{ topic: 'orders', partition: 0, offset: 1n, leaderEpoch: -1, metadata: '' }]);
    expect(standaloneAsOld.map((r) => r.errorCode)).toEqual([ErrorCode.FENCED_INSTANCE_ID]);
    expect(shard.heartbeat('g', old.memberId, now.generationId, 'pod-2')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(shard.describe('g').members.map((m) => m.groupInstanceId)).toEqual(['pod-1']);
  });

  /** A Stable group of two static members (pod-1 leads), each synced with its assignment. */
  async function stableStaticPair(): Promise<{ leader: JoinResult; follower: JoinResult }> {
    const first = shard.join('g', joinRequest({ groupInstanceId: 'pod-1', clientId: 'c1' }));
    const second = shard.join('g', joinRequest({ groupInstanceId: 'pod-2', clientId: 'c2' }));
    await vi.advanceTimersByTimeAsync(150);
    const [leader, follower] = await Promise.all([first, second]);
    expect(leader.leader).toBe(leader.memberId);
    const syncs = [
      shard.sync('g', { memberId: follower.memberId, groupInstanceId: 'pod-2', generationId: 1, protocolType: null, protocolName: null, assignments: [] }),
      shard.sync('g', {
        memberId: leader.memberId, groupInstanceId: 'pod-1', generationId: 1, protocolType: null, protocolName: null,
        assignments: [{ memberId: leader.memberId, assignment: assignment('orders', [0]) }, { memberId: follower.memberId, assignment: assignment('orders', [1]) }],
      }),
    ];
    expect((await Promise.all(syncs)).map((r) => r.errorCode)).toEqual([0, 0]);
    return { leader, follower };
  }

  it('replaces a static member that rejoins a Stable group without a rebalance: same generation, its assignment kept', async () => {
    const { leader, follower } = await stableStaticPair();
    const written = log.records().length;
    const rejoined = await shard.join('g', joinRequest({ groupInstanceId: 'pod-2', clientId: 'c2', supportsSkippingAssignment: true }));
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range', leader: leader.memberId, members: [], skipAssignment: false });
    expect(rejoined.memberId).not.toBe(follower.memberId);
    expect(shard.describe('g').state).toBe('Stable');
    // The other member is not asked to rejoin; the old incarnation is fenced.
    expect(shard.heartbeat('g', leader.memberId, 1, 'pod-1')).toBe(ErrorCode.NONE);
    expect(shard.heartbeat('g', follower.memberId, 1, 'pod-2')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const sync = await shard.sync('g', { memberId: rejoined.memberId, groupInstanceId: 'pod-2', generationId: 1, protocolType: null, protocolName: null, assignments: [] });
    expect(sync.errorCode).toBe(0);
    expect(sync.assignment.equals(assignment('orders', [1]))).toBe(true);
    // The replacement is stored: one GroupMetadata record naming the new member id, same generation.
    const records = log.records().slice(written);
    expect(records).toHaveLength(1);
    const stored = records[0]!;
    expect(stored.kind === 'group' && stored.value?.generation).toBe(1);
    expect(stored.kind === 'group' && stored.value?.members.map((m) => m.memberId).sort()).toEqual([leader.memberId, rejoined.memberId].sort());
  });

  it('a replaced static leader keeps leading: v9+ is told to skip the assignment, older versions are named the previous leader', async () => {
    const { leader } = await stableStaticPair();
    const v9 = await shard.join('g', joinRequest({ groupInstanceId: 'pod-1', clientId: 'c1', supportsSkippingAssignment: true }));
    expect(v9).toMatchObject({ errorCode: 0, generationId: 1, leader: v9.memberId, skipAssignment: true });
    expect(v9.members).toHaveLength(2);
    const older = await shard.join('g', joinRequest({ groupInstanceId: 'pod-1', clientId: 'c1' }));
    expect(older).toMatchObject({ errorCode: 0, generationId: 1, leader: v9.memberId, members: [] });
    expect(older.memberId).not.toBe(v9.memberId);
    expect(leader.memberId).not.toBe(v9.memberId);
    expect(shard.describe('g').state).toBe('Stable');
    // The newest incarnation leads: the group's join answers name it to the other member.
    expect(shard.heartbeat('g', older.memberId, 1, 'pod-1')).toBe(ErrorCode.NONE);
    const stored = log.records().at(-1)!;
    expect(stored.kind === 'group' && stored.value?.leader).toBe(older.memberId);
  });

  it('rebalances when the rejoining static member changes the selected protocol', async () => {
    const { leader } = await stableStaticPair();
    const pending = shard.join('g', joinRequest({ groupInstanceId: 'pod-2', clientId: 'c2', protocols: [{ name: 'roundrobin', metadata: subscription(['orders']) }, { name: 'range', metadata: subscription(['orders']) }] }));
    expect(shard.describe('g').state).toBe('Stable');
    expect(shard.heartbeat('g', leader.memberId, 1, 'pod-1')).toBe(ErrorCode.NONE);
    // pod-1 still lists only 'range', so the selection stays and nobody rebalances.
    const rejoined = await pending;
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });

    // Now both prefer 'roundrobin': the next generation's protocol changes, so the group rebalances.
    const switching = shard.join('g', joinRequest({ groupInstanceId: 'pod-1', clientId: 'c1', protocols: [{ name: 'roundrobin', metadata: subscription(['orders']) }, { name: 'range', metadata: subscription(['orders']) }] }));
    expect(shard.describe('g').state).toBe('PreparingRebalance');
    const follower = shard.join('g', joinRequest({ memberId: rejoined.memberId, groupInstanceId: 'pod-2', clientId: 'c2', protocols: [{ name: 'roundrobin', metadata: subscription(['orders']) }] }));
    const [a, b] = await Promise.all([switching, follower]);
    expect([a.generationId, b.generationId]).toEqual([2, 2]);
    expect(a.protocolName).toBe('roundrobin');
  });

  it('keeps the old static member when storing its replacement fails, and tells the newcomer', async () => {
    const { follower } = await stableStaticPair();
    log.failWrites = true;
    const refused = await shard.join('g', joinRequest({ groupInstanceId: 'pod-2', clientId: 'c2' }));
    expect(refused).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, memberId: '', generationId: 1 });
    log.failWrites = false;
    expect(shard.heartbeat('g', follower.memberId, 1, 'pod-2')).toBe(ErrorCode.NONE);
    expect(shard.describe('g').members.map((m) => m.memberId)).toContain(follower.memberId);
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const a = await joinAlone('a');
    await shard.sync('g', { memberId: a.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
    const joinB = shard.join('g', joinRequest({ clientId: 'b' }));
    await vi.advanceTimersByTimeAsync(5_001);
    const b = await joinB;
    expect(b.generationId).toBe(2);
    expect(b.leader).toBe(b.memberId);
    expect(shard.describe('g').members.map((m) => m.memberId)).toEqual([b.memberId]);
  });

  it('answers a parked JoinGroup with NOT_COORDINATOR when the shard unloads', async () => {
    const pending = shard.join('g', joinRequest());
    shard.unload();
    await expect(pending).resolves.toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR });
  });
});
