/**
 * What a KIP-848 consumer group's records say about its subscription, the counterpart of a
 * classic group's protocol metadata: ConsumerGroupMemberMetadata (type 5) holds each member's
 * subscribed topic names and regular expression, ConsumerGroupRegularExpression (type 16) the
 * topics the coordinator resolved a regular expression to, ConsumerGroupMetadata (type 3) the
 * group epoch (its tombstone deletes the group). A member that leaves is tombstoned, so the
 * subscription of a group that just became empty is the one of the members that left last.
 *
 * Kept per record key (member id, regular expression, the group) as the last value seen plus
 * where it and the last tombstone sit: a live key has its value after its tombstone. Two such
 * tallies of consecutive log ranges merge exactly (the later value and the later tombstone win),
 * which segment merges and checkpoints rely on.
 */

export const CONSUMER_GROUP_METADATA = 3;
export const CONSUMER_GROUP_MEMBER_METADATA = 5;
export const CONSUMER_GROUP_REGULAR_EXPRESSION = 16;

/** Record types whose values the replay decodes to follow subscriptions. */
export const SUBSCRIPTION_RECORD_TYPES: ReadonlySet<number> = new Set([CONSUMER_GROUP_METADATA, CONSUMER_GROUP_MEMBER_METADATA, CONSUMER_GROUP_REGULAR_EXPRESSION]);

export type ConsumerGroupKeyValue =
  | { kind: 'member'; topics: string[]; regex: string | null; serverAssignor: string | null }
  | { kind: 'regex'; topics: string[] }
  | { kind: 'group'; epoch: number };

export interface ConsumerGroupKeyTally {
  /** The last value written under the key (kept after a tombstone: what the member had). */
  value: ConsumerGroupKeyValue | null;
  valueOffset: bigint; // -1 when no value was seen
  valueTimestamp: bigint;
  tombstoneOffset: bigint; // -1 when no tombstone was seen
}

/** Per record key of one group: `m:<member id>`, `r:<regular expression>`, `g` for the group. */
export type ConsumerGroupTallies = Map<string, ConsumerGroupKeyTally>;

export function tallyKey(value: Pick<ConsumerGroupKeyValue, 'kind'>, name: string): string {
  return value.kind === 'member' ? `m:${name}` : value.kind === 'regex' ? `r:${name}` : 'g';
}

const isLive = (tally: ConsumerGroupKeyTally): boolean => tally.valueOffset > tally.tombstoneOffset;

/** A value (null: a tombstone of `kind`) at `logOffset`, in log order. */
export function recordConsumerGroupEvent(
  tallies: ConsumerGroupTallies,
  key: string,
  value: ConsumerGroupKeyValue | null,
  logOffset: bigint,
  logTimestamp: bigint,
): void {
  let tally = tallies.get(key);
  if (tally === undefined) {
    tally = { value: null, valueOffset: -1n, valueTimestamp: -1n, tombstoneOffset: -1n };
    tallies.set(key, tally);
  }
  if (value === null) {
    if (logOffset > tally.tombstoneOffset) tally.tombstoneOffset = logOffset;
  } else if (logOffset > tally.valueOffset) {
    tally.value = value;
    tally.valueOffset = logOffset;
    tally.valueTimestamp = logTimestamp;
  }
}

/** `later` (a later log range) folded into `into`. */
export function mergeConsumerGroupTallies(into: ConsumerGroupTallies, later: ConsumerGroupTallies): void {
  for (const [key, tally] of later) {
    const held = into.get(key);
    if (held === undefined) {
      into.set(key, { ...tally });
      continue;
    }
    if (tally.valueOffset > held.valueOffset) {
      held.value = tally.value;
      held.valueOffset = tally.valueOffset;
      held.valueTimestamp = tally.valueTimestamp;
    }
    if (tally.tombstoneOffset > held.tombstoneOffset) held.tombstoneOffset = tally.tombstoneOffset;
  }
}

export interface ConsumerGroupSubscription {
  /**
   * `members`: the group has members; `last-members`: it has none, the subscription is the one of
   * the members that left last; `deleted`: the group's ConsumerGroupMetadata was tombstoned after
   * its last value; `none`: no member record at all.
   */
  source: 'members' | 'last-members' | 'deleted' | 'none';
  epoch: number | null;
  liveMembers: number;
  /** How many members the subscription comes from. */
  members: number;
  /** Subscribed topic names plus the topics the group's regular expressions resolved to, sorted. */
  topics: string[];
  regexes: string[];
  /** Regular expressions with no ConsumerGroupRegularExpression value in the replayed log: their topics are unknown. */
  unresolvedRegexes: string[];
  serverAssignor: string | null;
  /** The newest member record the subscription rests on (its value, or for `last-members` the last tombstone). */
  logOffset: bigint | null;
  logTimestamp: bigint | null;
}

export function consumerGroupSubscription(tallies: ConsumerGroupTallies): ConsumerGroupSubscription {
  const group = tallies.get('g');
  const epoch = group?.value?.kind === 'group' ? group.value.epoch : null;
  const members = [...tallies].filter(([key, t]) => key.startsWith('m:') && t.value?.kind === 'member');
  const live = members.filter(([, t]) => isLive(t));
  const base = { epoch, liveMembers: live.length, serverAssignor: null, logOffset: null, logTimestamp: null };
  if (group !== undefined && group.tombstoneOffset > group.valueOffset) {
    return { ...base, source: 'deleted', members: 0, topics: [], regexes: [], unresolvedRegexes: [] };
  }
  let chosen = live;
  let source: ConsumerGroupSubscription['source'] = 'members';
  if (live.length === 0) {
    const lastLeft = members.reduce((max, [, t]) => (t.tombstoneOffset > max ? t.tombstoneOffset : max), -1n);
    if (lastLeft < 0n) return { ...base, source: 'none', members: 0, topics: [], regexes: [], unresolvedRegexes: [] };
    chosen = members.filter(([, t]) => t.tombstoneOffset === lastLeft);
    source = 'last-members';
  }
  const topics = new Set<string>();
  const regexes = new Set<string>();
  const assignors = new Set<string>();
  let logOffset = -1n;
  let logTimestamp = -1n;
  for (const [, t] of chosen) {
    const value = t.value as Extract<ConsumerGroupKeyValue, { kind: 'member' }>;
    for (const topic of value.topics) topics.add(topic);
    if (value.regex !== null && value.regex !== '') regexes.add(value.regex);
    if (value.serverAssignor !== null) assignors.add(value.serverAssignor);
    const at = source === 'members' ? t.valueOffset : t.tombstoneOffset;
    if (at > logOffset) {
      logOffset = at;
      logTimestamp = t.valueTimestamp;
    }
  }
  const unresolved: string[] = [];
  for (const regex of regexes) {
    const resolution = tallies.get(`r:${regex}`)?.value;
    if (resolution?.kind === 'regex') for (const topic of resolution.topics) topics.add(topic);
    else unresolved.push(regex);
  }
  return {
    ...base,
    source,
    members: chosen.length,
    topics: [...topics].sort(),
    regexes: [...regexes].sort(),
    unresolvedRegexes: unresolved.sort(),
    serverAssignor: assignors.size === 1 ? [...assignors][0]! : null,
    logOffset,
    logTimestamp,
  };
}

/** The tally value of a decoded record value of one of SUBSCRIPTION_RECORD_TYPES (camelCase fields, as the schema decoder gives them). */
export function consumerGroupKeyValue(recordType: number, value: Record<string, unknown>): ConsumerGroupKeyValue | null {
  const strings = (field: unknown): string[] => (Array.isArray(field) ? field.filter((x): x is string => typeof x === 'string') : []);
  switch (recordType) {
    case CONSUMER_GROUP_METADATA:
      return typeof value['epoch'] === 'number' ? { kind: 'group', epoch: value['epoch'] } : null;
    case CONSUMER_GROUP_MEMBER_METADATA: {
      const regex = value['subscribedTopicRegex'];
      const assignor = value['serverAssignor'];
      return {
        kind: 'member',
        topics: strings(value['subscribedTopicNames']),
        regex: typeof regex === 'string' ? regex : null,
        serverAssignor: typeof assignor === 'string' ? assignor : null,
      };
    }
    case CONSUMER_GROUP_REGULAR_EXPRESSION:
      return { kind: 'regex', topics: strings(value['topics']) };
    default:
      return null;
  }
}
