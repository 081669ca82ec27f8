import { describe, expect, it } from 'vitest';
import { kafkaError } from '../../../../lambdas/core/errors.ts';
import type { GroupOffsetsResult, RecoveredOffset, ScanStats } from '../../../../lambdas/core/model.ts';
import { checkCompleteness, readCommittedOffsets } from '../../../../lambdas/core/operations/index.ts';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { InMemoryKafka } from '../../../support/in-memory-kafka.ts';
import { groupMetadata, offsetCommit } from '../../../support/offsets-records.ts';

const GROUP = 'billing';

function recovered(offset: string): RecoveredOffset {
  return { offset, leaderEpoch: -1, metadata: '', commitTimestamp: '0', logOffset: '0', logTimestamp: '0' };
}

function scanStats(overrides: Partial<ScanStats> = {}): ScanStats {
  return {
    partition: 0,
    startOffset: '0',
    endOffset: '10',
    nextOffset: '10',
    complete: true,
    records: 10,
    bytes: 1000,
    batches: 10,
    skipped: {},
    abortedRecords: 0,
    controlBatches: 0,
    ...overrides,
  };
}

function result(offsets: GroupOffsetsResult['offsets'], subscribedTopics: string[] | null, scan = scanStats()): GroupOffsetsResult {
  return {
    groupId: GROUP,
    offsetsPartition: 0,
    offsets,
    groupMetadata:
      subscribedTopics === null
        ? null
        : { protocolType: 'consumer', protocol: 'range', state: 'Stable', generation: 1, members: 1, subscribedTopics, currentStateTimestamp: '0' },
    scan,
  };
}

function cluster(): InMemoryKafka {
  const kafka = new InMemoryKafka({ offsetsPartitions: 5 });
  kafka.createTopic('orders', 3);
  kafka.setOffsets('orders', 0, 0n, 100n);
  kafka.setOffsets('orders', 1, 50n, 80n);
  kafka.setOffsets('orders', 2, 0n, 10n);
  kafka.createTopic('payments', 2);
  kafka.setOffsets('payments', 0, 0n, 7n);
  kafka.setOffsets('payments', 1, 0n, 9n);
  return kafka;
}

describe('checkCompleteness', () => {
  it('passes a complete, in-range recovery and sums the lag', async () => {
    const kafka = cluster();
    const report = await checkCompleteness(
      kafka,
      result({ orders: { '0': recovered('90'), '1': recovered('50'), '2': recovered('10') } }, ['orders']),
    );
    expect(report).toEqual({
      groupId: GROUP,
      complete: true,
      issues: [],
      totalLag: '40',
      notes: [],
      partitions: [
        { topic: 'orders', partition: 0, offset: '90', logStartOffset: '0', logEndOffset: '100', lag: '10', status: 'OK' },
        { topic: 'orders', partition: 1, offset: '50', logStartOffset: '50', logEndOffset: '80', lag: '30', status: 'OK' },
        { topic: 'orders', partition: 2, offset: '10', logStartOffset: '0', logEndOffset: '10', lag: '0', status: 'OK' },
      ],
    });
    expect(kafka.calls.filter((c) => c.startsWith('commit') || c.startsWith('describe'))).toEqual([]);
  });

  it('flags missing partitions of subscribed and committed topics, out-of-range offsets and vanished topics, inventing nothing', async () => {
    const kafka = cluster();
    const report = await checkCompleteness(
      kafka,
      result(
        {
          orders: { '0': recovered('120'), '1': recovered('49'), '7': recovered('3') },
          gone: { '0': recovered('5') },
        },
        ['orders', 'payments', 'never-created'],
      ),
    );
    expect(report.complete).toBe(false);
    expect(report.partitions.map((p) => [p.topic, p.partition, p.status, p.offset, p.lag])).toEqual([
      ['orders', 0, 'ABOVE_LOG_END', '120', null],
      ['orders', 1, 'BELOW_LOG_START', '49', null],
      ['orders', 2, 'MISSING', null, null],
      ['payments', 0, 'MISSING', null, null],
      ['payments', 1, 'MISSING', null, null],
    ]);
    expect(report.issues.map((i) => [i.kind, i.topic, i.partition])).toEqual([
      ['UNKNOWN_TOPIC', 'gone', null],
      ['UNKNOWN_TOPIC', 'never-created', null],
      ['ABOVE_LOG_END', 'orders', 0],
      ['BELOW_LOG_START', 'orders', 1],
      ['MISSING_PARTITION', 'orders', 2],
      ['UNKNOWN_PARTITION', 'orders', 7],
      ['MISSING_PARTITION', 'payments', 0],
      ['MISSING_PARTITION', 'payments', 1],
    ]);
    expect(report.issues.find((i) => i.kind === 'BELOW_LOG_START')).toMatchObject({
      offset: '49',
      logStartOffset: '50',
      logEndOffset: '80',
      message: expect.stringMatching(/retention deleted 1 message/),
    });
    expect(report.issues[0]!.message).toMatch(/gone no longer exists: its 1 recovered offset/);
    expect(report.totalLag).toBe('0');
  });

  it('flags an incomplete scan and says when no group metadata was seen', async () => {
    const kafka = cluster();
    const scan = scanStats({ complete: false, nextOffset: '4', skipped: { CORRUPT_BATCH: 2 } });
    const report = await checkCompleteness(kafka, result({ orders: { '0': recovered('1'), '1': recovered('60'), '2': recovered('2') } }, null, scan));
    expect(report.complete).toBe(false);
    expect(report.issues).toEqual([
      expect.objectContaining({ kind: 'SCAN_INCOMPLETE', topic: '__consumer_offsets', partition: 0, offset: '4', logEndOffset: '10' }),
    ]);
    expect(report.notes?.join('\n')).toMatch(/no group metadata in the scanned window/);
    expect(report.notes?.join('\n')).toMatch(/CORRUPT_BATCH: 2/);
  });

  it('copes with a port that fails Metadata for an unknown topic', async () => {
    const kafka = cluster();
    const strict = Object.create(kafka) as InMemoryKafka;
    strict.metadata = async (topics?: string[]) => {
      if (topics?.some((t) => !kafka.topics.has(t))) throw kafkaError('UNKNOWN_TOPIC_OR_PARTITION', 3, 'unknown topic');
      return kafka.metadata(topics);
    };
    const report = await checkCompleteness(strict, result({ orders: { '0': recovered('1'), '1': recovered('60'), '2': recovered('2') } }, ['gone']));
    expect(report.issues.map((i) => i.kind)).toEqual(['UNKNOWN_TOPIC']);
  });

  it('rejects something that is not a recovery result', async () => {
    const kafka = cluster();
    await expect(checkCompleteness(kafka, null as unknown as GroupOffsetsResult)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^result:/) });
    await expect(checkCompleteness(kafka, result({ orders: { x: recovered('1') } }, []))).rejects.toMatchObject({
      message: expect.stringMatching(/^result.offsets.orders.x:/),
    });
  });

  it('checks what readCommittedOffsets recovered, end to end', async () => {
    const kafka = cluster();
    const partition = partitionForGroup(GROUP, 5);
    const log = kafka.offsetsLog(partition);
    log.record(groupMetadata(GROUP, { members: [['orders', 'payments']] }));
    log.record(offsetCommit({ group: GROUP, topic: 'orders', partition: 0, offset: 100n }));
    log.record(offsetCommit({ group: GROUP, topic: 'payments', partition: 1, offset: 4n }));
    const offsets = await readCommittedOffsets(kafka, GROUP);
    const report = await checkCompleteness(kafka, offsets);
    expect(report.partitions.map((p) => `${p.topic}-${p.partition}:${p.status}`)).toEqual([
      'orders-0:OK',
      'orders-1:MISSING',
      'orders-2:MISSING',
      'payments-0:MISSING',
      'payments-1:OK',
    ]);
    expect(report.totalLag).toBe('5');
  });
});
