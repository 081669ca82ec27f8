import { describe, expect, it } from 'vitest';
import { kafkaError } from '../../../../lambdas/core/errors.ts';
import { diagnoseCoordinators } from '../../../../lambdas/core/workflow/diagnosis.ts';
import type { LogFinding } from '../../../../lambdas/core/workflow/documents.ts';
import { ShardFailingKafka, request } from './fixtures.ts';

const waits: number[] = [];
const noWait = { sleep: async (ms: number) => void waits.push(ms) };

function finding(partition: number, brokerId: number): LogFinding {
  return {
    partition,
    brokerId,
    epoch: 42,
    firstSeen: '2026-11-24T21:00:05.000Z',
    lastSeen: '2026-11-24T21:01:05.000Z',
    count: 2,
    sampleLine: `ERROR [GroupCoordinator id=${brokerId}] Failed to load metadata from __consumer_offsets-${partition} with epoch 42`,
    logStream: `orders-Broker-${brokerId}`,
    phrase: 'FAILED_TO_LOAD_METADATA',
    replaying: [],
  };
}

describe('diagnoseCoordinators', () => {
  it('confirms a failed shard live, probes every shard of the failing broker and routes the requested groups', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    const stuck = kafka.groupOnShard(4, 'billing');
    const healthy = kafka.groupOnShard(5, 'search');
    const broker = kafka.leaderOf(4);
    const sibling = [...Array(12).keys()].find((p) => p !== 4 && kafka.leaderOf(p) === broker)!;
    kafka.failedShards.add(4);
    kafka.failedShards.add(sibling);

    const result = await diagnoseCoordinators(kafka, request({ groups: [healthy, stuck].sort() }), [finding(4, broker)], noWait);

    expect(result.verdict).toBe('COORDINATOR_FAILED');
    expect(result.failedShards).toEqual([4, sibling].sort((a, b) => a - b));
    expect(result.failingBrokers).toEqual([broker]);
    // The sibling failed too, but no requested group lives there, so only shard 4 is mapped.
    expect(result.shards).toEqual([{ partition: 4, brokerId: broker, groups: [stuck] }]);
    expect(result.groups).toEqual([stuck]);
    const stuckCheck = result.liveChecks.find((c) => c.groupId === stuck)!;
    expect(stuckCheck).toMatchObject({ partition: 4, coordinator: { brokerId: broker }, groupCall: 'NOT_COORDINATOR' });
    expect(result.liveChecks.find((c) => c.groupId === healthy)).toMatchObject({ groupCall: 'OK', groupState: 'Dead' });
    expect(result.evidence.some((e) => e.kind === 'LOG' && e.partition === 4)).toBe(true);
    expect(result.evidence.some((e) => e.kind === 'LIVE' && e.partition === sibling && /probe group/.test(e.message))).toBe(true);
    expect(result.evidence.some((e) => e.message === `Group ${healthy} is not recovered: its coordinator shard __consumer_offsets-5 is not failed`)).toBe(true);
  });

  it('counts GROUP_ID_NOT_FOUND from a newer broker as an answering coordinator', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    kafka.describeGroup = async (groupId) => {
      throw kafkaError('GROUP_ID_NOT_FOUND', 69, `group ${groupId} not found`);
    };
    const result = await diagnoseCoordinators(kafka, request(), [finding(3, 1)], noWait);
    expect(result.verdict).toBe('HEALTHY');
    expect(result.liveChecks[0]).toMatchObject({ groupCall: 'OK', groupState: 'Dead', members: 0 });
  });

  it('finds a failed shard from the live check alone when the logs have no line about it', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    kafka.failedShards.add(9);
    const group = kafka.groupOnShard(9, 'quiet');
    const result = await diagnoseCoordinators(kafka, request({ groups: [group] }), [], noWait);
    expect(result.verdict).toBe('COORDINATOR_FAILED');
    expect(result.shards).toEqual([{ partition: 9, brokerId: kafka.leaderOf(9), groups: [group] }]);
    expect(result.evidence.filter((e) => e.kind === 'LOG')).toEqual([]);
  });

  it('maps every failed shard when no groups were named', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    kafka.failedShards.add(7);
    const result = await diagnoseCoordinators(kafka, request(), [finding(7, kafka.leaderOf(7))], noWait);
    expect(result.verdict).toBe('COORDINATOR_FAILED');
    expect(result.shards).toEqual([{ partition: 7, brokerId: kafka.leaderOf(7), groups: null }]);
    expect(result.groups).toEqual([]);
  });

  it('calls a logged failure that answers now HEALTHY, with the evidence saying so', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    const result = await diagnoseCoordinators(kafka, request(), [finding(3, 1)], noWait);
    expect(result.verdict).toBe('HEALTHY');
    expect(result.shards).toEqual([]);
    expect(result.evidence.some((e) => /answers group calls now/.test(e.message))).toBe(true);
  });

  it('does not count a NOT_COORDINATOR that clears after a metadata refresh', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    const group = kafka.groupOnShard(2, 'orders');
    kafka.transientFailures.set(2, 1);
    const result = await diagnoseCoordinators(kafka, request({ groups: [group] }), [], noWait);
    expect(result.verdict).toBe('HEALTHY');
    expect(kafka.calls).toContain('refreshMetadata');
    expect(waits.at(-1)).toBe(1000);
  });

  it('probes every shard when there are neither log lines nor groups, and is HEALTHY only when all answer', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    const result = await diagnoseCoordinators(kafka, request(), [], noWait);
    expect(result).toMatchObject({ verdict: 'HEALTHY', shards: [], failedShards: [] });
    expect(result.liveChecks.map((c) => c.partition)).toEqual([...Array(12).keys()]);
    expect(result.evidence.map((e) => e.message)).toEqual([
      'Probe groups on 12 shard(s) answered DescribeGroups: __consumer_offsets-0-11',
      'No coordinator load failures in the broker logs for the window, and all 12 shards answer group calls',
    ]);
  });

  it('finds a FAILED shard without any log line or named group (broker-log delivery off)', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    kafka.failedShards.add(6);
    const result = await diagnoseCoordinators(kafka, request(), [], noWait);
    expect(result.verdict).toBe('COORDINATOR_FAILED');
    expect(result.shards).toEqual([{ partition: 6, brokerId: kafka.leaderOf(6), groups: null }]);
    expect(result.evidence.some((e) => e.partition === 6 && /NOT_COORDINATOR/.test(e.message))).toBe(true);
  });

  it('is INCONCLUSIVE, not HEALTHY, when the log search was cut short and a shard beyond the checked one does not answer', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    const group = kafka.groupOnShard(2, 'orders');
    const loading = 8;
    const describe = kafka.describeGroup.bind(kafka);
    kafka.describeGroup = async (groupId) => {
      if (kafka.shardOf(groupId) === loading) throw kafkaError('COORDINATOR_LOAD_IN_PROGRESS', 14, 'loading', { retryable: true });
      return describe(groupId);
    };
    // With the whole window read, the named group's clean answer is enough.
    const complete = await diagnoseCoordinators(kafka, request({ groups: [group] }), [], noWait);
    expect(complete.verdict).toBe('HEALTHY');
    expect(complete.liveChecks.map((c) => c.groupId)).toEqual([group]);

    const cutShort = await diagnoseCoordinators(kafka, request({ groups: [group] }), [], { ...noWait, logSearch: { stoppedBy: 'PAGE_CAP' } });
    expect(cutShort.verdict).toBe('INCONCLUSIVE');
    expect(cutShort.liveChecks.find((c) => c.groupId === group)).toMatchObject({ groupCall: 'OK' });
    expect(cutShort.liveChecks).toHaveLength(12);
    const messages = cutShort.evidence.map((e) => e.message);
    expect(messages).toContain('The broker-log search stopped at the page cap before reading the whole window; lines it did not read may name more shards, so every shard was probed live');
    expect(messages).toContain('Not HEALTHY: the log search is incomplete and not every shard answered the live probe');
  });

  it('is HEALTHY after a search stopped by its deadline only when every shard answers, and names the deadline', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    const result = await diagnoseCoordinators(kafka, request(), [finding(3, 1)], { ...noWait, logSearch: { stoppedBy: 'DEADLINE' } });
    expect(result.verdict).toBe('HEALTHY');
    expect(result.liveChecks).toHaveLength(12);
    expect(result.evidence.some((e) => /stopped at its deadline/.test(e.message))).toBe(true);
    expect(result.evidence.at(-1)!.message).toBe('The part of the broker logs read shows no coordinator load failure, and all 12 shards answer group calls');
  });

  it('is INCONCLUSIVE when the probe runs out of time before every shard was asked', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    let now = 0;
    const describe = kafka.describeGroup.bind(kafka);
    kafka.describeGroup = async (groupId) => {
      now += 10;
      return describe(groupId);
    };
    const result = await diagnoseCoordinators(kafka, request(), [], { ...noWait, logSearch: { stoppedBy: 'DEADLINE' }, clock: () => now, deadline: 50, concurrency: 1 });
    expect(result.verdict).toBe('INCONCLUSIVE');
    expect(result.liveChecks).toHaveLength(5);
    expect(result.evidence.some((e) => e.message === 'No time was left to probe 7 shard(s): __consumer_offsets-5-11')).toBe(true);
  });

  it('is INCONCLUSIVE when the coordinator cannot be found', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    kafka.findCoordinator = async () => {
      throw new Error('connection refused');
    };
    const result = await diagnoseCoordinators(kafka, request({ groups: ['billing'] }), [], noWait);
    expect(result.verdict).toBe('INCONCLUSIVE');
    expect(result.liveChecks[0]).toMatchObject({ findCoordinatorError: 'connection refused', coordinator: null });
  });

  it('ignores log lines about partitions the topic does not have, and says so', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    const result = await diagnoseCoordinators(kafka, request(), [finding(40, 1)], noWait);
    expect(result.verdict).toBe('HEALTHY');
    expect(result.evidence.some((e) => e.kind === 'METADATA' && e.partition === 40)).toBe(true);
  });
});

describe('diagnoseCoordinators with allShards', () => {
  it('probes every shard, reports exactly the failed ones, and waits once however many refuse', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    kafka.failedShards.add(2);
    kafka.failedShards.add(9);
    kafka.transientFailures.set(6, 1); // a leader move in flight: refuses once, then answers
    const pauses: number[] = [];
    const result = await diagnoseCoordinators(kafka, request(), [], { allShards: true, sleep: async (ms) => void pauses.push(ms) });
    expect(result.verdict).toBe('COORDINATOR_FAILED');
    expect(result.failedShards).toEqual([2, 9]);
    expect(new Set(result.liveChecks.map((c) => c.partition)).size).toBe(12);
    expect(result.liveChecks.find((c) => c.partition === 6)?.groupCall).toBe('OK');
    expect(pauses).toEqual([1000]);
  });

  it('is HEALTHY when every shard answers, without pausing', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    const pauses: number[] = [];
    const result = await diagnoseCoordinators(kafka, request(), [], { allShards: true, sleep: async (ms) => void pauses.push(ms) });
    expect(result.verdict).toBe('HEALTHY');
    expect(result.failedShards).toEqual([]);
    expect(result.liveChecks).toHaveLength(12);
    expect(pauses).toEqual([]);
  });
});
