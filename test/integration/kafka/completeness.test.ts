/**
 * The completeness and validity report against the local cluster, with the situations an SRE
 * meets in an incident: a stuck group that subscribes to partitions it never committed (one
 * topic not at all), retention that moved a partition's log start past the recovered offset,
 * an offset beyond the log end, lag, and retention on `__consumer_offsets` itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, Kafka } from 'kafkajs';
import { checkCompleteness, offsetsPartitionFor, readCommittedOffsets } from '../../../lambdas/core/operations/index.ts';
import type { CompletenessReport, PartitionCheck } from '../../../lambdas/core/model.ts';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import type { LocalCluster } from '../../../local/kafka/index.ts';
import { createTopic, realClient, startCluster, waitFor } from './helpers.ts';

const STUCK = 'settlement-service';
const HAND_SET = 'reporting-service';

let cluster: LocalCluster;
let kafka: Kafka;
let port: KafkaPort;
let stuck: Consumer | undefined;
const failed: number[] = [];

async function produceTo(topic: string, counts: Record<number, number>): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const [partition, count] of Object.entries(counts)) {
      await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ partition: Number(partition), value: `m${i}` })) });
    }
  } finally {
    await producer.disconnect();
  }
}

function byPartition(report: CompletenessReport): Record<string, Pick<PartitionCheck, 'status' | 'offset' | 'lag' | 'logStartOffset' | 'logEndOffset'>> {
  return Object.fromEntries(
    report.partitions.map((p) => [`${p.topic}-${p.partition}`, { status: p.status, offset: p.offset, lag: p.lag, logStartOffset: p.logStartOffset, logEndOffset: p.logEndOffset }]),
  );
}

beforeAll(async () => {
  cluster = await startCluster();
  kafka = realClient(cluster, 'completeness-it');
  await createTopic(kafka, 'payments', 4);
  await createTopic(kafka, 'ledger', 2);
  await createTopic(kafka, 'exports', 2);
  await produceTo('payments', { 0: 4, 1: 3, 2: 2 }); // payments-3 stays empty: nothing to commit there
  await produceTo('exports', { 0: 5, 1: 5 });
  port = createKafkaPort({ brokers: cluster.bootstrapServers, clientId: 'completeness-it' });

  // A group that stays a member (Stable) when its coordinator fails: its metadata names both topics.
  stuck = kafka.consumer({ groupId: STUCK, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await stuck.connect();
  await stuck.subscribe({ topics: ['payments', 'ledger'], fromBeginning: true });
  let seen = 0;
  await stuck.run({ autoCommitThreshold: 1, eachMessage: async () => void (seen += 1) });
  await waitFor(`${STUCK} to consume 9 messages`, () => (seen >= 9 ? true : undefined), 30_000);
  await waitFor(`${STUCK}'s commits`, async () => {
    const committed = await port.fetchCommittedOffsets(STUCK, ['payments']);
    const done = committed.filter((c) => c.offset >= 0n).map((c) => `${c.partition}:${c.offset}`);
    return done.join(',') === '0:4,1:3,2:2' ? true : undefined;
  });

  // Offsets an operator set by hand on an empty group: one beyond the log end.
  const results = await port.commitOffsets(HAND_SET, [
    { topic: 'exports', partition: 0, offset: 3n, leaderEpoch: 0, metadata: 'set by hand, INC-4711' },
    { topic: 'exports', partition: 1, offset: 50n },
  ]);
  expect(results.every((r) => r.errorName === null)).toBe(true);

  for (const group of [STUCK, HAND_SET]) {
    const partition = await offsetsPartitionFor(port, group);
    if (!failed.includes(partition)) {
      await cluster.faults.failCoordinator(partition);
      failed.push(partition);
    }
  }
});

afterAll(async () => {
  // Heal first, so the stuck consumer can leave its group instead of waiting on a FAILED shard.
  for (const partition of failed) await cluster?.faults.healCoordinator(partition);
  await stuck?.disconnect();
  await port?.close();
  await cluster?.stop();
});

describe('a stuck group that subscribes to more than it committed', () => {
  it('flags every subscribed partition without a recovered offset, the uncommitted topic included', async () => {
    const recovered = await readCommittedOffsets(port, STUCK);
    expect(recovered.groupMetadata).toMatchObject({ state: 'Stable', members: 1, subscribedTopics: ['ledger', 'payments'] });
    expect(Object.keys(recovered.offsets)).toEqual(['payments']);

    const report = await checkCompleteness(port, recovered);
    expect(report.complete).toBe(false);
    expect(byPartition(report)).toEqual({
      'ledger-0': { status: 'MISSING', offset: null, lag: null, logStartOffset: '0', logEndOffset: '0' },
      'ledger-1': { status: 'MISSING', offset: null, lag: null, logStartOffset: '0', logEndOffset: '0' },
      'payments-0': { status: 'OK', offset: '4', lag: '0', logStartOffset: '0', logEndOffset: '4' },
      'payments-1': { status: 'OK', offset: '3', lag: '0', logStartOffset: '0', logEndOffset: '3' },
      'payments-2': { status: 'OK', offset: '2', lag: '0', logStartOffset: '0', logEndOffset: '2' },
      'payments-3': { status: 'MISSING', offset: null, lag: null, logStartOffset: '0', logEndOffset: '0' },
    });
    expect(report.issues.map((i) => [i.kind, `${i.topic}-${i.partition}`])).toEqual([
      ['MISSING_PARTITION', 'ledger-0'],
      ['MISSING_PARTITION', 'ledger-1'],
      ['MISSING_PARTITION', 'payments-3'],
    ]);
    expect(report.notes).toEqual([]);
  });

  it('reports lag per partition, and an offset retention has passed as below the log start', async () => {
    await produceTo('payments', { 0: 6, 1: 2 });
    // Retention (DeleteRecords) moves payments-0's log start past the stuck group's offset 4.
    expect(cluster.faults.deleteRecordsBefore('payments', 0, 7)).toEqual({ logStartOffset: 7 });

    const report = await checkCompleteness(port, await readCommittedOffsets(port, STUCK));
    const partitions = byPartition(report);
    expect(partitions['payments-0']).toEqual({ status: 'BELOW_LOG_START', offset: '4', lag: null, logStartOffset: '7', logEndOffset: '10' });
    expect(partitions['payments-1']).toEqual({ status: 'OK', offset: '3', lag: '2', logStartOffset: '0', logEndOffset: '5' });
    expect(partitions['payments-2']).toMatchObject({ status: 'OK', lag: '0' });
    expect(report.totalLag).toBe('2');
    const below = report.issues.find((i) => i.kind === 'BELOW_LOG_START');
    expect(below).toMatchObject({ topic: 'payments', partition: 0, offset: '4', logStartOffset: '7' });
    expect(below?.message).toContain('retention deleted 3 message(s)');
  });
});

describe('offsets set by hand', () => {
  it('flags an offset beyond the log end and checks only the topics committed to when no metadata exists', async () => {
    const recovered = await readCommittedOffsets(port, HAND_SET);
    expect(recovered.groupMetadata).toBeNull();
    // Each entry says what was committed and where in __consumer_offsets the record sits.
    const entry = recovered.offsets['exports']?.['0'];
    expect(entry).toMatchObject({ offset: '3', leaderEpoch: 0, metadata: 'set by hand, INC-4711' });
    expect(Number(entry?.commitTimestamp)).toBeGreaterThan(Date.now() - 600_000);
    expect(BigInt(entry?.logOffset ?? '-1')).toBeGreaterThanOrEqual(0n);
    expect(Number(entry?.logTimestamp)).toBeGreaterThan(Date.now() - 600_000);
    const report = await checkCompleteness(port, recovered);
    expect(byPartition(report)).toEqual({
      'exports-0': { status: 'OK', offset: '3', lag: '2', logStartOffset: '0', logEndOffset: '5' },
      'exports-1': { status: 'ABOVE_LOG_END', offset: '50', lag: null, logStartOffset: '0', logEndOffset: '5' },
    });
    expect(report.issues.map((i) => i.kind)).toEqual(['ABOVE_LOG_END']);
    expect(report.notes?.join('\n')).toMatch(/no group metadata/);
  });
});

describe('retention on __consumer_offsets itself', () => {
  it('starts a scan asked to begin before the log start at the log start, and says so', async () => {
    const partition = await offsetsPartitionFor(port, HAND_SET);
    const [end] = await port.listOffsets('__consumer_offsets', [partition], { kind: 'latest' });
    // Delete everything but the last record: the hand-set commits were the last writes here.
    const start = Number(end!.offset) - 1;
    cluster.faults.deleteRecordsBefore('__consumer_offsets', partition, start);
    const recovered = await readCommittedOffsets(port, HAND_SET, { fromOffset: '0' });
    expect(recovered.scan.startOffset).toBe(String(start));
    expect(recovered.scan.notes?.join('\n')).toMatch(/log start/);
    // The commit of exports-0 went with the deleted records: flagged as missing, not invented.
    expect(Object.keys(recovered.offsets['exports'] ?? {})).toEqual(['1']);
    const report = await checkCompleteness(port, recovered);
    expect(byPartition(report)['exports-0']).toMatchObject({ status: 'MISSING', offset: null });
  });
});
