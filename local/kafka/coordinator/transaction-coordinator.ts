import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import type { BrokerLogSink } from '../broker-log.ts';
import { CONSUMER_OFFSETS, TRANSACTION_STATE, type Cluster } from '../cluster/cluster.ts';
import { topicPartitionKey } from './coordinator-records.ts';
import type { GroupCoordinator } from './group-coordinator.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { appendControlMarker } from './partition-shard-log.ts';

/**
 * The transaction coordinator: producer ids and epochs, the partitions of each open
 * transaction, and the COMMIT/ABORT markers EndTxn writes to every one of them. State lives in
 * memory (the brief allows it); routing follows the leaders of `__transaction_state`.
 */
export type TransactionState = 'Empty' | 'Ongoing' | 'CompleteCommit' | 'CompleteAbort';

interface TransactionMetadata {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  state: TransactionState;
  partitions: Map<string, { topic: string; partition: number }>;
  cancelTimeout: (() => void) | null;
}

export interface ProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

const MAX_EPOCH = 32767;
const MAX_TRANSACTION_TIMEOUT_MS = 900_000;
const TXN_LOGGER = 'kafka.coordinator.transaction.TransactionCoordinator';

export class TransactionCoordinator {
  private readonly transactions = new Map<string, TransactionMetadata>();

  constructor(
    private readonly cluster: Cluster,
    private readonly groups: GroupCoordinator,
    private readonly logs: BrokerLogSink,
    private readonly transactionPartitions: number,
  ) {}

  /** The broker FindCoordinator names for a transactional id. */
  coordinatorBroker(transactionalId: string): number {
    const topic = this.cluster.topic(TRANSACTION_STATE);
    if (topic === undefined) return -1;
    return topic.partitions[partitionForGroup(transactionalId, topic.partitions.length)]?.leader ?? -1;
  }

  initProducerId(brokerId: number, transactionalId: string | null, timeoutMs: number): ProducerIdResult {
    if (transactionalId === null || transactionalId === '') {
      // Idempotent producers only need a fresh id; any broker hands one out.
      return { errorCode: ErrorCode.NONE, producerId: BigInt(this.cluster.allocateProducerId()), producerEpoch: 0 };
    }
    const routing = this.checkCoordinator(brokerId, transactionalId);
    if (routing !== ErrorCode.NONE) return { errorCode: routing, producerId: -1n, producerEpoch: -1 };
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TRANSACTION_TIMEOUT_MS) {
      return { errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT, producerId: -1n, producerEpoch: -1 };
    }
    let txn = this.transactions.get(transactionalId);
    if (txn === undefined) {
      txn = {
        transactionalId,
        producerId: BigInt(this.cluster.allocateProducerId()),
        producerEpoch: 0,
        timeoutMs,
        state: 'Empty',
        partitions: new Map(),
        cancelTimeout: null,
      };
      this.transactions.set(transactionalId, txn);
    } else {
      // A new incarnation of the producer fences the old one: its open transaction is aborted.
      if (txn.state === 'Ongoing') this.writeMarkers(brokerId, txn, false);
      if (txn.producerEpoch >= MAX_EPOCH - 1) {
        txn.producerId = BigInt(this.cluster.allocateProducerId());
        txn.producerEpoch = 0;
      } else {
        txn.producerEpoch += 1;
      }
      txn.timeoutMs = timeoutMs;
      txn.state = 'Empty';
      txn.partitions.clear();
    }
    this.logs.forBroker(brokerId).info(
      `[TransactionCoordinator id=${brokerId}] Initialized transactionalId ${transactionalId} with producerId ${txn.producerId} and producer epoch ${txn.producerEpoch} on partition ${TRANSACTION_STATE}-${this.txnPartition(transactionalId)}`,
      TXN_LOGGER,
    );
    return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
  }

  /** AddPartitionsToTxn; one error code per partition. */
  addPartitions(
    brokerId: number,
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: { topic: string; partition: number }[],
  ): { topic: string; partition: number; errorCode: number }[] {
    const check = this.checkProducer(brokerId, transactionalId, producerId, producerEpoch);
    if (check !== ErrorCode.NONE) return partitions.map((p) => ({ ...p, errorCode: check }));
    const unknown = partitions.filter((p) => this.cluster.partition(p.topic, p.partition) === undefined);
    if (unknown.length > 0) {
      return partitions.map((p) => ({
        ...p,
        errorCode: unknown.includes(p) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
      }));
    }
    const txn = this.transactions.get(transactionalId)!;
    for (const p of partitions) txn.partitions.set(topicPartitionKey(p.topic, p.partition), p);
    this.markOngoing(brokerId, txn);
    return partitions.map((p) => ({ ...p, errorCode: ErrorCode.NONE }));
  }

  /** AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction. */
  addOffsets(brokerId: number, transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): number {
    const check = this.checkProducer(brokerId, transactionalId, producerId, producerEpoch);
    if (check !== ErrorCode.NONE) return check;
    if (this.cluster.topic(CONSUMER_OFFSETS) === undefined) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const txn = this.transactions.get(transactionalId)!;
    const partition = this.groups.partitionFor(groupId);
    txn.partitions.set(topicPartitionKey(CONSUMER_OFFSETS, partition), { topic: CONSUMER_OFFSETS, partition });
    this.markOngoing(brokerId, txn);
    return ErrorCode.NONE;
  }

  /** EndTxn: markers to every partition of the transaction, then the transaction is complete. */
  endTransaction(brokerId: number, transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): number {
    const check = this.checkProducer(brokerId, transactionalId, producerId, producerEpoch);
    if (check !== ErrorCode.NONE) return check;
    const txn = this.transactions.get(transactionalId)!;
    if (txn.state !== 'Ongoing') {
      // A retried EndTxn after completion succeeds; the opposite decision is a state error.
      if (txn.state === (commit ? 'CompleteCommit' : 'CompleteAbort')) return ErrorCode.NONE;
      if (txn.state === 'Empty') return ErrorCode.NONE;
      return ErrorCode.INVALID_TXN_STATE;
    }
    this.writeMarkers(brokerId, txn, commit);
    return ErrorCode.NONE;
  }

  /** For TxnOffsetCommit: the producer must own the id and epoch it claims. */
  validateProducer(producerId: bigint, producerEpoch: number, transactionalId: string): number {
    const txn = this.transactions.get(transactionalId);
    if (txn === undefined || txn.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (txn.producerEpoch !== producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    return ErrorCode.NONE;
  }

  status(): Array<{ transactionalId: string; producerId: string; producerEpoch: number; state: TransactionState; partitions: string[] }> {
    return [...this.transactions.values()].map((t) => ({
      transactionalId: t.transactionalId,
      producerId: t.producerId.toString(),
      producerEpoch: t.producerEpoch,
      state: t.state,
      partitions: [...t.partitions.values()].map((p) => `${p.topic}-${p.partition}`),
    }));
  }

  stop(): void {
    for (const txn of this.transactions.values()) {
      txn.cancelTimeout?.();
      txn.cancelTimeout = null;
    }
  }

  /**
   * The first partition added starts the transaction's clock: past its timeout the coordinator
   * aborts it and bumps the epoch, so the late producer is fenced, as Kafka does.
   */
  private markOngoing(brokerId: number, txn: TransactionMetadata): void {
    if (txn.state === 'Ongoing') return;
    txn.state = 'Ongoing';
    const epoch = txn.producerEpoch;
    const timer = setTimeout(() => {
      txn.cancelTimeout = null;
      if (txn.state !== 'Ongoing' || txn.producerEpoch !== epoch) return;
      this.logs.forBroker(brokerId).info(
        `[TransactionCoordinator id=${brokerId}] Aborting transaction ${txn.transactionalId} with producerId ${txn.producerId} and epoch ${txn.producerEpoch} since it exceeded its timeout of ${txn.timeoutMs} ms`,
        TXN_LOGGER,
      );
      this.writeMarkers(brokerId, txn, false);
      txn.producerEpoch += 1;
    }, txn.timeoutMs);
    timer.unref();
    txn.cancelTimeout = () => clearTimeout(timer);
  }

  private writeMarkers(brokerId: number, txn: TransactionMetadata, commit: boolean): void {
    txn.cancelTimeout?.();
    txn.cancelTimeout = null;
    const producer = { producerId: txn.producerId, producerEpoch: txn.producerEpoch };
    const coordinatorEpoch = this.cluster.partition(TRANSACTION_STATE, this.txnPartition(txn.transactionalId))?.leaderEpoch ?? 0;
    const now = BigInt(Date.now());
    for (const { topic, partition } of txn.partitions.values()) {
      const state = this.cluster.partition(topic, partition);
      if (state === undefined) continue;
      const slot = topic === CONSUMER_OFFSETS ? this.groups.slot(partition) : undefined;
      if (slot !== undefined && slot.status !== 'FAILED') {
        // The group shard writes the marker itself so its pending offsets apply or vanish with it.
        slot.shard.completeTransaction(producer, commit, coordinatorEpoch);
      } else {
        appendControlMarker(state.log, commit ? 'COMMIT' : 'ABORT', producer, coordinatorEpoch, now, state.leaderEpoch);
      }
    }
    txn.state = commit ? 'CompleteCommit' : 'CompleteAbort';
    txn.partitions.clear();
    this.logs.forBroker(brokerId).info(
      `[TransactionCoordinator id=${brokerId}] Completed ${commit ? 'commit' : 'abort'} of transactionalId ${txn.transactionalId} with producerId ${txn.producerId} and epoch ${txn.producerEpoch}`,
      TXN_LOGGER,
    );
  }

  private checkProducer(brokerId: number, transactionalId: string, producerId: bigint, producerEpoch: number): number {
    const routing = this.checkCoordinator(brokerId, transactionalId);
    if (routing !== ErrorCode.NONE) return routing;
    return this.validateProducer(producerId, producerEpoch, transactionalId);
  }

  private checkCoordinator(brokerId: number, transactionalId: string): number {
    const leader = this.coordinatorBroker(transactionalId);
    if (leader === -1) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return leader === brokerId ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR;
  }

  private txnPartition(transactionalId: string): number {
    return partitionForGroup(transactionalId, this.cluster.topic(TRANSACTION_STATE)?.partitions.length ?? this.transactionPartitions);
  }
}
