/**
 * The server-side assignors of a KIP-848 consumer group (`group.consumer.assignors`: `uniform`,
 * the default, and `range`). Pure functions over member subscriptions and topic sizes; the
 * group calls one whenever its epoch moves past its target assignment's.
 *
 * They follow the contracts of Kafka's UniformAssignor and RangeAssignor (balanced within one
 * partition per member, sticky to the previous target for `uniform`; contiguous ranges of
 * co-partitioned topics for `range`), not their exact tie-breaking: which member of two equal
 * ones gets the extra partition may differ from a real broker's choice.
 */

/** topic id -> partitions, the shape of every assignment in the consumer protocol */
export type TopicAssignment = Map<string, Set<number>>;

export interface AssignorMember {
  memberId: string;
  /** the topic ids the member subscribes to (names and resolved regular expressions) */
  topicIds: ReadonlySet<string>;
}

export interface AssignorInput {
  members: readonly AssignorMember[];
  /** topic id -> partition count, for every subscribed topic that exists */
  topics: ReadonlyMap<string, number>;
  /** the previous target assignment, which `uniform` keeps where balance allows */
  previous: ReadonlyMap<string, TopicAssignment>;
}

export type AssignorName = 'uniform' | 'range';
export const CONSUMER_GROUP_ASSIGNORS: readonly AssignorName[] = ['uniform', 'range'];

export function assignPartitions(name: AssignorName, input: AssignorInput): Map<string, TopicAssignment> {
  return name === 'range' ? rangeAssign(input) : uniformAssign(input);
}

function emptyTargets(members: readonly AssignorMember[]): Map<string, TopicAssignment> {
  return new Map(members.map((m) => [m.memberId, new Map<string, Set<number>>()]));
}

function add(target: TopicAssignment, topicId: string, partition: number): void {
  let partitions = target.get(topicId);
  if (partitions === undefined) target.set(topicId, (partitions = new Set()));
  partitions.add(partition);
}

function count(target: TopicAssignment): number {
  let n = 0;
  for (const partitions of target.values()) n += partitions.size;
  return n;
}

const byMemberId = (a: AssignorMember, b: AssignorMember): number => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

/**
 * Every partition of a topic goes to one of its subscribers; each member ends with at most one
 * partition more than any other subscriber of the same topics. A partition stays with its
 * previous owner while that owner is under its share.
 */
export function uniformAssign(input: AssignorInput): Map<string, TopicAssignment> {
  const targets = emptyTargets(input.members);
  const members = [...input.members].sort(byMemberId);
  const topicIds = [...input.topics.keys()].sort();
  for (const topicId of topicIds) {
    const subscribers = members.filter((m) => m.topicIds.has(topicId));
    if (subscribers.length === 0) continue;
    const partitions = input.topics.get(topicId)!;
    const base = Math.floor(partitions / subscribers.length);
    let extra = partitions % subscribers.length;
    const quota = new Map(subscribers.map((m) => [m.memberId, base]));
    const unassigned: number[] = [];
    // Sticky pass: previous owners keep partitions up to their share (one extra while extras last).
    const kept = new Map(subscribers.map((m) => [m.memberId, 0]));
    for (let p = 0; p < partitions; p++) {
      const owner = subscribers.find((m) => input.previous.get(m.memberId)?.get(topicId)?.has(p) === true);
      if (owner !== undefined) {
        const have = kept.get(owner.memberId)!;
        const limit = quota.get(owner.memberId)!;
        if (have < limit || (have === limit && extra > 0)) {
          if (have === limit) {
            extra -= 1;
            quota.set(owner.memberId, limit + 1);
          }
          kept.set(owner.memberId, have + 1);
          add(targets.get(owner.memberId)!, topicId, p);
          continue;
        }
      }
      unassigned.push(p);
    }
    // The rest go to whoever has the fewest partitions overall, so several topics balance together.
    for (const p of unassigned) {
      const open = subscribers.filter((m) => kept.get(m.memberId)! < quota.get(m.memberId)! || extra > 0);
      const chosen = open.reduce((best, m) => {
        const mine = kept.get(m.memberId)! - quota.get(m.memberId)!;
        const theirs = kept.get(best.memberId)! - quota.get(best.memberId)!;
        if (mine !== theirs) return mine < theirs ? m : best;
        return count(targets.get(m.memberId)!) < count(targets.get(best.memberId)!) ? m : best;
      });
      if (kept.get(chosen.memberId)! >= quota.get(chosen.memberId)!) {
        extra -= 1;
        quota.set(chosen.memberId, quota.get(chosen.memberId)! + 1);
      }
      kept.set(chosen.memberId, kept.get(chosen.memberId)! + 1);
      add(targets.get(chosen.memberId)!, topicId, p);
    }
  }
  return targets;
}

/**
 * Per topic, its subscribers (in member id order) take contiguous ranges, the first ones one
 * partition more when the count does not divide: co-partitioned topics land together.
 */
export function rangeAssign(input: AssignorInput): Map<string, TopicAssignment> {
  const targets = emptyTargets(input.members);
  const members = [...input.members].sort(byMemberId);
  for (const topicId of [...input.topics.keys()].sort()) {
    const subscribers = members.filter((m) => m.topicIds.has(topicId));
    if (subscribers.length === 0) continue;
    const partitions = input.topics.get(topicId)!;
    const base = Math.floor(partitions / subscribers.length);
    const extra = partitions % subscribers.length;
    let next = 0;
    subscribers.forEach((m, i) => {
      const size = base + (i < extra ? 1 : 0);
      for (let k = 0; k < size; k++) add(targets.get(m.memberId)!, topicId, next++);
    });
  }
  return targets;
}
