/**
 * group -> topic -> partition -> winning commit. Nested maps keep lookups free of per-record
 * string concatenation, and the table's size is bounded by the distinct keys, never the records.
 */
import type { TopicOffsets, WinningOffset } from './types.ts';

type PartitionMap = Map<number, WinningOffset>;
type TopicMap = Map<string, PartitionMap>;

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class OffsetTable {
  private readonly groups = new Map<string, TopicMap>();

  /** Live entries; counted on demand, the hot path does not keep a tally. */
  get size(): number {
    let size = 0;
    for (const topics of this.groups.values()) for (const partitions of topics.values()) size += partitions.size;
    return size;
  }

  get(group: string, topic: string, partition: number): WinningOffset | undefined {
    return this.groups.get(group)?.get(topic)?.get(partition);
  }

  set(group: string, topic: string, partition: number, entry: WinningOffset): void {
    this.partitionsOf(group, topic).set(partition, entry);
  }

  /**
   * Stores the commit unless the held one has the same or a higher log offset; true when stored.
   * The table takes ownership of `candidate` when the key is new; a held entry is updated in
   * place, so each applied record costs one lookup chain and no extra object.
   */
  putIfNewer(group: string, topic: string, partition: number, candidate: WinningOffset): boolean {
    const partitions = this.partitionsOf(group, topic);
    const held = partitions.get(partition);
    if (held === undefined) {
      partitions.set(partition, candidate);
      return true;
    }
    if (held.logOffset >= candidate.logOffset) return false;
    held.offset = candidate.offset;
    held.leaderEpoch = candidate.leaderEpoch;
    held.metadata = candidate.metadata;
    held.commitTimestamp = candidate.commitTimestamp;
    held.logOffset = candidate.logOffset;
    held.logTimestamp = candidate.logTimestamp;
    return true;
  }

  private partitionsOf(group: string, topic: string): PartitionMap {
    let topics = this.groups.get(group);
    if (topics === undefined) {
      topics = new Map();
      this.groups.set(group, topics);
    }
    let partitions = topics.get(topic);
    if (partitions === undefined) {
      partitions = new Map();
      topics.set(topic, partitions);
    }
    return partitions;
  }

  /** Removes the entry; empty topics and groups go too, so a fully tombstoned group disappears. */
  delete(group: string, topic: string, partition: number): boolean {
    const topics = this.groups.get(group);
    const partitions = topics?.get(topic);
    if (topics === undefined || partitions === undefined || !partitions.delete(partition)) return false;
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.groups.delete(group);
    return true;
  }

  forEach(visit: (group: string, topic: string, partition: number, entry: WinningOffset) => void): void {
    for (const [group, topics] of this.groups) {
      for (const [topic, partitions] of topics) {
        for (const [partition, entry] of partitions) visit(group, topic, partition, entry);
      }
    }
  }

  /** Groups that hold at least one live offset, sorted. */
  groupNames(): string[] {
    return [...this.groups.keys()].sort(byText);
  }

  /** A group's offsets, topics sorted by name and partitions by number. */
  offsetsOf(group: string): TopicOffsets[] {
    const topics = this.groups.get(group);
    if (topics === undefined) return [];
    return [...topics.keys()].sort(byText).map((topic) => {
      const partitions = topics.get(topic)!;
      return {
        topic,
        partitions: [...partitions.keys()]
          .sort((a, b) => a - b)
          .map((partition) => ({ partition, ...partitions.get(partition)! })),
      };
    });
  }
}
