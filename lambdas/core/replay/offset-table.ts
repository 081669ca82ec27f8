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
  private entries = 0;

  get size(): number {
    return this.entries;
  }

  get(group: string, topic: string, partition: number): WinningOffset | undefined {
    return this.groups.get(group)?.get(topic)?.get(partition);
  }

  set(group: string, topic: string, partition: number, entry: WinningOffset): void {
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
    if (!partitions.has(partition)) this.entries++;
    partitions.set(partition, entry);
  }

  /** Removes the entry; empty topics and groups go too, so a fully tombstoned group disappears. */
  delete(group: string, topic: string, partition: number): boolean {
    const topics = this.groups.get(group);
    const partitions = topics?.get(topic);
    if (topics === undefined || partitions === undefined || !partitions.delete(partition)) return false;
    this.entries--;
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
