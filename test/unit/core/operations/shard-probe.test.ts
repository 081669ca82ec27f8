import { describe, expect, it } from 'vitest';
import { kafkaError } from '../../../../lambdas/core/errors.ts';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { probeGroupFor, probeShards } from '../../../../lambdas/core/operations/index.ts';
import { InMemoryKafka } from '../../../support/in-memory-kafka.ts';
import { ShardFailingKafka } from '../workflow/fixtures.ts';

const pauses: number[] = [];
const noWait = { sleep: async (ms: number) => void pauses.push(ms) };

describe('probeGroupFor', () => {
  it('names a group that hashes to the shard, for every shard', () => {
    for (const count of [1, 12, 50]) {
      for (let p = 0; p < count; p++) expect(partitionForGroup(probeGroupFor(p, count), count)).toBe(p);
    }
  });
});

describe('probeShards', () => {
  it('reports every shard answering on a healthy cluster, with read-only calls only', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    const report = await probeShards(kafka, noWait);
    expect(report).toMatchObject({ partitionCount: 12, failed: [], unresolved: [], notProbed: [], failingBrokers: [] });
    expect(report.checks.map((c) => [c.partition, c.groupCall, c.groupState])).toEqual([...Array(12).keys()].map((p) => [p, 'OK', 'Dead']));
    expect(report.leaders['4']).toBe(kafka.leaderOf(4));
    expect(kafka.calls.filter((c) => /commit|join|create/i.test(c))).toEqual([]);
  });

  it('reports FAILED shards and their brokers only after a second NOT_COORDINATOR, re-checking after one pause', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    kafka.failedShards.add(3).add(9);
    kafka.transientFailures.set(5, 1); // a leader move in flight
    pauses.length = 0;
    const report = await probeShards(kafka, { ...noWait, confirmDelayMs: 250 });
    expect(report.failed).toEqual([3, 9]);
    expect(report.unresolved).toEqual([]);
    expect(report.failingBrokers).toEqual([...new Set([kafka.leaderOf(3), kafka.leaderOf(9)])].sort());
    expect(report.checks.find((c) => c.partition === 5)).toMatchObject({ groupCall: 'OK' });
    expect(pauses).toEqual([250]);
    expect(kafka.calls.filter((c) => c === 'refreshMetadata')).toHaveLength(1);
  });

  it('calls a shard that answers with another error unresolved, and probes only the shards asked for', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    const describe = kafka.describeGroup.bind(kafka);
    kafka.describeGroup = async (groupId) => {
      if (kafka.shardOf(groupId) === 7) throw kafkaError('COORDINATOR_LOAD_IN_PROGRESS', 14, 'loading', { retryable: true });
      return describe(groupId);
    };
    const report = await probeShards(kafka, { ...noWait, partitions: [7, 1, 7] });
    expect(report.checks.map((c) => c.partition)).toEqual([1, 7]);
    expect(report).toMatchObject({ failed: [], unresolved: [7] });
    expect(report.checks[1]).toMatchObject({ groupCall: 'COORDINATOR_LOAD_IN_PROGRESS', groupCallError: expect.stringMatching(/loading/) });
  });

  it('stops at the deadline: shards not reached are listed, and an unconfirmed NOT_COORDINATOR is not called FAILED', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    kafka.failedShards.add(1);
    let now = 0;
    const describe = kafka.describeGroup.bind(kafka);
    kafka.describeGroup = async (groupId) => {
      now += 10;
      return describe(groupId);
    };
    const report = await probeShards(kafka, { ...noWait, clock: () => now, deadline: 40, concurrency: 1 });
    expect(report.checks.map((c) => c.partition)).toEqual([0, 1, 2, 3]);
    expect(report.notProbed).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(report.failed).toEqual([]);
    expect(report.unresolved).toEqual([1]);
  });

  it('names the field and the range for a shard that does not exist, and NOT_FOUND without __consumer_offsets', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    await expect(probeShards(kafka, { partitions: [12] })).rejects.toMatchObject({ code: 'PARTITION_OUT_OF_RANGE', message: expect.stringMatching(/^partitions: 12 is out of range.*0-11/) });
    await expect(probeShards(new InMemoryKafka({ offsetsPartitions: 0 }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
