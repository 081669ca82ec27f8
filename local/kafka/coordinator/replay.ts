import type { GroupMetadataRecordValue, LoggedBatch } from './coordinator-records.ts';
import type { ConsumerGroupRecord } from './consumer-group-records.ts';
import { OffsetStore, type StoredOffset } from './offset-store.ts';

/** The last offset commit seen during replay: the fault injector quotes it in the broker log. */
export interface ReplayedOffsetCommit {
  logOffset: bigint;
  group: string;
  topic: string;
  partition: number;
  producerId: bigint;
  producerEpoch: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
}

export interface ReplayResult {
  offsets: OffsetStore;
  /** The latest GroupMetadata value of every group not deleted by a tombstone. */
  groups: Map<string, GroupMetadataRecordValue>;
  /** every GroupMetadata value read, in log order (3.x's loader logs each one's members) */
  groupRecords: Array<{ group: string; value: GroupMetadataRecordValue }>;
  records: number;
  skipped: number;
}

/** Where a replayed record sits in the log (what Kafka's loader names when replaying it fails). */
export interface ReplayPosition {
  logOffset: bigint;
  producerId: bigint;
  producerEpoch: number;
}

/** Applies a KIP-848 consumer group's record; may throw, which stops the load there. */
export type ConsumerRecordReplayer = (record: ConsumerGroupRecord, position: ReplayPosition) => void;

/**
 * Rebuilds a shard from its partition, with the rules Kafka's loader applies: records of
 * non-transactional batches apply in log order (a null value deletes the key); offsets in
 * transactional batches wait per producer id until that producer's control marker, where
 * COMMIT applies them and ABORT drops them; markers never seen leave them pending (an open
 * transaction). KIP-848 consumer group records go to `consumerRecords` (the 4.x coordinator's
 * replay); without it (3.x's classic loader) they are skipped, as are share and streams records.
 */
export function replayShard(batches: Iterable<LoggedBatch>, consumerRecords?: ConsumerRecordReplayer): ReplayResult {
  const offsets = new OffsetStore();
  const groups = new Map<string, GroupMetadataRecordValue>();
  const groupRecords: Array<{ group: string; value: GroupMetadataRecordValue }> = [];
  let records = 0;
  let skipped = 0;
  for (const batch of batches) {
    if (batch.isControl) {
      offsets.completeTransaction(batch.producerId, batch.marker === 'COMMIT');
      continue;
    }
    for (const { offset: logOffset, record } of batch.records) {
      records += 1;
      if (record.kind === 'other' || (record.kind === 'consumer' && consumerRecords === undefined)) {
        skipped += 1;
        continue;
      }
      if (record.kind === 'consumer') {
        consumerRecords!(record.record, { logOffset, producerId: batch.producerId, producerEpoch: batch.producerEpoch });
        continue;
      }
      if (record.kind === 'group') {
        if (record.value === null) groups.delete(record.group);
        else {
          groups.set(record.group, record.value);
          groupRecords.push({ group: record.group, value: record.value });
        }
        continue;
      }
      const { group, topic, partition, value } = record;
      if (value === null) {
        offsets.remove(group, topic, partition);
        continue;
      }
      const stored: StoredOffset = {
        topic,
        partition,
        offset: value.offset,
        leaderEpoch: value.leaderEpoch,
        metadata: value.metadata,
        commitTimestamp: value.commitTimestamp,
        expireTimestamp: value.expireTimestamp,
        recordOffset: logOffset,
        producerId: batch.producerId,
        producerEpoch: batch.producerEpoch,
      };
      if (batch.isTransactional) offsets.addPending(batch.producerId, group, stored);
      else offsets.commit(group, stored);
    }
  }
  return { offsets, groups, groupRecords, records, skipped };
}

/** The record behind every offset the store holds, oldest first (what a failed load can quote). */
export function liveCommits(offsets: OffsetStore): ReplayedOffsetCommit[] {
  return offsets
    .groups()
    .flatMap((group) =>
      offsets.list(group).map((o) => ({
        logOffset: o.recordOffset,
        group,
        topic: o.topic,
        partition: o.partition,
        producerId: o.producerId,
        producerEpoch: o.producerEpoch,
        offset: o.offset,
        leaderEpoch: o.leaderEpoch,
        metadata: o.metadata,
        commitTimestamp: o.commitTimestamp,
      })),
    )
    .sort((a, b) => (a.logOffset < b.logOffset ? -1 : a.logOffset > b.logOffset ? 1 : 0));
}
