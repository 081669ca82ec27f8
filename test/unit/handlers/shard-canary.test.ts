import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandler as shardCanary } from '../../../lambdas/handlers/shard-canary.ts';
import { captureEmf, type EmfCapture } from '../../support/emf-capture.ts';
import { setUp, type Harness } from './harness.ts';

let h: Harness;
let emf: EmfCapture;

beforeEach(() => {
  h = setUp();
  emf = captureEmf();
});
afterEach(() => emf.restore());

describe('the shard canary', () => {
  it('publishes zero FAILED shards for a healthy cluster, with read-only calls only', async () => {
    const output = await shardCanary(h.deps)({});
    expect(output).toEqual({ clusterName: 'orders', failedShards: [], unresolvedShards: [], probed: 12, failingBrokers: [] });
    expect(emf.documents).toHaveLength(1);
    expect(emf.documents[0]).toMatchObject({ ClusterName: 'orders', FailedShards: 0, UnresolvedShards: 0, ProbedShards: 12 });
    // Exactly the dimension the alarm watches: one more (Powertools' default "service") would be another metric.
    expect(emf.documents[0]!._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'CoordinatorRecovery', Dimensions: [['ClusterName']] });
    expect(h.kafka.calls.filter((call) => /commit/i.test(call))).toEqual([]);
  });

  it('counts and names the FAILED shards and their brokers', async () => {
    h.kafka.failedShards.add(3).add(8);
    const output = await shardCanary({ ...h.deps, env: { ...h.deps.env, METRICS_NAMESPACE: 'Recovery/orders' } })({});
    expect(output.failedShards).toEqual([3, 8]);
    expect(output.failingBrokers).toEqual([...new Set([h.kafka.leaderOf(3), h.kafka.leaderOf(8)])].sort());
    expect(emf.documents[0]).toMatchObject({ FailedShards: 2, failedShards: '3,8' });
    expect(emf.documents[0]!._aws.CloudWatchMetrics[0]!.Namespace).toBe('Recovery/orders');
  });

  it('connects with the stack\'s auth mode and refuses to run without one', async () => {
    await shardCanary(h.deps)({});
    expect(h.connections[0]).toEqual({ brokers: ['b-1.orders:9098', 'b-2.orders:9098'], ssl: true, sasl: { mechanism: 'aws-msk-iam', region: 'us-east-1' } });
    await expect(shardCanary({ ...h.deps, env: { ...h.deps.env, AUTH_MODE: '' } })({})).rejects.toMatchObject({ name: 'RecoveryError.CONFIGURATION', message: expect.stringMatching(/AUTH_MODE/) });
  });
});
