import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { kafkaError } from '../../../lambdas/core/errors.ts';
import { createHandler as diagnose } from '../../../lambdas/handlers/diagnose.ts';
import { EXECUTION_ARN } from '../core/workflow/fixtures.ts';
import { NOW, mocks, setUp, type Harness } from './harness.ts';

let h: Harness;
const event = { input: { lookbackMinutes: 120 }, executionArn: EXECUTION_ARN, startTime: NOW.toISOString() };
// Less than the 90 s Diagnose keeps for the live checks: the log search stops after its first page.
const shortOnTime = { getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

beforeEach(() => {
  h = setUp();
  let page = 0;
  mocks.logs.on(FilterLogEventsCommand).callsFake(async () => ({ events: [], nextToken: `page-${++page}` }));
});

describe('Diagnose on a log search cut short', () => {
  it('is INCONCLUSIVE, not HEALTHY, when the named group answers but not every shard does, and says the deadline stopped the search', async () => {
    const group = h.kafka.groupOnShard(2, 'orders');
    const describe = h.kafka.describeGroup.bind(h.kafka);
    h.kafka.describeGroup = async (groupId) => {
      if (h.kafka.shardOf(groupId) === 9) throw kafkaError('COORDINATOR_LOAD_IN_PROGRESS', 14, 'loading', { retryable: true });
      return describe(groupId);
    };
    const result = await diagnose(h.deps)({ ...event, input: { ...event.input, groups: [group] } }, shortOnTime);
    expect(result.logSearch).toMatchObject({ pages: 1, truncated: true, stoppedBy: 'DEADLINE' });
    expect(result.liveChecks.find((c) => c.groupId === group)).toMatchObject({ groupCall: 'OK' });
    expect(result.verdict).toBe('INCONCLUSIVE');
    expect(result.evidence.some((e) => /stopped at its deadline/.test(e.message))).toBe(true);
  });

  it('is HEALTHY only after every shard answered the probe', async () => {
    const result = await diagnose(h.deps)(event, shortOnTime);
    expect(result.logSearch.stoppedBy).toBe('DEADLINE');
    expect(result.verdict).toBe('HEALTHY');
    expect(result.liveChecks.map((c) => c.partition)).toEqual([...Array(12).keys()]);
  });

  it('finds the FAILED shard by probing when the cut-short search saw no line about it', async () => {
    h.kafka.failedShards.add(5);
    const result = await diagnose(h.deps)(event, shortOnTime);
    expect(result.verdict).toBe('COORDINATOR_FAILED');
    expect(result.shards).toEqual([{ partition: 5, brokerId: h.kafka.leaderOf(5), groups: null }]);
  });

  it('still probes when the Lambda has less time than the probes keep in reserve (a short --lambda-timeout)', async () => {
    h.kafka.failedShards.add(5);
    const result = await diagnose(h.deps)(event, { getRemainingTimeInMillis: () => 3_000 } as unknown as Context);
    expect(result.evidence.some((e) => /No time was left to probe/.test(e.message))).toBe(false);
    expect(result.verdict).toBe('COORDINATOR_FAILED');
    expect(result.failedShards).toEqual([5]);
  });
});

describe('Diagnose and the configured broker log group', () => {
  it('searches the group the stack configured, and when the cluster delivers elsewhere says so and probes every shard', async () => {
    h = setUp({ BROKER_LOG_GROUP: '/aws/msk/orders/old-group' });
    mocks.logs.on(FilterLogEventsCommand).resolves({ events: [] });
    h.kafka.failedShards.add(7);
    const group = h.kafka.groupOnShard(2, 'orders');
    const result = await diagnose(h.deps)({ ...event, input: { ...event.input, groups: [group] } });
    expect(mocks.logs.commandCalls(FilterLogEventsCommand)[0]!.args[0].input.logGroupName).toBe('/aws/msk/orders/old-group');
    expect(result.evidence[0]!.message).toBe(
      'The cluster delivers broker logs to msk/broker-logs/orders, but this stack searches /aws/msk/orders/old-group (recovery:brokerLogGroupName), so every shard was probed live. Redeploy with -c recovery:brokerLogGroupName=msk/broker-logs/orders',
    );
    // The named group is healthy, but the probe of every shard still finds shard 7.
    expect(result.liveChecks).toHaveLength(12);
    expect(result.failedShards).toEqual([7]);
  });

  it('adds nothing when the configured group is the cluster\'s', async () => {
    h = setUp({ BROKER_LOG_GROUP: 'msk/broker-logs/orders' });
    mocks.logs.on(FilterLogEventsCommand).resolves({ events: [] });
    const group = h.kafka.groupOnShard(2, 'orders');
    const result = await diagnose(h.deps)({ ...event, input: { ...event.input, groups: [group] } });
    expect(result.evidence.filter((e) => e.kind === 'METADATA')).toEqual([]);
    expect(result.liveChecks).toHaveLength(1);
  });
});
