import { CloudWatchLogsClient, FilterLogEventsCommand, ResourceNotFoundException, ThrottlingException } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { searchBrokerLogs } from '../../../lambdas/aws/broker-logs.ts';
import { BROKER_LOG_FILTER_PATTERN } from '../../../lambdas/aws/broker-log-lines.ts';
import type { BackoffOptions } from '../../../lambdas/aws/backoff.ts';

const logsMock = mockClient(CloudWatchLogsClient);
const client = new CloudWatchLogsClient({ region: 'us-east-1' });
afterEach(() => logsMock.reset());

const T0 = Date.UTC(2026, 10, 24, 21, 0, 0);
const NEW_GEN = '[2026-11-24 21:00:05,123] ERROR [GroupCoordinator id=2] Failed to load metadata from __consumer_offsets-17 with epoch 42 due to java.lang.RuntimeException (org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime)';
const REPLAY =
  '[2026-11-24 21:00:05,100] ERROR Replaying record CoordinatorRecord(...) from __consumer_offsets-17 at offset 98765 failed due to: Cannot set the epoch of 5a1b-3 to 7 because the partition is still owned at epoch 6.';
const OLD_GEN = '[2026-11-24 21:02:00,000] ERROR [GroupMetadataManager brokerId=3] Error loading offsets from __consumer_offsets-4 (kafka.coordinator.group.GroupMetadataManager)';

function recordingBackoff(): BackoffOptions & { delays: number[] } {
  const delays: number[] = [];
  return { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5, sleep: async (ms) => void delays.push(ms), delays };
}

const window = { logGroup: 'msk/broker-logs/orders', since: T0 - 3_600_000, until: T0 + 3_600_000 };

describe('searchBrokerLogs', () => {
  it('follows empty pages that still carry a nextToken and stops when the token is gone', async () => {
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [], nextToken: 't1' })
      .resolvesOnce({ events: [], nextToken: 't2' })
      .resolvesOnce({ events: [{ eventId: 'e1', logStreamName: 'orders-Broker-2', timestamp: T0 + 5000, message: NEW_GEN }], nextToken: 't3' })
      .resolvesOnce({ events: [] });
    const result = await searchBrokerLogs(client, { ...window, backoff: recordingBackoff() });
    const calls = logsMock.commandCalls(FilterLogEventsCommand);
    expect(calls).toHaveLength(4);
    expect(calls.map((c) => c.args[0].input.nextToken)).toEqual([undefined, 't1', 't2', 't3']);
    expect(calls[0]!.args[0].input).toMatchObject({ logGroupName: window.logGroup, startTime: window.since, endTime: window.until, filterPattern: BROKER_LOG_FILTER_PATTERN });
    expect(result.summary).toMatchObject({ pages: 4, events: 1, truncated: false, throttledRetries: 0 });
    expect(result.findings).toHaveLength(1);
  });

  it('stops on a token it has already seen instead of looping', async () => {
    logsMock.on(FilterLogEventsCommand).resolves({ events: [], nextToken: 'same' });
    const result = await searchBrokerLogs(client, { ...window, backoff: recordingBackoff() });
    expect(logsMock.commandCalls(FilterLogEventsCommand)).toHaveLength(2);
    expect(result.summary).toMatchObject({ truncated: false, stoppedBy: null });
  });

  it('stops at the page cap and says so', async () => {
    let n = 0;
    logsMock.on(FilterLogEventsCommand).callsFake(async () => ({ events: [], nextToken: `token-${n++}` }));
    const result = await searchBrokerLogs(client, { ...window, maxPages: 7, backoff: recordingBackoff() });
    expect(logsMock.commandCalls(FilterLogEventsCommand)).toHaveLength(7);
    expect(result.summary).toMatchObject({ pages: 7, truncated: true, stoppedBy: 'PAGE_CAP' });
  });

  it('backs off exponentially with jitter on ThrottlingException and then continues', async () => {
    const throttle = () => new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    logsMock
      .on(FilterLogEventsCommand)
      .rejectsOnce(throttle())
      .rejectsOnce(throttle())
      .rejectsOnce(throttle())
      .resolvesOnce({ events: [{ eventId: 'e1', logStreamName: 'orders-Broker-2', timestamp: T0, message: NEW_GEN }] });
    const backoff = recordingBackoff();
    const result = await searchBrokerLogs(client, { ...window, backoff });
    expect(backoff.delays).toEqual([50, 100, 200]); // random 0.5 of 100, 200, 400
    expect(result.summary.throttledRetries).toBe(3);
    expect(result.findings[0]!.partition).toBe(17);
  });

  it('gives up after the retry budget with a retryable AWS_ERROR', async () => {
    logsMock.on(FilterLogEventsCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const backoff = recordingBackoff();
    await expect(searchBrokerLogs(client, { ...window, backoff })).rejects.toMatchObject({ code: 'AWS_ERROR', retryable: true });
    expect(backoff.delays).toHaveLength(5);
    expect(backoff.delays.every((d) => d <= 1000)).toBe(true);
  });

  it('names the fix when the log group does not exist', async () => {
    logsMock.on(FilterLogEventsCommand).rejects(new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }));
    await expect(searchBrokerLogs(client, { ...window, backoff: recordingBackoff() })).rejects.toMatchObject({ code: 'CONFIGURATION', message: expect.stringContaining('msk/broker-logs/orders') });
  });

  it('reads both coordinator generations and the replay details, one finding per shard and broker', async () => {
    logsMock.on(FilterLogEventsCommand).resolvesOnce({
      events: [
        { eventId: 'a', logStreamName: 'orders-Broker-2', timestamp: T0 + 5000, message: REPLAY },
        { eventId: 'b', logStreamName: 'orders-Broker-2', timestamp: T0 + 5100, message: NEW_GEN },
        { eventId: 'c', logStreamName: 'orders-Broker-2', timestamp: T0 + 65_000, message: NEW_GEN.replace('epoch 42', 'epoch 43') },
        { eventId: 'd', logStreamName: 'other-name-Broker-3', timestamp: T0 + 120_000, message: OLD_GEN },
        { eventId: 'd', logStreamName: 'other-name-Broker-3', timestamp: T0 + 120_000, message: OLD_GEN }, // duplicate event id
      ],
    });
    const { findings, summary } = await searchBrokerLogs(client, { ...window, backoff: recordingBackoff() });
    expect(summary.events).toBe(4);
    expect(findings).toEqual([
      {
        partition: 4,
        brokerId: 3,
        epoch: null,
        firstSeen: new Date(T0 + 120_000).toISOString(),
        lastSeen: new Date(T0 + 120_000).toISOString(),
        count: 1,
        sampleLine: OLD_GEN,
        logStream: 'other-name-Broker-3',
        phrase: 'ERROR_LOADING_OFFSETS',
        replaying: [],
      },
      {
        partition: 17,
        brokerId: 2,
        epoch: 43,
        firstSeen: new Date(T0 + 5000).toISOString(),
        lastSeen: new Date(T0 + 65_000).toISOString(),
        count: 2,
        sampleLine: NEW_GEN,
        logStream: 'orders-Broker-2',
        phrase: 'FAILED_TO_LOAD_METADATA',
        replaying: [{ topicPartition: '__consumer_offsets-17', offset: '98765', conflictPartition: '5a1b-3', requestedEpoch: 7, ownedEpoch: 6 }],
      },
    ]);
  });

  it('returns no findings when no broker logged anything about the group shards', async () => {
    logsMock.on(FilterLogEventsCommand).resolvesOnce({ events: [{ eventId: 'x', logStreamName: 'orders-Broker-1', timestamp: T0, message: 'INFO [GroupCoordinator id=1] Finished loading offsets and group metadata from __consumer_offsets-3' }] });
    const result = await searchBrokerLogs(client, { ...window, backoff: recordingBackoff() });
    expect(result.findings).toEqual([]);
    expect(result.summary.events).toBe(1);
  });
});

describe('searchBrokerLogs deadline', () => {
  it('stops paging at the deadline and says the deadline, not the page cap, stopped it', async () => {
    let n = 0;
    logsMock.on(FilterLogEventsCommand).callsFake(async () => ({ events: [], nextToken: `t-${n++}` }));
    let now = 1000;
    const result = await searchBrokerLogs(client, { ...window, deadline: 1003, clock: () => now++, backoff: recordingBackoff() });
    expect(result.summary).toMatchObject({ truncated: true, stoppedBy: 'DEADLINE' });
    // The first page is always read; then the clock reads 1000, 1001, 1002 (go on) and 1003 (stop).
    expect(result.summary.pages).toBe(4);
  });
});
