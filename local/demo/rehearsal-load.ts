/**
 * The rehearsal's load: N consumer groups whose coordinator is one `__consumer_offsets` shard,
 * M offset commits of theirs bulk-loaded into that shard's log (RecordBatches appended as the
 * leader appends what the coordinator writes: no client, no coordinator in the way), the
 * topics they consume filled past every committed offset, and the ground truth: the last offset
 * each group committed on each partition, kept here as it is written, never read back.
 */
import { invalidInput } from '../../lambdas/core/errors.ts';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import {
  encodeConsumerAssignment,
  encodeConsumerSubscription,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../lambdas/core/offsets-records/index.ts';
import { encodeRecordBatch, type RecordToEncode } from '../../lambdas/core/record-batch/index.ts';
import type { LocalCluster } from '../kafka/index.ts';

export interface RehearsalTopic {
  name: string;
  partitions: number;
}

/** What the fleet consumes: each group reads one or two of these, on every partition. */
export const REHEARSAL_TOPICS: readonly RehearsalTopic[] = [
  { name: 'payments.settlements', partitions: 6 },
  { name: 'payments.refunds', partitions: 6 },
  { name: 'ledger.entries', partitions: 6 },
  { name: 'orders.events', partitions: 6 },
];

/** Messages each partition holds past the highest committed offset: the lag the groups have. */
const LAG_PER_PARTITION = 25;
const MIN_BATCH_RECORDS = 100;
const MAX_BATCH_RECORDS = 400;
/** The largest step between two commits of one partition: offsets stay small, topics cheap to fill. */
const MAX_COMMIT_STEP = 8;

export interface RehearsalLoadShape {
  groups: number;
  commits: number;
  /** The `__consumer_offsets` partition every group hashes to. */
  shard: number;
  offsetsPartitions: number;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface RehearsalLoad {
  groups: string[];
  topics: readonly RehearsalTopic[];
  /** What each group committed last, per partition, as the load wrote it. */
  groundTruth: Map<string, CommittedOffset[]>;
  /** Records appended to the shard: the commits and one group-metadata record per group. */
  shardRecords: number;
  loadMs: number;
}

/** Deterministic xorshift32: the same flags write the same log. */
function randomSource(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

/** `count` group names whose coordinator shard is `shard`, as a fleet of workers would be named. */
export function groupsOnShard(count: number, shard: number, offsetsPartitions: number): string[] {
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) {
    const name = `settlement-worker-${String(i).padStart(6, '0')}`;
    if (partitionForGroup(name, offsetsPartitions) === shard) names.push(name);
  }
  return names;
}

/** Every other group reads a second topic, so groups differ in size. */
export function topicsOfGroup(index: number): RehearsalTopic[] {
  const first = REHEARSAL_TOPICS[index % REHEARSAL_TOPICS.length]!;
  if (index % 2 === 0) return [first];
  return [first, REHEARSAL_TOPICS[(index + 1) % REHEARSAL_TOPICS.length]!];
}

/** Partitions (group x topic x partition keys) N groups commit to: each needs one commit at least. */
export function partitionsCommittedBy(groups: number): number {
  let keys = 0;
  for (let g = 0; g < groups; g++) for (const topic of topicsOfGroup(g)) keys += topic.partitions;
  return keys;
}

/** The flags' values, checked before anything starts: each error names the flag and the fix. */
export function checkRehearsalShape(groups: number, commits: number): void {
  const needed = partitionsCommittedBy(groups);
  if (commits < needed) {
    throw invalidInput(
      '--commits',
      `${commits} commits cannot give each of the ${groups} groups an offset on every partition it reads (${needed} partitions)`,
      `Use --commits ${needed} or more, or fewer --groups.`,
    );
  }
}

function groupMetadataRecord(group: string, topics: RehearsalTopic[], timestamp: number): RecordToEncode {
  const memberId = `${group}-consumer-1-7f3c2a10`;
  return {
    key: encodeGroupMetadataKey(group),
    value: encodeGroupMetadataValue(
      {
        protocolType: 'consumer',
        generation: 3,
        protocol: 'cooperative-sticky',
        leader: memberId,
        currentStateTimestamp: BigInt(timestamp),
        members: [
          {
            memberId,
            groupInstanceId: null,
            clientId: `${group}-consumer-1`,
            clientHost: '/127.0.0.1',
            rebalanceTimeout: 300_000,
            sessionTimeout: 45_000,
            subscriptionBytes: encodeConsumerSubscription({ topics: topics.map((t) => t.name) }),
            assignmentBytes: encodeConsumerAssignment({
              assignedPartitions: topics.map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, p) => p) })),
            }),
          },
        ],
      },
      3,
    ),
    timestamp,
  };
}

/**
 * Creates the topics, appends the groups' commits to the shard and fills the topics past every
 * committed offset. Call it on a cluster whose shard holds nothing of these groups yet.
 */
export function loadRehearsal(local: LocalCluster, shape: RehearsalLoadShape): RehearsalLoad {
  checkRehearsalShape(shape.groups, shape.commits);
  const started = performance.now();
  const shardLog = local.cluster.requirePartition('__consumer_offsets', shape.shard).log;
  for (const topic of REHEARSAL_TOPICS) {
    if (!local.cluster.topic(topic.name)) local.cluster.createTopic(topic.name, { partitions: topic.partitions, replicationFactor: 3 });
  }
  const groups = groupsOnShard(shape.groups, shape.shard, shape.offsetsPartitions);

  // One entry per group x topic x partition, in group order.
  const keyGroup: number[] = [];
  const keyTopic: RehearsalTopic[] = [];
  const keyPartition: number[] = [];
  const keyBytes: Buffer[] = [];
  const firstKeyOf: number[] = [];
  groups.forEach((group, g) => {
    firstKeyOf.push(keyBytes.length);
    for (const topic of topicsOfGroup(g)) {
      for (let p = 0; p < topic.partitions; p++) {
        keyGroup.push(g);
        keyTopic.push(topic);
        keyPartition.push(p);
        keyBytes.push(encodeOffsetCommitKey({ group, topic: topic.name, partition: p }));
      }
    }
  });
  firstKeyOf.push(keyBytes.length);
  const committed = new Float64Array(keyBytes.length);
  const random = randomSource(0x5eed ^ shape.groups ^ shape.commits);
  const timestamp = Date.now();
  const commitTimestamp = BigInt(timestamp);
  // Values differ only by offset here, so each is encoded once.
  const values: Buffer[] = [];
  const valueOf = (offset: number): Buffer =>
    (values[offset] ??= encodeOffsetCommitValue({ offset: BigInt(offset), leaderEpoch: 0, metadata: '', commitTimestamp }, 3));

  let batch: RecordToEncode[] = [];
  let batchSize = MIN_BATCH_RECORDS;
  let shardRecords = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    shardRecords += shardLog.append(encodeRecordBatch({ baseOffset: 0, records: batch }), { timestampType: 'LogAppendTime' }).recordCount;
    batch = [];
    batchSize = MIN_BATCH_RECORDS + random(MAX_BATCH_RECORDS - MIN_BATCH_RECORDS + 1);
  };
  const push = (record: RecordToEncode): void => {
    batch.push(record);
    if (batch.length >= batchSize) flush();
  };
  const commit = (key: number): void => {
    committed[key] = committed[key]! + 1 + random(MAX_COMMIT_STEP);
    push({ key: keyBytes[key]!, value: valueOf(committed[key]!), timestamp });
  };

  // Each group joins (its metadata) and commits every partition once, then commits go anywhere.
  for (let g = 0; g < groups.length; g++) {
    push(groupMetadataRecord(groups[g]!, topicsOfGroup(g), timestamp));
    for (let key = firstKeyOf[g]!; key < firstKeyOf[g + 1]!; key++) commit(key);
  }
  for (let n = keyBytes.length; n < shape.commits; n++) commit(random(keyBytes.length));
  flush();

  const groundTruth = new Map<string, CommittedOffset[]>(groups.map((group) => [group, []]));
  const highest = new Map<string, number>();
  for (let key = 0; key < keyBytes.length; key++) {
    const topic = keyTopic[key]!.name;
    const partition = keyPartition[key]!;
    groundTruth.get(groups[keyGroup[key]!]!)!.push({ topic, partition, offset: BigInt(committed[key]!) });
    const place = `${topic}\u0000${partition}`;
    highest.set(place, Math.max(highest.get(place) ?? 0, committed[key]!));
  }
  for (const topic of REHEARSAL_TOPICS) {
    for (let p = 0; p < topic.partitions; p++) fillPartition(local, topic.name, p, (highest.get(`${topic.name}\u0000${p}`) ?? 0) + LAG_PER_PARTITION, timestamp);
  }
  return { groups, topics: REHEARSAL_TOPICS, groundTruth, shardRecords, loadMs: performance.now() - started };
}

/** Appends small messages until the partition's log ends at `endOffset` (or later). */
function fillPartition(local: LocalCluster, topic: string, partition: number, endOffset: number, timestamp: number): void {
  const log = local.cluster.requirePartition(topic, partition).log;
  while (log.logEndOffset < endOffset) {
    const count = Math.min(1000, endOffset - log.logEndOffset);
    const from = log.logEndOffset;
    const records = Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`message ${from + i}`), timestamp }));
    log.append(encodeRecordBatch({ baseOffset: 0, records }));
  }
}
