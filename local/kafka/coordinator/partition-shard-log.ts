import { decodeRecordBatches, encodeControlBatch, encodeRecordBatch } from '../../../lambdas/core/record-batch/index.ts';
import type { PartitionLog } from '../log/partition-log.ts';
import type { OffsetsTopicCompression } from '../offsets-compression.ts';
import type {
  ControlMarker,
  CoordinatorRecord,
  LoggedBatch,
  ProducerIdentity,
  ShardLog,
} from './coordinator-records.ts';
import { decodeCoordinatorRecord, encodeCoordinatorRecord, type OffsetCommitValueVersion } from './record-codec.ts';

/**
 * A shard's records as real RecordBatch v2 frames in the cluster's `__consumer_offsets`
 * partition log, so Fetch, ListOffsets, kcat and the recovery scanner see what Kafka would write.
 */
export class PartitionShardLog implements ShardLog {
  constructor(
    private readonly log: PartitionLog,
    private readonly offsetCommitValueVersion: OffsetCommitValueVersion,
    private readonly leaderEpoch: () => number,
    private readonly compression: OffsetsTopicCompression = { codec: 'none' },
  ) {}

  appendRecords(records: CoordinatorRecord[], timestamp: bigint, producer?: ProducerIdentity): bigint {
    const frame = encodeRecordBatch({
      baseOffset: 0n,
      records: records.map((record) => ({ ...encodeCoordinatorRecord(record, this.offsetCommitValueVersion), timestamp })),
      producerId: producer?.producerId ?? -1n,
      producerEpoch: producer?.producerEpoch ?? -1,
      baseSequence: -1,
      isTransactional: producer !== undefined,
      partitionLeaderEpoch: this.leaderEpoch(),
      compression: this.compression.codec,
      ...(this.compression.compress ? { compress: this.compression.compress } : {}),
    });
    return BigInt(this.log.append(frame, { leaderEpoch: this.leaderEpoch(), now: Number(timestamp) }).baseOffset);
  }

  appendControl(marker: ControlMarker, producer: ProducerIdentity, coordinatorEpoch: number, timestamp: bigint): bigint {
    return appendControlMarker(this.log, marker, producer, coordinatorEpoch, timestamp, this.leaderEpoch());
  }

  *readBatches(): Iterable<LoggedBatch> {
    for (const stored of this.log.batchesFrom()) {
      const { batches } = decodeRecordBatches(stored.frame);
      for (const batch of batches) {
        if (batch.kind !== 'records') continue;
        if (batch.isControl) {
          const control = batch.controlMarker();
          if (control === null || control.type === 'unknown') continue;
          yield {
            isControl: true,
            baseOffset: batch.baseOffset,
            producerId: batch.producerId,
            producerEpoch: batch.producerEpoch,
            marker: control.type,
            coordinatorEpoch: control.coordinatorEpoch ?? -1,
          };
          continue;
        }
        const records: LoggedBatch & { isControl: false } = {
          isControl: false,
          baseOffset: batch.baseOffset,
          producerId: batch.producerId,
          producerEpoch: batch.producerEpoch,
          isTransactional: batch.isTransactional,
          records: [],
        };
        batch.forEachRecord((r) => {
          records.records.push({ offset: r.offset, timestamp: r.timestamp, record: decodeCoordinatorRecord(r.key, r.value) });
        });
        yield records;
      }
    }
  }
}

/** Writes one COMMIT/ABORT marker batch to any partition (EndTxn does this for every partition of a transaction). */
export function appendControlMarker(
  log: PartitionLog,
  marker: ControlMarker,
  producer: ProducerIdentity,
  coordinatorEpoch: number,
  timestamp: bigint,
  leaderEpoch: number,
): bigint {
  const frame = encodeControlBatch({
    baseOffset: 0n,
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    type: marker,
    coordinatorEpoch,
    timestamp,
    partitionLeaderEpoch: leaderEpoch,
  });
  return BigInt(log.append(frame, { leaderEpoch, now: Number(timestamp) }).baseOffset);
}
