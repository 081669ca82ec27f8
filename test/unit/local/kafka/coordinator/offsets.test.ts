import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeConsumerSubscription } from '../../../../../lambdas/core/offsets-records/index.ts';
import { GroupShard, type OffsetToCommit } from '../../../../../local/kafka/coordinator/group-shard.ts';
import { ErrorCode } from '../../../../../local/kafka/protocol/error-codes.ts';
import { OffsetStore } from '../../../../../local/kafka/coordinator/offset-store.ts';
import { liveCommits } from '../../../../../local/kafka/coordinator/replay.ts';
import { MemoryShardLog, testShardEnvironment } from './helpers.ts';

const standalone = { memberId: '', generationId: -1, groupInstanceId: null };
const offset = (topic: string, partition: number, value: bigint, metadata: string | null = ''): OffsetToCommit => ({
  topic,
  partition,
  offset: value,
  leaderEpoch: -1,
  metadata,
});

describe('offset store', () => {
  const stored = (offsetValue: bigint, recordOffset: bigint) => ({
    topic: 't',
    partition: 0,
    offset: offsetValue,
    leaderEpoch: -1,
    metadata: '',
    commitTimestamp: 0n,
    expireTimestamp: -1n,
    recordOffset,
    producerId: -1n,
    producerEpoch: -1,
  });

  it('applies a committed transaction only over offsets written earlier in the log', () => {
    const store = new OffsetStore();
    store.addPending(7n, 'g', stored(100n, 1n));
    store.commit('g', stored(200n, 2n)); // a plain commit after the transactional record
    store.completeTransaction(7n, true);
    expect(store.get('g', 't', 0)?.offset).toBe(200n);

    store.addPending(8n, 'g', stored(300n, 5n));
    expect(store.hasPending('g', 't', 0)).toBe(true);
    store.completeTransaction(8n, true);
    expect(store.get('g', 't', 0)?.offset).toBe(300n);
    expect(store.hasPending('g', 't', 0)).toBe(false);
  });

  it('drops an aborted transaction', () => {
    const store = new OffsetStore();
    store.commit('g', stored(1n, 0n));
    store.addPending(9n, 'g', stored(50n, 1n));
    store.completeTransaction(9n, false);
    expect(store.get('g', 't', 0)?.offset).toBe(1n);
  });

  it('expires by the v1 expire timestamp or by commit time plus retention', () => {
    const store = new OffsetStore();
    store.commit('g', { ...stored(1n, 0n), partition: 0, commitTimestamp: 1_000n });
    store.commit('g', { ...stored(2n, 1n), partition: 1, commitTimestamp: 1_000n, expireTimestamp: 100_000n });
    const sinceCommit = (commitTimestamp: bigint): bigint => commitTimestamp;
    expect(store.expired('g', 60_999n, 60_000n, sinceCommit)).toEqual([]);
    expect(store.expired('g', 61_000n, 60_000n, sinceCommit).map((o) => o.partition)).toEqual([0]);
    expect(store.expired('g', 100_000n, 60_000n, sinceCommit).map((o) => o.partition)).toEqual([0, 1]);
    // Counted from another moment (the group turned Empty at 50 s), and a kept topic never expires.
    expect(store.expired('g', 109_999n, 60_000n, () => 50_000n).map((o) => o.partition)).toEqual([1]);
    expect(store.expired('g', 110_000n, 60_000n, () => 50_000n, (topic) => topic === 't').map((o) => o.partition)).toEqual([]);
  });
});

describe('group shard offsets', () => {
  let log: MemoryShardLog;
  let shard: GroupShard;

  beforeEach(() => {
    vi.useFakeTimers();
    log = new MemoryShardLog();
    shard = new GroupShard(3, 5, log, testShardEnvironment());
  });
  afterEach(() => {
    shard.unload();
    vi.useRealTimers();
  });

  it('accepts standalone commits (generation -1) and serves them, all partitions when topics is null', () => {
    const results = shard.commitOffsets('g', standalone, [offset('orders', 0, 14n, 'm'), offset('orders', 1, 15n)]);
    expect(results.map((r) => r.errorCode)).toEqual([0, 0]);
    expect(shard.fetchOffsets('g', null, false)).toEqual([
      { topic: 'orders', partition: 0, offset: 14n, leaderEpoch: -1, metadata: 'm', errorCode: 0 },
      { topic: 'orders', partition: 1, offset: 15n, leaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    expect(shard.fetchOffsets('g', [{ topic: 'orders', partitions: [2] }], false)).toEqual([
      { topic: 'orders', partition: 2, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    expect(shard.list()).toEqual([{ groupId: 'g', protocolType: '', state: 'Empty', groupType: 'classic' }]);
    const records = log.records();
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ kind: 'offset', group: 'g', topic: 'orders', partition: 0, value: { offset: 14n, metadata: 'm', expireTimestamp: -1n } });
  });

  it('refuses commits from unknown members and generations of a group it does not know', () => {
    expect(shard.commitOffsets('g', { memberId: 'm', generationId: 3, groupInstanceId: null }, [offset('t', 0, 1n)])).toEqual([
      { topic: 't', partition: 0, errorCode: ErrorCode.ILLEGAL_GENERATION },
    ]);
    expect(log.records()).toHaveLength(0);
  });

  it('answers OFFSET_METADATA_TOO_LARGE per partition and still commits the others', () => {
    const results = shard.commitOffsets('g', standalone, [offset('t', 0, 1n, 'x'.repeat(5000)), offset('t', 1, 2n)]);
    expect(results.map((r) => r.errorCode)).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE, 0]);
    expect(shard.fetchOffsets('g', null, false).map((o) => o.partition)).toEqual([1]);
  });

  it('applies nothing when the log write fails', () => {
    log.failWrites = true;
    expect(shard.commitOffsets('g', standalone, [offset('t', 0, 1n)])[0]?.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(shard.fetchOffsets('g', null, false)).toEqual([]);
  });

  it('writes transactional offsets as a producer batch and applies them only on COMMIT', () => {
    const producer = { producerId: 4000n, producerEpoch: 2 };
    shard.commitOffsets('g', standalone, [offset('t', 0, 10n)]);
    shard.commitTransactionalOffsets('g', producer, standalone, [offset('t', 0, 20n)]);
    expect(shard.fetchOffsets('g', null, false)[0]?.offset).toBe(10n);
    expect(shard.fetchOffsets('g', null, true)[0]?.errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    expect(shard.completeTransaction(producer, false, 1)).toBe(0);
    expect(shard.fetchOffsets('g', null, true)[0]).toMatchObject({ offset: 10n, errorCode: 0 });

    shard.commitTransactionalOffsets('g', producer, standalone, [offset('t', 0, 30n)]);
    shard.completeTransaction(producer, true, 1);
    expect(shard.fetchOffsets('g', null, false)[0]?.offset).toBe(30n);
    const txBatches = log.batches.filter((b) => !b.isControl && b.isTransactional);
    expect(txBatches.map((b) => [b.producerId, b.producerEpoch])).toEqual([[4000n, 2], [4000n, 2]]);
    expect(log.batches.filter((b) => b.isControl).map((b) => (b.isControl ? b.marker : ''))).toEqual(['ABORT', 'COMMIT']);
  });

  it('deletes only an Empty group, with tombstones for every offset and the metadata', async () => {
    shard.commitOffsets('g', standalone, [offset('t', 0, 1n), offset('t', 1, 2n)]);
    const joining = shard.join('busy', {
      memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['t'] }, 0) }], requireKnownMemberId: false,
    });
    await vi.advanceTimersByTimeAsync(150);
    await joining;
    expect(shard.deleteGroup('busy')).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect(shard.deleteGroup('missing')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(shard.deleteGroup('g')).toBe(ErrorCode.NONE);
    expect(log.records().slice(-3)).toEqual([
      { kind: 'offset', group: 'g', topic: 't', partition: 0, value: null },
      { kind: 'offset', group: 'g', topic: 't', partition: 1, value: null },
      { kind: 'group', group: 'g', value: null },
    ]);
    expect(shard.describe('g').state).toBe('Dead');
  });

  it('OffsetDelete refuses topics the members subscribe to and tombstones the rest', async () => {
    const metadata = encodeConsumerSubscription({ topics: ['t'] }, 0);
    const joining = shard.join('g', {
      memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata }], requireKnownMemberId: false,
    });
    await vi.advanceTimersByTimeAsync(150);
    const joined = await joining;
    await shard.sync('g', { memberId: joined.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
    shard.commitOffsets('g', { memberId: joined.memberId, generationId: 1, groupInstanceId: null }, [offset('t', 0, 1n), offset('old', 0, 9n)]);
    const result = shard.deleteOffsets('g', [{ topic: 't', partitions: [0] }, { topic: 'old', partitions: [0] }], (group) =>
      group.subscribedTopics(() => ['t']),
    );
    expect(result).toEqual({
      errorCode: 0,
      partitions: [
        { topic: 't', partition: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC },
        { topic: 'old', partition: 0, errorCode: 0 },
      ],
    });
    expect(log.records().at(-1)).toEqual({ kind: 'offset', group: 'g', topic: 'old', partition: 0, value: null });
    expect(shard.deleteOffsets('nope', [], () => null).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('expires an Empty group\'s offsets after the retention and removes the group', async () => {
    shard.commitOffsets('g', standalone, [offset('t', 0, 1n)]);
    await vi.advanceTimersByTimeAsync(30_000);
    shard.commitOffsets('g', standalone, [offset('t', 1, 2n)]);
    await vi.advanceTimersByTimeAsync(31_000);
    expect(shard.expireOffsets()).toBe(1);
    expect(log.records().at(-1)).toEqual({ kind: 'offset', group: 'g', topic: 't', partition: 0, value: null });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(shard.expireOffsets()).toBe(1);
    expect(log.records().slice(-2)).toEqual([
      { kind: 'offset', group: 'g', topic: 't', partition: 1, value: null },
      { kind: 'group', group: 'g', value: null },
    ]);
    expect(shard.list()).toEqual([]);
  });

  async function consumerJoins(topics: string[]): Promise<string> {
    const joining = shard.join('g', {
      memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics }, 0) }], requireKnownMemberId: false,
    });
    await vi.advanceTimersByTimeAsync(150);
    const joined = await joining;
    await shard.sync('g', { memberId: joined.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });
    return joined.memberId;
  }

  it('keeps a consumer group\'s offsets while it has members and counts their retention from when it turned Empty', async () => {
    const memberId = await consumerJoins(['t']);
    shard.commitOffsets('g', { memberId, generationId: 1, groupInstanceId: null }, [offset('t', 0, 1n), offset('old', 0, 9n)]);
    const keepAlive = async (ms: number) => {
      for (let waited = 0; waited < ms; waited += 5_000) {
        await vi.advanceTimersByTimeAsync(5_000);
        expect(shard.heartbeat('g', memberId, 1, null)).toBe(ErrorCode.NONE);
      }
    };
    await keepAlive(120_000);
    // Stable: only the topic it no longer subscribes to expires, by its commit time.
    expect(shard.expireOffsets()).toBe(1);
    expect(shard.fetchOffsets('g', null, false).map((o) => o.topic)).toEqual(['t']);
    shard.leave('g', [{ memberId, groupInstanceId: null }]);
    expect(shard.describe('g').state).toBe('Empty');
    // Committed two minutes ago, but Empty only now: the retention (60 s) starts here.
    expect(shard.expireOffsets()).toBe(0);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(shard.expireOffsets()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(shard.expireOffsets()).toBe(1);
    expect(log.records().slice(-2)).toEqual([
      { kind: 'offset', group: 'g', topic: 't', partition: 0, value: null },
      { kind: 'group', group: 'g', value: null },
    ]);
    expect(shard.list()).toEqual([]);
  });

  it('counts from the commit when the group\'s Empty moment is unknown, and removes an Empty group without offsets', async () => {
    const reloaded = new GroupShard(0, 1, log, testShardEnvironment());
    log.appendRecords([
      { kind: 'offset', group: 'old-format', topic: 't', partition: 0, value: { offset: 5n, leaderEpoch: -1, metadata: '', commitTimestamp: BigInt(Date.now()), expireTimestamp: -1n } },
      { kind: 'group', group: 'old-format', value: { protocolType: 'consumer', generation: 3, protocol: null, leader: null, currentStateTimestamp: -1n, members: [] } },
      { kind: 'group', group: 'no-offsets', value: { protocolType: 'consumer', generation: 2, protocol: null, leader: null, currentStateTimestamp: BigInt(Date.now()), members: [] } },
    ], BigInt(Date.now()));
    await vi.advanceTimersByTimeAsync(30_000);
    reloaded.load();
    expect(reloaded.expireOffsets()).toBe(0);
    expect(reloaded.list().map((g) => g.groupId)).toEqual(['old-format']);
    expect(log.records().at(-1)).toEqual({ kind: 'group', group: 'no-offsets', value: null });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(reloaded.expireOffsets()).toBe(1);
    reloaded.unload();
  });

  it('reloads to the same state by replaying its own log', async () => {
    const producer = { producerId: 77n, producerEpoch: 0 };
    shard.commitOffsets('g', standalone, [offset('t', 0, 1n), offset('t', 1, 2n)]);
    shard.commitTransactionalOffsets('g', producer, standalone, [offset('t', 1, 5n)]);
    shard.completeTransaction(producer, true, 3);
    shard.commitTransactionalOffsets('g', { producerId: 78n, producerEpoch: 0 }, standalone, [offset('t', 0, 99n)]);
    shard.commitOffsets('h', standalone, [offset('u', 0, 3n)]);
    shard.deleteGroup('h');
    const joining = shard.join('live', {
      memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: ['t'] }, 0) }], requireKnownMemberId: false,
    });
    await vi.advanceTimersByTimeAsync(150);
    const joined = await joining;
    await shard.sync('live', { memberId: joined.memberId, groupInstanceId: null, generationId: 1, protocolType: null, protocolName: null, assignments: [] });

    const reloaded = new GroupShard(3, 6, log, testShardEnvironment());
    const result = reloaded.load();
    expect(reloaded.fetchOffsets('g', null, false).map((o) => [o.partition, o.offset])).toEqual([[0, 1n], [1, 5n]]);
    expect(reloaded.fetchOffsets('g', null, true)[0]?.errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    expect(reloaded.list().map((g) => g.groupId).sort()).toEqual(['g', 'live']);
    expect(reloaded.describe('live')).toMatchObject({ state: 'Stable', protocol: 'range', members: [{ memberId: joined.memberId }] });
    const commits = liveCommits(result.offsets);
    expect(commits.at(-1)).toMatchObject({ group: 'g', topic: 't', partition: 1, offset: 5n, producerId: 77n, producerEpoch: 0 });
    expect(commits.map((c) => c.group)).not.toContain('h');
    reloaded.unload();
  });
});
