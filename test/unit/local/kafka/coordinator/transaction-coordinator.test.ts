import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { partitionForGroup } from '../../../../../lambdas/core/hash.ts';
import { decodeRecordBatches } from '../../../../../lambdas/core/record-batch/index.ts';
import { BrokerLogSink } from '../../../../../local/kafka/broker-log.ts';
import { Cluster, CONSUMER_OFFSETS, TRANSACTION_STATE } from '../../../../../local/kafka/cluster/cluster.ts';
import { installCoordinator } from '../../../../../local/kafka/coordinator/index.ts';
import { ErrorCode } from '../../../../../local/kafka/protocol/error-codes.ts';
import { ApiRegistry } from '../../../../../local/kafka/server/registry.ts';

describe('transaction coordinator', () => {
  let cluster: Cluster;
  let plugin: ReturnType<typeof installCoordinator>;
  const txnId = 'payments-tx';

  beforeEach(() => {
    const logs = new BrokerLogSink();
    cluster = new Cluster({ brokerIds: [1, 2, 3], logs });
    [1, 2, 3].forEach((id) => cluster.brokerStarted(id, 9000 + id));
    cluster.createTopic(CONSUMER_OFFSETS, { partitions: 5, replicationFactor: 3 });
    cluster.createTopic(TRANSACTION_STATE, { partitions: 3, replicationFactor: 3 });
    cluster.createTopic('orders', { partitions: 2, replicationFactor: 3 });
    plugin = installCoordinator(
      { cluster, registry: new ApiRegistry(), logs, offsetsPartitions: 5, transactionPartitions: 3, offsetCommitValueVersion: 3 },
      { retentionCheckIntervalMs: 0 },
    );
  });
  afterEach(() => plugin.stop?.());

  const coordinator = (): number => plugin.transactions.coordinatorBroker(txnId);

  function markers(topic: string, partition: number): string[] {
    const out: string[] = [];
    for (const stored of cluster.partition(topic, partition)!.log.batchesFrom()) {
      for (const batch of decodeRecordBatches(stored.frame).batches) {
        if (batch.kind === 'records' && batch.isControl) out.push(`${batch.controlMarker()?.type}:${batch.producerId}`);
      }
    }
    return out;
  }

  it('routes transactional ids to the leader of their __transaction_state partition', () => {
    const leader = cluster.partition(TRANSACTION_STATE, partitionForGroup(txnId, 3))!.leader;
    expect(coordinator()).toBe(leader);
    const elsewhere = [1, 2, 3].find((b) => b !== leader)!;
    expect(plugin.transactions.initProducerId(elsewhere, txnId, 60_000).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });

  it('hands idempotent producers fresh ids and bumps the epoch of a transactional id', () => {
    const a = plugin.transactions.initProducerId(1, null, 0);
    const b = plugin.transactions.initProducerId(2, null, 0);
    expect(a.producerId).not.toBe(b.producerId);
    const first = plugin.transactions.initProducerId(coordinator(), txnId, 60_000);
    const second = plugin.transactions.initProducerId(coordinator(), txnId, 60_000);
    expect(second.producerId).toBe(first.producerId);
    expect(second.producerEpoch).toBe(first.producerEpoch + 1);
    expect(plugin.transactions.initProducerId(coordinator(), txnId, 0).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  it('commits: markers on every partition, the group offsets apply, and the last stable offset moves', () => {
    const broker = coordinator();
    const { producerId, producerEpoch } = plugin.transactions.initProducerId(broker, txnId, 60_000);
    expect(plugin.transactions.addPartitions(broker, txnId, producerId, producerEpoch, [{ topic: 'orders', partition: 1 }])).toEqual([
      { topic: 'orders', partition: 1, errorCode: 0 },
    ]);
    expect(plugin.transactions.addOffsets(broker, txnId, producerId, producerEpoch, 'billing')).toBe(0);
    const groupPartition = partitionForGroup('billing', 5);
    const found = plugin.groups.lookup(plugin.groups.coordinatorBroker('billing'), 'billing');
    if (!found.ok) throw new Error('no shard');
    found.slot.shard.commitTransactionalOffsets('billing', { producerId, producerEpoch }, { memberId: '', generationId: -1, groupInstanceId: null }, [
      { topic: 'orders', partition: 1, offset: 12n, leaderEpoch: -1, metadata: null },
    ]);
    const offsetsLog = cluster.partition(CONSUMER_OFFSETS, groupPartition)!.log;
    expect(offsetsLog.lastStableOffset).toBeLessThan(offsetsLog.logEndOffset);

    expect(plugin.transactions.endTransaction(broker, txnId, producerId, producerEpoch, true)).toBe(0);
    expect(markers('orders', 1)).toEqual([`COMMIT:${producerId}`]);
    expect(markers(CONSUMER_OFFSETS, groupPartition)).toEqual([`COMMIT:${producerId}`]);
    expect(offsetsLog.lastStableOffset).toBe(offsetsLog.logEndOffset);
    expect(found.slot.shard.fetchOffsets('billing', null, true)).toMatchObject([{ offset: 12n, errorCode: 0 }]);
    // A retried EndTxn is harmless; the opposite decision is not.
    expect(plugin.transactions.endTransaction(broker, txnId, producerId, producerEpoch, true)).toBe(0);
    expect(plugin.transactions.endTransaction(broker, txnId, producerId, producerEpoch, false)).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('a new producer incarnation aborts the open transaction and fences the old epoch', () => {
    const broker = coordinator();
    const old = plugin.transactions.initProducerId(broker, txnId, 60_000);
    plugin.transactions.addPartitions(broker, txnId, old.producerId, old.producerEpoch, [{ topic: 'orders', partition: 0 }]);
    const next = plugin.transactions.initProducerId(broker, txnId, 60_000);
    expect(markers('orders', 0)).toEqual([`ABORT:${old.producerId}`]);
    expect(plugin.transactions.endTransaction(broker, txnId, old.producerId, old.producerEpoch, true)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(plugin.transactions.addOffsets(broker, txnId, 999_999n, next.producerEpoch, 'g')).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  it('refuses unknown partitions and does not attempt the others', () => {
    const broker = coordinator();
    const { producerId, producerEpoch } = plugin.transactions.initProducerId(broker, txnId, 60_000);
    expect(
      plugin.transactions.addPartitions(broker, txnId, producerId, producerEpoch, [
        { topic: 'orders', partition: 0 },
        { topic: 'nope', partition: 0 },
      ]),
    ).toEqual([
      { topic: 'orders', partition: 0, errorCode: ErrorCode.OPERATION_NOT_ATTEMPTED },
      { topic: 'nope', partition: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ]);
  });

  it('aborts a transaction that outlives its timeout and fences the late producer', () => {
    vi.useFakeTimers();
    try {
      const broker = coordinator();
      const { producerId, producerEpoch } = plugin.transactions.initProducerId(broker, txnId, 1_000);
      plugin.transactions.addPartitions(broker, txnId, producerId, producerEpoch, [{ topic: 'orders', partition: 1 }]);
      vi.advanceTimersByTime(999);
      expect(markers('orders', 1)).toEqual([]);
      vi.advanceTimersByTime(2);
      expect(markers('orders', 1)).toEqual([`ABORT:${producerId}`]);
      expect(plugin.transactions.endTransaction(broker, txnId, producerId, producerEpoch, true)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    } finally {
      vi.useRealTimers();
    }
  });
});
