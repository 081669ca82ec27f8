import type { Metrics } from '@aws-lambda-powertools/metrics';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler as shardCanary } from '../../../lambdas/handlers/shard-canary.ts';
import { setUp, type Harness } from './harness.ts';

let h: Harness;
let published: ReturnType<Metrics['serializeMetrics']>[];
const capture = (metrics: Metrics): void => {
  published.push(metrics.serializeMetrics());
};

beforeEach(() => {
  h = setUp();
  published = [];
});

describe('the shard canary', () => {
  it('publishes zero FAILED shards for a healthy cluster, with read-only calls only', async () => {
    const output = await shardCanary(h.deps, capture)({});
    expect(output).toEqual({ clusterName: 'orders', failedShards: [], unresolvedShards: [], probed: 12, failingBrokers: [] });
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ ClusterName: 'orders', FailedShards: 0, UnresolvedShards: 0, ProbedShards: 12 });
    expect(published[0]!._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'CoordinatorRecovery', Dimensions: [expect.arrayContaining(['ClusterName'])] });
    expect(h.kafka.calls.filter((call) => /commit/i.test(call))).toEqual([]);
  });

  it('counts and names the FAILED shards and their brokers', async () => {
    h.kafka.failedShards.add(3).add(8);
    const output = await shardCanary({ ...h.deps, env: { ...h.deps.env, METRICS_NAMESPACE: 'Recovery/orders' } }, capture)({});
    expect(output.failedShards).toEqual([3, 8]);
    expect(output.failingBrokers).toEqual([...new Set([h.kafka.leaderOf(3), h.kafka.leaderOf(8)])].sort());
    expect(published[0]).toMatchObject({ FailedShards: 2, failedShards: '3,8' });
    expect(published[0]!._aws.CloudWatchMetrics[0]!.Namespace).toBe('Recovery/orders');
  });

  it('connects with the stack\'s auth mode and refuses to run without one', async () => {
    await shardCanary(h.deps, capture)({});
    expect(h.connections[0]).toEqual({ brokers: ['b-1.orders:9098', 'b-2.orders:9098'], ssl: true, sasl: { mechanism: 'aws-msk-iam', region: 'us-east-1' } });
    await expect(shardCanary({ ...h.deps, env: { ...h.deps.env, AUTH_MODE: '' } }, capture)({})).rejects.toMatchObject({ name: 'RecoveryError.CONFIGURATION', message: expect.stringMatching(/AUTH_MODE/) });
  });
});
