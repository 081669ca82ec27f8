import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { decodeRecordBatches } from '../../../../lambdas/core/record-batch/index.ts';
import { CONSUMER_OFFSETS } from '../../../../local/kafka/cluster/cluster.ts';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { committedOffsets } from '../../../support/committed-offsets.ts';
import { dumpOffsetsPartition, offsetsFromDump } from './coordinator-test-helpers.ts';
import { killChildren, runProcess } from './helpers.ts';

const OFFSETS_PARTITIONS = 6;
const GROUP = 'txn-readers';

describe('kafkajs transactions with offsets against the transaction and group coordinators', () => {
  let local: LocalCluster;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 3 });
    kafka = new Kafka({ clientId: 'txn-test', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'source', numPartitions: 2 }, { topic: 'sink', numPartitions: 1 }] });
    producer = kafka.producer({ transactionalId: 'txn-test-producer', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    killChildren();
    await local?.stop();
  });

  const offsetsLog = () => local.cluster.partition(CONSUMER_OFFSETS, partitionForGroup(GROUP, OFFSETS_PARTITIONS))!.log;

  /** Control markers on a partition, as (type, producer id) pairs in log order. */
  function markers(topic: string, partition: number): string[] {
    const out: string[] = [];
    for (const stored of local.cluster.partition(topic, partition)!.log.batchesFrom()) {
      for (const batch of decodeRecordBatches(stored.frame).batches) {
        if (batch.kind === 'records' && batch.isControl) out.push(batch.controlMarker()?.type ?? 'unknown');
      }
    }
    return out;
  }

  const committed = (): Promise<Record<number, string>> => committedOffsets(kafka, GROUP, 'source');

  it('an aborted transaction leaves no offset; a committed one lands, with markers on every partition', async () => {
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'sink', messages: [{ key: 'a', value: 'aborted' }] });
    await aborted.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: 'source', partitions: [{ partition: 0, offset: '5' }] }] });
    // While the transaction is open the offset is pending: not served, and it holds the LSO back.
    expect(offsetsLog().lastStableOffset).toBeLessThan(offsetsLog().logEndOffset);
    await aborted.abort();
    expect(await committed()).toEqual({ 0: '-1', 1: '-1' });
    expect(offsetsLog().lastStableOffset).toBe(offsetsLog().logEndOffset);
    expect(markers(CONSUMER_OFFSETS, partitionForGroup(GROUP, OFFSETS_PARTITIONS))).toEqual(['ABORT']);
    expect(markers('sink', 0)).toEqual(['ABORT']);

    const kept = await producer.transaction();
    await kept.send({ topic: 'sink', messages: [{ key: 'b', value: 'committed' }] });
    await kept.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: 'source', partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '2' }] }] });
    await kept.commit();
    expect(await committed()).toEqual({ 0: '7', 1: '2' });
    expect(markers(CONSUMER_OFFSETS, partitionForGroup(GROUP, OFFSETS_PARTITIONS))).toEqual(['ABORT', 'COMMIT']);
    expect(markers('sink', 0)).toEqual(['ABORT', 'COMMIT']);
    expect(offsetsLog().abortedBetween(0, offsetsLog().logEndOffset)).toHaveLength(1);

    // What reaches __consumer_offsets: read_uncommitted shows the aborted commit too, read_committed only the kept ones.
    const bootstrap = local.bootstrapServers.join(',');
    const partition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
    const raw = await dumpOffsetsPartition(bootstrap, partition, 'read_uncommitted');
    expect(raw.flatMap((r) => (r.decoded.kind === 'offset-commit' && !r.decoded.tombstone ? [`${r.decoded.partition}:${r.decoded.value.offset}`] : []))).toEqual(['0:5', '0:7', '1:2']);
    const stable = await dumpOffsetsPartition(bootstrap, partition, 'read_committed');
    expect(offsetsFromDump(stable, GROUP)).toEqual({ 'source-0': '7', 'source-1': '2' });
    expect(stable).toHaveLength(2);

    const sink = await runProcess('kcat', ['-b', bootstrap, '-C', '-t', 'sink', '-o', 'beginning', '-e', '-X', 'isolation.level=read_committed', '-f', '%s\\n'], { timeoutMs: 20_000 });
    expect(sink.stdout.trim()).toBe('committed');
  });

  it('the offsets survive a coordinator reload (replay applies only the committed transaction)', async () => {
    const partition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
    await local.faults.healCoordinator(partition);
    expect(await committed()).toEqual({ 0: '7', 1: '2' });
  });
});
