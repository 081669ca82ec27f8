import { topicPartitionKey, type GroupMetadataRecordValue, type LoggedBatch } from './coordinator-records.ts';
import { OffsetStore } from './offset-store.ts';

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
  records: number;
  skipped: number;
  /** The newest applied offset-commit record of every partition still holding an offset, in log order. */
  liveCommits: ReplayedOffsetCommit[];
  /** The newest of those: the record a fault quotes when no group is named. */
  lastOffsetCommit: ReplayedOffsetCommit | null;
}

/**
 * Rebuilds a shard from its partition, with the rules Kafka's loader applies: records of
 * non-transactional batches apply in log order (a null value deletes the key); offsets in
 * transactional batches wait per producer id until that producer's control marker, where
 * COMMIT applies them and ABORT drops them; markers never seen leave them pending (an open
 * transaction); record types the classic coordinator does not own are skipped.
 */
export function replayShard(batches: Iterable<LoggedBatch>): ReplayResult {
  const offsets = new OffsetStore();
  const groups = new Map<string, GroupMetadataRecordValue>();
  let records = 0;
  let skipped = 0;
  const live = new Map<string, ReplayedOffsetCommit>();
  const pendingLive = new Map<bigint, Map<string, ReplayedOffsetCommit>>();
  for (const batch of batches) {
    if (batch.isControl) {
      offsets.completeTransaction(batch.producerId, batch.marker === 'COMMIT');
      const decided = pendingLive.get(batch.producerId);
      pendingLive.delete(batch.producerId);
      if (batch.marker === 'COMMIT') {
        for (const [key, commit] of decided ?? []) {
          const current = live.get(key);
          if (current !== undefined && current.logOffset > commit.logOffset) continue;
          live.delete(key);
          live.set(key, commit);
        }
      }
      continue;
    }
    for (const { offset: logOffset, record } of batch.records) {
      records += 1;
      if (record.kind === 'other') {
        skipped += 1;
        continue;
      }
      if (record.kind === 'group') {
        if (record.value === null) groups.delete(record.group);
        else groups.set(record.group, record.value);
        continue;
      }
      const { group, topic, partition, value } = record;
      const key = `${group}\u0000${topicPartitionKey(topic, partition)}`;
      if (value === null) {
        offsets.remove(group, topic, partition);
        live.delete(key);
        continue;
      }
      const stored = { ...value, topic, partition, recordOffset: logOffset };
      if (batch.isTransactional) offsets.addPending(batch.producerId, group, stored);
      else offsets.commit(group, stored);
      let target = live;
      if (batch.isTransactional) {
        target = pendingLive.get(batch.producerId) ?? new Map<string, ReplayedOffsetCommit>();
        pendingLive.set(batch.producerId, target);
      }
      target.delete(key);
      target.set(key, {
        logOffset,
        group,
        topic,
        partition,
        producerId: batch.producerId,
        producerEpoch: batch.producerEpoch,
        offset: value.offset,
        leaderEpoch: value.leaderEpoch,
        metadata: value.metadata,
        commitTimestamp: value.commitTimestamp,
      });
    }
  }
  const liveCommits = [...live.values()];
  return { offsets, groups, records, skipped, liveCommits, lastOffsetCommit: liveCommits.at(-1) ?? null };
}
