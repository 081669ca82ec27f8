import { topicPartitionKey, type OffsetCommitRecordValue } from './coordinator-records.ts';

/** A committed offset plus where its record sits in the log (for transactional ordering and fault reports). */
export interface StoredOffset extends OffsetCommitRecordValue {
  topic: string;
  partition: number;
  recordOffset: bigint;
  /** the writing batch's producer: -1 for plain commits */
  producerId: bigint;
  producerEpoch: number;
}

type PartitionOffsets = Map<string, StoredOffset>;

/**
 * Committed and pending-transactional offsets of every group in one shard. Both the live
 * coordinator and log replay mutate it through the same methods, so a reload lands on exactly
 * the state the previous leader had.
 */
export class OffsetStore {
  private readonly committed = new Map<string, PartitionOffsets>();
  /** producerId -> group -> offsets written inside that producer's open transaction. */
  private readonly pending = new Map<bigint, Map<string, PartitionOffsets>>();

  commit(group: string, offset: StoredOffset): void {
    let offsets = this.committed.get(group);
    if (offsets === undefined) {
      offsets = new Map();
      this.committed.set(group, offsets);
    }
    offsets.set(topicPartitionKey(offset.topic, offset.partition), offset);
  }

  remove(group: string, topic: string, partition: number): boolean {
    const offsets = this.committed.get(group);
    if (offsets === undefined) return false;
    const removed = offsets.delete(topicPartitionKey(topic, partition));
    if (offsets.size === 0) this.committed.delete(group);
    return removed;
  }

  removeGroup(group: string): StoredOffset[] {
    const offsets = this.committed.get(group);
    this.committed.delete(group);
    for (const byGroup of this.pending.values()) byGroup.delete(group);
    return offsets === undefined ? [] : [...offsets.values()];
  }

  get(group: string, topic: string, partition: number): StoredOffset | undefined {
    return this.committed.get(group)?.get(topicPartitionKey(topic, partition));
  }

  /** Committed offsets of a group, sorted by topic then partition. */
  list(group: string): StoredOffset[] {
    const offsets = this.committed.get(group);
    if (offsets === undefined) return [];
    return [...offsets.values()].sort(
      (a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition),
    );
  }

  groups(): string[] {
    return [...this.committed.keys()];
  }

  hasOffsets(group: string): boolean {
    return (this.committed.get(group)?.size ?? 0) > 0;
  }

  addPending(producerId: bigint, group: string, offset: StoredOffset): void {
    let byGroup = this.pending.get(producerId);
    if (byGroup === undefined) {
      byGroup = new Map();
      this.pending.set(producerId, byGroup);
    }
    let offsets = byGroup.get(group);
    if (offsets === undefined) {
      offsets = new Map();
      byGroup.set(group, offsets);
    }
    offsets.set(topicPartitionKey(offset.topic, offset.partition), offset);
  }

  /** True when an open transaction holds an offset for this partition (OffsetFetch requireStable). */
  hasPending(group: string, topic: string, partition: number): boolean {
    const key = topicPartitionKey(topic, partition);
    for (const byGroup of this.pending.values()) {
      if (byGroup.get(group)?.has(key) === true) return true;
    }
    return false;
  }

  hasPendingForGroup(group: string): boolean {
    for (const byGroup of this.pending.values()) if ((byGroup.get(group)?.size ?? 0) > 0) return true;
    return false;
  }

  /**
   * A control marker from this producer: COMMIT applies its pending offsets, ABORT drops them.
   * A committed transactional offset only wins over one already held when its record is later
   * in the log, the rule Kafka's loader uses so that replay order and live order agree.
   */
  completeTransaction(producerId: bigint, commit: boolean): string[] {
    const byGroup = this.pending.get(producerId);
    this.pending.delete(producerId);
    if (byGroup === undefined) return [];
    if (commit) {
      for (const [group, offsets] of byGroup) {
        for (const offset of offsets.values()) {
          const current = this.get(group, offset.topic, offset.partition);
          if (current === undefined || current.recordOffset < offset.recordOffset) this.commit(group, offset);
        }
      }
    }
    return [...byGroup.keys()];
  }

  /**
   * Offsets whose retention ran out at `nowMs` (Kafka's OffsetExpirationConditionImpl): a v1 value
   * carries its own expire timestamp; others expire `retentionMs` after `retentionStart`. An
   * offset with a transactional commit pending for its partition waits.
   */
  expired(group: string, nowMs: bigint, retentionMs: bigint, retentionStart: (commitTimestamp: bigint) => bigint, keep: (topic: string) => boolean = () => false): StoredOffset[] {
    return this.list(group).filter(
      (offset) =>
        !keep(offset.topic) &&
        !this.hasPending(group, offset.topic, offset.partition) &&
        (offset.expireTimestamp >= 0n ? nowMs >= offset.expireTimestamp : nowMs - retentionStart(offset.commitTimestamp) >= retentionMs),
    );
  }
}
