import { describe, expect, it } from 'vitest';
import { RecoveryError, kafkaError } from '../../../../lambdas/core/errors.ts';
import type { GroupOffsetsResult, RecoveredOffset, ScanStats } from '../../../../lambdas/core/model.ts';
import { checkCompleteness, readCommittedOffsets, scanShard, shardGroupOffsets } from '../../../../lambdas/core/operations/index.ts';
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
    expect(report.notes?.join('\n')).toMatch(/no group metadata in the scanned log/);
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

describe('checkCompleteness when the cluster is in trouble', () => {
  it('reports a partition whose log bounds cannot be read as UNCHECKED and returns everything else', async () => {
    const kafka = cluster();
    const leaderless = Object.create(kafka) as InMemoryKafka;
    // A replication-factor-1 topic whose only replica is down: ListOffsets fails for that partition.
    leaderless.listOffsets = async (topic, partitions, spec) => {
      if (topic === 'orders' && partitions.includes(1)) throw kafkaError('LEADER_NOT_AVAILABLE', 5, `ListOffsets orders-1: There is no leader for this topic-partition`);
      return kafka.listOffsets(topic, partitions, spec);
    };
    const report = await checkCompleteness(
      leaderless,
      result({ orders: { '0': recovered('90'), '1': recovered('60'), '2': recovered('10') }, payments: { '0': recovered('7'), '1': recovered('8') } }, ['orders', 'payments']),
    );
    expect(report.complete).toBe(false);
    expect(report.partitions.map((p) => [p.topic, p.partition, p.status, p.offset, p.lag])).toEqual([
      ['orders', 0, 'OK', '90', '10'],
      ['orders', 1, 'UNCHECKED', '60', null],
      ['orders', 2, 'OK', '10', '0'],
      ['payments', 0, 'OK', '7', '0'],
      ['payments', 1, 'OK', '8', '1'],
    ]);
    expect(report.partitions[1]).toMatchObject({ logStartOffset: null, logEndOffset: null, error: expect.stringMatching(/LEADER_NOT_AVAILABLE/) });
    expect(report.issues).toEqual([
      expect.objectContaining({ kind: 'UNCHECKED_PARTITION', topic: 'orders', partition: 1, offset: '60', message: expect.stringMatching(/orders-1: the recovered offset 60 is not validated.*LEADER_NOT_AVAILABLE/) }),
    ]);
    expect(report.totalLag).toBe('11');
  });

  it('returns the recovered offsets as UNCHECKED when no broker answers ListOffsets at all', async () => {
    const kafka = cluster();
    const down = Object.create(kafka) as InMemoryKafka;
    down.listOffsets = async () => {
      throw new RecoveryError('KAFKA_UNAVAILABLE', 'connection refused', { retryable: true });
    };
    const report = await checkCompleteness(down, result({ orders: { '0': recovered('90') } }, ['orders']));
    expect(report.complete).toBe(false);
    expect(report.partitions.map((p) => `${p.partition}:${p.status}:${p.offset}`)).toEqual(['0:UNCHECKED:90', '1:UNCHECKED:null', '2:UNCHECKED:null']);
    expect(report.issues.map((i) => i.kind)).toEqual(['UNCHECKED_PARTITION', 'UNCHECKED_PARTITION', 'UNCHECKED_PARTITION']);
  });

  it('never calls an offset OK when the log start moved past the scan before it read a newer commit (UNCERTAIN)', async () => {
    const kafka = cluster();
    const partition = partitionForGroup(GROUP, 5);
    const log = kafka.offsetsLog(partition);
    log.record(groupMetadata(GROUP, { members: [['orders']] }));
    log.record(offsetCommit({ group: GROUP, topic: 'orders', partition: 0, offset: 72n })); // read, then superseded
    log.record(offsetCommit({ group: GROUP, topic: 'orders', partition: 2, offset: 3n })); // read, then re-committed after the gap
    for (let i = 0; i < 20; i++) log.record(offsetCommit({ group: 'other', topic: 'orders', partition: 0, offset: BigInt(i) }));
    log.record(offsetCommit({ group: GROUP, topic: 'orders', partition: 0, offset: 100n })); // deleted before the scan gets there
    for (let i = 0; i < 20; i++) log.record(offsetCommit({ group: 'other', topic: 'orders', partition: 1, offset: BigInt(i) }));
    const deletedUpTo = kafka.log('__consumer_offsets', partition).logEnd;
    log.record(offsetCommit({ group: GROUP, topic: 'orders', partition: 2, offset: 9n }));
    kafka.faults.beforeFetch = (_request, index) => {
      if (index === 1) kafka.log("__consumer_offsets", partition).deleteBefore(deletedUpTo);
    };
    const offsets = await readCommittedOffsets(kafka, GROUP, {}, { maxBytesPerFetch: 600 });
    expect(offsets.scan.complete).toBe(false);
    expect(offsets.scan.unreadRanges).toHaveLength(1);
    const report = await checkCompleteness(kafka, offsets);
    expect(report.complete).toBe(false);
    expect(report.partitions.map((p) => `${p.partition}:${p.status}:${p.offset}`)).toEqual(['0:UNCERTAIN:72', '1:MISSING:null', '2:OK:9']);
    expect(report.issues.map((i) => i.kind)).toEqual(['LOG_START_MOVED', 'UNCERTAIN_OFFSET', 'MISSING_PARTITION']);
    expect(report.issues[0]!.message).toMatch(new RegExp(`moved to ${deletedUpTo} while the scan was at`));
  });
});

describe('readCommittedOffsets with a window that holds no member metadata', () => {
  const HOUR = 3_600_000;
  const start = 1_700_000_000_000n;

  function windowedCluster(): { kafka: InMemoryKafka; since: number; log: ReturnType<InMemoryKafka['offsetsLog']> } {
    const kafka = cluster();
    const log = kafka.offsetsLog(partitionForGroup(GROUP, 5));
    log.record(groupMetadata(GROUP, { members: [['orders', 'payments']] }), { timestamp: start });
    log.record(offsetCommit({ group: GROUP, topic: 'payments', partition: 0, offset: 5n }), { timestamp: start + 1000n });
    log.record(offsetCommit({ group: GROUP, topic: 'payments', partition: 1, offset: 6n }), { timestamp: start + 2000n });
    const since = Number(start) + 2 * HOUR;
    log.record(offsetCommit({ group: GROUP, topic: 'orders', partition: 0, offset: 90n }), { timestamp: BigInt(since) + 1000n });
    return { kafka, since, log };
  }

  it('looks back for the last group metadata, so topics committed only before the window show up as missing', async () => {
    const { kafka, since } = windowedCluster();
    const offsets = await readCommittedOffsets(kafka, GROUP, { since });
    expect(Object.keys(offsets.offsets)).toEqual(['orders']);
    expect(offsets.subscription).toMatchObject({ source: 'before-window', topics: ['orders', 'payments'], logOffset: '0', committedBeforeWindow: ['payments'] });
    const report = await checkCompleteness(kafka, offsets);
    expect(report.complete).toBe(false);
    expect(report.partitions.filter((p) => p.topic === 'payments').map((p) => p.status)).toEqual(['MISSING', 'MISSING']);
    expect(report.issues.find((i) => i.topic === 'payments')!.message).toMatch(/committed to payments before the window: widen the window/);
    expect(report.notes?.join('\n')).toMatch(/subscription comes from the group metadata at __consumer_offsets-\d+ offset 0/);
  });

  it('says the subscription is unknown when the log before the window cannot be read, and is not complete', async () => {
    const { kafka, since } = windowedCluster();
    const windowStart = (await kafka.listOffsets('__consumer_offsets', [partitionForGroup(GROUP, 5)], { kind: 'timestamp', timestamp: BigInt(since) }))[0]!.offset;
    kafka.faults.beforeFetch = (request) => {
      if (request.offset < windowStart) throw kafkaError('TOPIC_AUTHORIZATION_FAILED', 29, 'not authorized to read before the window');
    };
    const offsets = await readCommittedOffsets(kafka, GROUP, { since });
    expect(offsets.offsets.orders?.['0']?.offset).toBe('90');
    expect(offsets.subscription).toMatchObject({ source: 'unknown', topics: [], note: expect.stringMatching(/not authorized to read before the window/) });
    const report = await checkCompleteness(kafka, offsets);
    expect(report.complete).toBe(false);
    expect(report.issues.map((i) => i.kind)).toContain('SUBSCRIPTION_UNKNOWN');
  });

  it('when the window ends with the group Empty, takes the subscription from its last metadata with members', async () => {
    const { kafka, since, log } = windowedCluster();
    log.record(groupMetadata(GROUP, { members: [['orders']] }), { timestamp: BigInt(since) + 2000n });
    log.record(groupMetadata(GROUP, { members: [] }), { timestamp: BigInt(since) + 3000n }); // every member left
    const offsets = await readCommittedOffsets(kafka, GROUP, { since });
    expect(offsets.groupMetadata).toMatchObject({ state: 'Empty', members: 0 });
    expect(offsets.subscription).toMatchObject({ source: 'window', topics: ['orders'], committedBeforeWindow: ['payments'] });
    expect(offsets.subscription?.note).toMatch(/in the window, before the group became Empty/);
  });

  it('reads the log before the window once for every group of a shard scan that needs it', async () => {
    const kafka = cluster();
    const partition = partitionForGroup(GROUP, 5);
    const log = kafka.offsetsLog(partition);
    const others = Array.from({ length: 400 }, (_, i) => `billing-${i}`).filter((g) => partitionForGroup(g, 5) === partition).slice(0, 3);
    const since = Number(start) + 2 * HOUR;
    for (const [i, group] of [GROUP, ...others].entries()) {
      log.record(groupMetadata(group, { members: [['orders', 'payments']] }), { timestamp: start });
      log.record(offsetCommit({ group, topic: 'payments', partition: 1, offset: 10n + BigInt(i) }), { timestamp: start + 1000n });
    }
    for (const [i, group] of [GROUP, ...others].entries()) {
      log.record(offsetCommit({ group, topic: 'orders', partition: 2, offset: 3n }), { timestamp: BigInt(since) + 1000n + BigInt(i) });
    }
    const windowStart = (await kafka.listOffsets('__consumer_offsets', [partition], { kind: 'timestamp', timestamp: BigInt(since) }))[0]!.offset;
    let fetchesBeforeWindow = 0;
    kafka.faults.beforeFetch = (request) => {
      if (request.offset < windowStart) fetchesBeforeWindow++;
    };
    const alone = await readCommittedOffsets(kafka, GROUP, { since });
    const oneGroupReads = fetchesBeforeWindow;
    expect(oneGroupReads).toBeGreaterThan(0);

    fetchesBeforeWindow = 0;
    const scanned = await scanShard(kafka, { partition, window: { since } });
    if (scanned.status !== 'done') throw new Error('the scan should finish');
    const groups = [GROUP, ...others];
    const results = await Promise.all(groups.map((group) => shardGroupOffsets(kafka, scanned.shard, group)));
    expect(fetchesBeforeWindow).toBe(oneGroupReads);
    expect(results[0]!.subscription).toEqual(alone.subscription);
    for (const result of results) {
      expect(result.subscription).toMatchObject({ source: 'before-window', topics: ['orders', 'payments'], committedBeforeWindow: ['payments'] });
    }
    // Each answer is the group's own: what a scan of that group alone finds.
    for (const [i, group] of others.entries()) {
      expect((await readCommittedOffsets(kafka, group, { since })).subscription).toEqual(results[i + 1]!.subscription);
    }
  });

  it('takes the subscription from the window when it holds member metadata, without reading before it', async () => {
    const { kafka, since, log } = windowedCluster();
    log.record(groupMetadata(GROUP, { members: [['orders']] }), { timestamp: BigInt(since) + 2000n });
    kafka.calls.length = 0;
    const offsets = await readCommittedOffsets(kafka, GROUP, { since });
    expect(offsets.subscription).toMatchObject({ source: 'window', topics: ['orders'], committedBeforeWindow: [] });
    expect(kafka.calls.filter((c) => c === 'fetch')).toHaveLength(1);
  });
});
