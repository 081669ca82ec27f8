/**
 * lambdas/aws broker-log search and the real CloudWatch Logs client against the stand-in:
 * the FAILED-coordinator lines of a real local cluster in both coordinator generations, then
 * filter patterns, windows, paging, throttling and empty pages on a sink with a fixed clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { searchBrokerLogs } from '../../../lambdas/aws/broker-logs.ts';
import type { BackoffOptions } from '../../../lambdas/aws/backoff.ts';
import { startAwsStandins, type AwsStandins } from '../../../local/aws/index.ts';
import { BrokerLogSink } from '../../../local/kafka/broker-log.ts';
import { startLocalCluster, type LocalCluster } from '../../../local/kafka/index.ts';

const NO_WAIT: BackoffOptions = { maxRetries: 4, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {}, random: () => 0 };

function logsClient(aws: AwsStandins): CloudWatchLogsClient {
  // As lambdas/aws/clients.ts builds it: no SDK retries, the search backs off itself.
  return new CloudWatchLogsClient({ ...aws.clientConfig('logs'), maxAttempts: 1 });
}

describe('broker-log search against a local cluster with FAILED shards', () => {
  let local: LocalCluster;
  let aws: AwsStandins;
  let logs: CloudWatchLogsClient;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: 12, transactionPartitions: 2 });
    aws = await startAwsStandins({ cluster: local, clusterName: 'orders-prod' });
    logs = logsClient(aws);
    await local.faults.failCoordinator(4);
    await local.faults.failCoordinator(9, { legacyLogLine: true });
  });

  afterAll(async () => {
    logs?.destroy();
    await aws?.stop();
    await local?.stop();
  });

  it('finds both generations\' failure lines per shard, broker from the line and stream named as MSK names it', async () => {
    const now = Date.now();
    const result = await searchBrokerLogs(logs, { logGroup: aws.logGroupName, since: now - 60_000, until: now + 1000, backoff: NO_WAIT });
    expect(result.findings.map((f) => [f.partition, f.phrase])).toEqual([
      [4, 'FAILED_TO_LOAD_METADATA'],
      [9, 'ERROR_LOADING_OFFSETS'],
    ]);
    for (const finding of result.findings) {
      const leader = local.cluster.partition('__consumer_offsets', finding.partition)!.leader;
      expect(finding.brokerId).toBe(leader);
      expect(finding.logStream).toBe(`orders-prod-Broker-${leader}`);
      expect(finding.count).toBe(1);
    }
    expect(result.findings[0]!.sampleLine).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] ERROR \[GroupCoordinator id=\d\] Failed to load metadata from __consumer_offsets-4 with epoch \d+/);
    expect(result.summary).toMatchObject({ logGroup: aws.logGroupName, pages: 1, events: 2, throttledRetries: 0, truncated: false });
  });

  it('a window that ends before the failure finds nothing; a stream prefix of another broker finds nothing', async () => {
    const failedAt = local.logs.lines().find((l) => l.message.includes('__consumer_offsets-4'))!.timestamp;
    const before = await searchBrokerLogs(logs, { logGroup: aws.logGroupName, since: failedAt - 60_000, until: failedAt - 1, backoff: NO_WAIT });
    expect(before.findings).toEqual([]);
    const leader = local.cluster.partition('__consumer_offsets', 4)!.leader;
    const other = [1, 2, 3].find((b) => b !== leader && b !== local.cluster.partition('__consumer_offsets', 9)!.leader);
    if (other !== undefined) {
      const elsewhere = await searchBrokerLogs(logs, { logGroup: aws.logGroupName, since: failedAt - 1, until: Date.now() + 1000, streamPrefix: `orders-prod-Broker-${other}`, backoff: NO_WAIT });
      expect(elsewhere.findings).toEqual([]);
    }
  });

  it('describes the log group and one stream per broker', async () => {
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/msk/' }));
    expect(groups.logGroups?.map((g) => g.logGroupName)).toEqual(['/aws/msk/orders-prod/broker-logs']);
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: aws.logGroupName }));
    expect(streams.logStreams?.map((s) => s.logStreamName)).toEqual(['orders-prod-Broker-1', 'orders-prod-Broker-2', 'orders-prod-Broker-3']);
    expect(streams.logStreams?.every((s) => typeof s.lastEventTimestamp === 'number')).toBe(true);
  });

  it('an unknown log group is a configuration error naming the group', async () => {
    await expect(searchBrokerLogs(logs, { logGroup: '/aws/msk/other/broker-logs', since: 0, until: Date.now(), backoff: NO_WAIT })).rejects.toMatchObject({
      code: 'CONFIGURATION',
      message: expect.stringContaining('/aws/msk/other/broker-logs does not exist'),
    });
  });
});

describe('FilterLogEvents semantics on a sink with a fixed clock', () => {
  const T0 = Date.parse('2026-11-24T10:00:00Z');
  let clock = T0;
  const sink = new BrokerLogSink({ now: () => clock });
  let aws: AwsStandins;
  let logs: CloudWatchLogsClient;

  function line(brokerId: number, atSeconds: number, level: 'INFO' | 'ERROR', message: string): void {
    clock = T0 + atSeconds * 1000;
    sink.forBroker(brokerId).log(level, message, 'kafka.test');
  }

  async function filter(input: Partial<FilterLogEventsCommandInput>): Promise<FilteredLogEvent[]> {
    const events: FilteredLogEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await logs.send(new FilterLogEventsCommand({ logGroupName: aws.logGroupName, ...input, nextToken }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }

  beforeAll(async () => {
    const brokers = [1, 2].map((brokerId) => ({ brokerId, host: '127.0.0.1', port: 9091 + brokerId }));
    aws = await startAwsStandins({ cluster: { brokers, logs: sink }, clusterName: 'fixed', logsPageSize: 2 });
    logs = logsClient(aws);
    line(1, 0, 'INFO', '[KafkaServer id=1] started');
    line(2, 1, 'ERROR', '[GroupCoordinator id=2] Failed to load metadata from __consumer_offsets-3 with epoch 7 due to x');
    line(1, 2, 'ERROR', '[GroupMetadataManager brokerId=1] Error loading offsets from __consumer_offsets-5\njava.lang.IllegalStateException: y');
    line(2, 3, 'INFO', '[GroupCoordinator id=2] Loaded metadata from __consumer_offsets-4');
    line(2, 3, 'ERROR', '[GroupCoordinator id=2] Failed to load metadata from __consumer_offsets-3 with epoch 8 due to x');
  });

  afterAll(async () => {
    logs?.destroy();
    await aws?.stop();
  });

  it('quoted phrases match verbatim, plain terms all have to occur, ?terms any, -terms exclude; events in time order with their line timestamps', async () => {
    const phrase = await filter({ filterPattern: '"Failed to load metadata from __consumer_offsets-"' });
    expect(phrase.map((e) => [e.logStreamName, e.timestamp])).toEqual([
      ['fixed-Broker-2', T0 + 1000],
      ['fixed-Broker-2', T0 + 3000],
    ]);
    expect(phrase[0]!.message).toBe('[2026-11-24 10:00:01,000] ERROR [GroupCoordinator id=2] Failed to load metadata from __consumer_offsets-3 with epoch 7 due to x (kafka.test)');
    expect((await filter({ filterPattern: 'ERROR GroupCoordinator' })).length).toBe(2);
    expect((await filter({ filterPattern: 'GroupCoordinator -ERROR' })).map((e) => e.timestamp)).toEqual([T0 + 3000]);
    expect((await filter({ filterPattern: '?"Error loading offsets from __consumer_offsets-" ?"Failed to load metadata from __consumer_offsets-"' })).length).toBe(3);
    expect((await filter({ filterPattern: 'error' })).length).toBe(0);
    expect((await filter({})).length).toBe(5);
  });

  it('startTime and endTime are inclusive; logStreamNames selects streams', async () => {
    expect((await filter({ startTime: T0 + 1000, endTime: T0 + 2000 })).map((e) => e.timestamp)).toEqual([T0 + 1000, T0 + 2000]);
    expect((await filter({ logStreamNames: ['fixed-Broker-1'] })).map((e) => e.timestamp)).toEqual([T0, T0 + 2000]);
  });

  it('pages by limit and page size, every token continuing after the last event', async () => {
    const first = await logs.send(new FilterLogEventsCommand({ logGroupName: aws.logGroupName, limit: 1 }));
    expect(first.events).toHaveLength(1);
    expect(first.nextToken).toBeDefined();
    const all = await filter({});
    expect(all.map((e) => e.timestamp)).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3000, T0 + 3000]);
    expect(new Set(all.map((e) => e.eventId)).size).toBe(5);
    // A token belongs to its query.
    await expect(logs.send(new FilterLogEventsCommand({ logGroupName: aws.logGroupName, filterPattern: 'ERROR', nextToken: first.nextToken }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });

  it('the search follows empty pages with fresh tokens and backs off on throttling', async () => {
    aws.logs.injectEmptyPages(3);
    aws.logs.injectThrottling(2);
    const result = await searchBrokerLogs(logs, { logGroup: aws.logGroupName, since: T0, until: T0 + 10_000, backoff: NO_WAIT });
    expect(result.findings.map((f) => [f.partition, f.brokerId, f.count, f.epoch])).toEqual([
      [3, 2, 2, 8],
      [5, 1, 1, null],
    ]);
    expect(result.summary).toMatchObject({ throttledRetries: 2, events: 3 });
    // 3 empty pages, then the 3 matching events 2 per page.
    expect(result.summary.pages).toBe(5);
  });

  it('throttling that outlasts the backoff is a retryable AWS error', async () => {
    aws.logs.injectThrottling(10);
    await expect(searchBrokerLogs(logs, { logGroup: aws.logGroupName, since: T0, until: T0 + 10_000, backoff: { ...NO_WAIT, maxRetries: 2 } })).rejects.toMatchObject({
      code: 'AWS_ERROR',
      retryable: true,
      details: { awsErrorName: 'ThrottlingException' },
    });
    aws.logs.clearInjectedFaults();
  });

  it('cuts pages at 1 MB of messages, never below one event', async () => {
    const big = 'x'.repeat(400 * 1024);
    for (const at of [20, 21, 22]) line(1, at, 'INFO', `bulk ${big}`);
    const first = await logs.send(new FilterLogEventsCommand({ logGroupName: aws.logGroupName, filterPattern: 'bulk', limit: 10 }));
    expect(first.events).toHaveLength(2);
    const rest = await logs.send(new FilterLogEventsCommand({ logGroupName: aws.logGroupName, filterPattern: 'bulk', limit: 10, nextToken: first.nextToken }));
    expect(rest.events?.map((e) => e.timestamp)).toEqual([T0 + 22_000]);
    expect(rest.nextToken).toBeUndefined();
  });

  it('refuses unsigned requests and clients scoped to another region', async () => {
    const unsigned = await fetch(aws.endpoints.logs, { method: 'POST', headers: { 'x-amz-target': 'Logs_20140328.FilterLogEvents', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    const elsewhere = new CloudWatchLogsClient({ ...aws.clientConfig('logs'), region: 'us-east-1', maxAttempts: 1 });
    await expect(elsewhere.send(new FilterLogEventsCommand({ logGroupName: aws.logGroupName }))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    elsewhere.destroy();
  });

  it('answers InvalidParameterException for bad and unsupported patterns and parameters', async () => {
    for (const filterPattern of ['foo-bar', '"unterminated', '?a b', '{ $.level = "ERROR" }', '[ip, user]', '%ERR.R%']) {
      await expect(logs.send(new FilterLogEventsCommand({ logGroupName: aws.logGroupName, filterPattern })), filterPattern).rejects.toMatchObject({
        name: 'InvalidParameterException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    await expect(logs.send(new FilterLogEventsCommand({ logGroupName: aws.logGroupName, logStreamNames: ['a'], logStreamNamePrefix: 'b' }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
    await expect(logs.send(new FilterLogEventsCommand({ logGroupName: aws.logGroupName, startTime: 10, endTime: 5 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});
