/**
 * The group behaviours the first differential scenario leaves out, played the same way on a real
 * release and on the local cluster's matching profile: an OffsetCommit with a retention time and
 * its expiry, DeleteGroups and OffsetDelete (their refusals and tombstones), a transaction's
 * offsets committed and then aborted (the transactional batches, the markers, OffsetFetch with
 * require_stable before and after), the error codes clients get for failures both can provoke,
 * and the coordinator's log lines about these groups. Reduced to what must agree.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { encodeConsumerAssignment, encodeConsumerSubscription } from '../../../../lambdas/core/offsets-records/index.ts';
import { ApiKey } from '../../../../local/kafka/protocol/api-keys.ts';
import { PYTHON, runProcess } from '../kafka/helpers.ts';
import { groupBatches, readOffsetsBatches } from './offsets-log.ts';
import { codeName, requestOnce } from './raw-requests.ts';
import { clientFor } from './support.ts';

export const ORDERS = 'orders';
export const AUDIT = 'audit';
const MISSING_TOPIC = 'no-such-topic';

export const GROUPS = {
  /** OffsetCommit v2 with a retention time, v3 without */
  retained: 'conform-retained',
  /** a commit that asks for 1.5 s of retention, then expires */
  expiring: 'conform-expiring',
  /** Empty, offsets set by an admin client, then deleted */
  deletable: 'conform-deletable',
  /** a member subscribed to ORDERS, an admin commit for AUDIT */
  busy: 'conform-busy',
  /** transactional offsets, committed then aborted */
  transactional: 'conform-tx',
  /** a member that joins on a raw connection and never heartbeats: its session expires */
  silent: 'conform-silent',
  /** never used: what unknown groups answer */
  unknown: 'conform-nobody',
} as const;

/** A log line of the group coordinator, reduced to its wording and its logger. */
export interface CoordinatorLogLine {
  logger: string;
  message: string;
}

export interface ScenarioSide {
  bootstrap: string[];
  /** every line the brokers printed so far */
  logLines(): CoordinatorLogLine[];
  /** stops the (only) broker and starts it again on the same port and data */
  restart(): Promise<void>;
}

export interface GroupTranscript {
  /** each scenario group's part of its `__consumer_offsets` partition, batch by batch */
  batches: Record<string, unknown[]>;
  answers: Record<string, unknown>;
  /** per scenario group, the coordinator's lines that name it, normalized, in the order printed */
  logLines: Record<string, CoordinatorLogLine[]>;
  /** the lines of the scenario partitions' loads after a restart, normalized and sorted */
  loadLines: CoordinatorLogLine[];
}

const RETENTION_MS = 3_600_000;
/** short enough that a check interval of 1 s finds the offset expired within the scenario */
export const SHORT_RETENTION_MS = 1_500;

function commitBody(group: string, version: number, retentionTimeMs: number, offsets: Array<[topic: string, partition: number, offset: bigint]>, member = { memberId: '', generation: -1 }): Record<string, unknown> {
  const topics = [...new Set(offsets.map(([t]) => t))].map((name) => ({
    name,
    partitions: offsets.filter(([t]) => t === name).map(([, partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: `v${version}` })),
  }));
  return { groupId: group, generationIdOrMemberEpoch: member.generation, memberId: member.memberId, retentionTimeMs: BigInt(retentionTimeMs), groupInstanceId: null, topics };
}

/** Per-partition error names of an OffsetCommit, OffsetDelete or TxnOffsetCommit answer. */
function partitionErrors(body: Record<string, unknown>): string[] {
  const topics = body['topics'] as Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
  return topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${codeName(p.errorCode)}`));
}

/** OffsetFetch v7 (require_stable exists from v7): offsets or per-partition errors. */
async function fetchOffsetsRaw(broker: string, group: string, topics: Array<[string, number[]]>, requireStable: boolean): Promise<unknown> {
  const body = await requestOnce(broker, ApiKey.OffsetFetch, 7, { groupId: group, topics: topics.map(([name, partitionIndexes]) => ({ name, partitionIndexes })), requireStable });
  const answered = body['topics'] as Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint; errorCode: number }> }>;
  return {
    errorCode: codeName(body['errorCode']),
    partitions: answered.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.committedOffset}:${codeName(p.errorCode)}`)),
  };
}

/** Member ids, client hosts, durations and times differ between any two runs. */
export function normalizeLogMessage(message: string, memberIds: string[]): string {
  let text = message;
  for (const id of memberIds) text = text.split(id).join('<member>');
  return text
    .replace(/\b(conformance|kafkajs)[\w-]*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<member>')
    .replace(/\/127\.0\.0\.1/g, '<host>')
    .replace(/\d+ milliseconds/g, 'N milliseconds');
}

const LOAD_LINE = /Scheduling loading|Finished loading|Loaded classic group|Loading group metadata|Loaded member/;

/**
 * Durations and byte counts of a load differ between runs (and with how writes were batched);
 * so does the epoch after a restart (a single 3.9.2 node reloads at epoch 0, 4.1.1 at 2).
 */
function normalizeLoadMessage(message: string): string {
  return message
    .replace(/(with|for) epoch \d+/, '$1 epoch E')
    .replace(/in \d+ms where \d+ms was spent/, 'in Nms where Nms was spent')
    .replace(/which total to \d+ bytes/, 'which total to N bytes');
}

async function expectThrows(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
    return 'accepted';
  } catch (error) {
    const e = error as { type?: string; name?: string; groups?: Array<{ groupId: string; errorCode: number }> };
    const groups = e.groups?.map((g) => `${g.groupId}:${codeName(g.errorCode)}`).join(',');
    return `${e.type ?? e.name ?? String(error)}${groups === undefined ? '' : ` ${groups}`}`;
  }
}

const PYTHON_ADMIN = `
import sys
from kafka.admin import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=sys.argv[1], api_version_auto_timeout_ms=10000)
for group, error in a.delete_consumer_groups([sys.argv[2], sys.argv[3]]):
    print(group, type(error).__name__ if isinstance(error, Exception) else error.__name__)
try:
    a.delete_topics([sys.argv[4]])
    print('delete_topics accepted')
except Exception as e:
    print('delete_topics', type(e).__name__)
a.close()
`;

export async function playGroupScenarios(side: ScenarioSide, offsetsPartitions: number): Promise<GroupTranscript> {
  const broker = side.bootstrap[0]!;
  const kafka: Kafka = clientFor(side.bootstrap, 'conformance');
  const admin = kafka.admin();
  const answers: Record<string, unknown> = {};
  const memberIds: string[] = [];
  await admin.connect();
  const consumer = kafka.consumer({ groupId: GROUPS.busy, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const producer = kafka.producer({ transactionalId: 'conformance-tx', idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    await admin.createTopics({ topics: [{ topic: ORDERS, numPartitions: 2, replicationFactor: 1 }, { topic: AUDIT, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await untilCoordinatorsServe(broker, Object.values(GROUPS));
    // With a 1 s retention check, an Empty group without offsets goes at the next check on either
    // side, even between a member's MEMBER_ID_REQUIRED and its second JoinGroup; an offset first
    // keeps the groups that members join from that race.
    answers.guardCommit = partitionErrors(await requestOnce(broker, ApiKey.OffsetCommit, 3, commitBody(GROUPS.deletable, 3, -1, [[ORDERS, 0, 0n]])));
    // Offset 0, the (empty) topic's end: a kafkajs member would reset an offset out of range and commit it.
    answers.busyCommit = partitionErrors(await requestOnce(broker, ApiKey.OffsetCommit, 3, commitBody(GROUPS.busy, 3, -1, [[ORDERS, 1, 0n]])));
    // Joined first, so that its session (the 6 s minimum) runs out while the other scenarios play.
    const silentMember = await joinSilently(broker, GROUPS.silent);
    memberIds.push(silentMember);

    // A retention time makes Kafka write OffsetCommitValue v1 with an expire timestamp.
    answers.retentionCommit = partitionErrors(await requestOnce(broker, ApiKey.OffsetCommit, 2, commitBody(GROUPS.retained, 2, RETENTION_MS, [[ORDERS, 0, 1n]])));
    answers.plainCommit = partitionErrors(await requestOnce(broker, ApiKey.OffsetCommit, 3, commitBody(GROUPS.retained, 3, -1, [[ORDERS, 1, 2n]])));
    answers.shortRetentionCommit = partitionErrors(await requestOnce(broker, ApiKey.OffsetCommit, 4, commitBody(GROUPS.expiring, 4, SHORT_RETENTION_MS, [[ORDERS, 0, 1n]])));
    answers.retainedFetch = await fetchOffsetsRaw(broker, GROUPS.retained, [[ORDERS, [0, 1]]], false);
    const expiryStarted = Date.now();

    // DeleteGroups and OffsetDelete: an Empty group, a group with a member, an unknown group.
    await admin.setOffsets({ groupId: GROUPS.deletable, topic: ORDERS, partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '1' }] });
    await admin.setOffsets({ groupId: GROUPS.busy, topic: AUDIT, partitions: [{ partition: 0, offset: '1' }] });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, (event) => {
      memberIds.push(event.payload.memberId);
      resolve();
    }));
    await consumer.connect();
    await consumer.subscribe({ topic: ORDERS, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await joined;
    answers.unknownMemberCommit = partitionErrors(await requestOnce(broker, ApiKey.OffsetCommit, 7, commitBody(GROUPS.busy, 7, -1, [[ORDERS, 0, 1n]], { memberId: 'conformance-ghost', generation: 1 })));
    answers.unknownGroupGenerationCommit = partitionErrors(await requestOnce(broker, ApiKey.OffsetCommit, 7, commitBody(GROUPS.unknown, 7, -1, [[ORDERS, 0, 1n]], { memberId: 'conformance-ghost', generation: 3 })));
    answers.unknownTopicCommit = partitionErrors(await requestOnce(broker, ApiKey.OffsetCommit, 7, commitBody(GROUPS.deletable, 7, -1, [[MISSING_TOPIC, 0, 1n]])));
    const offsetDelete = await requestOnce(broker, ApiKey.OffsetDelete, 0, { groupId: GROUPS.busy, topics: [{ name: ORDERS, partitions: [{ partitionIndex: 0 }] }, { name: AUDIT, partitions: [{ partitionIndex: 0 }] }] });
    answers.offsetDeleteBusy = { errorCode: codeName(offsetDelete['errorCode']), partitions: partitionErrors(offsetDelete) };
    const offsetDeleteUnknown = await requestOnce(broker, ApiKey.OffsetDelete, 0, { groupId: GROUPS.unknown, topics: [{ name: ORDERS, partitions: [{ partitionIndex: 0 }] }] });
    answers.offsetDeleteUnknown = { errorCode: codeName(offsetDeleteUnknown['errorCode']), partitions: partitionErrors(offsetDeleteUnknown) };
    const deleted = await requestOnce(broker, ApiKey.DeleteGroups, 2, { groupsNames: [GROUPS.deletable, GROUPS.busy, GROUPS.unknown] });
    // Sorted: 3.9 answers in the order of a Scala hash map; clients match the results by group id.
    answers.deleteGroups = (deleted['results'] as Array<{ groupId: string; errorCode: number }>).map((r) => `${r.groupId}:${codeName(r.errorCode)}`).sort();
    answers.kafkajsDeleteGroups = await expectThrows(() => admin.deleteGroups([GROUPS.busy]));
    const python = await runProcess(PYTHON, ['-c', PYTHON_ADMIN, broker, GROUPS.busy, GROUPS.unknown, MISSING_TOPIC], { timeoutMs: 60_000 });
    answers.pythonAdmin = { code: python.code, lines: python.stdout.trim().split('\n'), error: python.code === 0 ? '' : python.stderr.trim().split('\n').at(-1) };
    const kcat = await runProcess('kcat', ['-b', broker, '-C', '-t', MISSING_TOPIC, '-p', '0', '-e', '-q'], { timeoutMs: 30_000 });
    answers.kcatUnknownTopic = { code: kcat.code, error: kcat.stderr.trim().split('\n').filter((l) => l.includes('ERROR')).map((l) => l.replace(/^%\s*/, '')) };
    answers.kafkajsUnknownTopic = await expectThrows(() => admin.fetchTopicOffsets(MISSING_TOPIC));
    await consumer.disconnect();
    answers.busyAfterLeave = await untilState(broker, GROUPS.busy, 'Empty');
    // Now Empty: DeleteGroups takes it, with the tombstones of what is left.
    answers.deleteBusyAfterLeave = await expectThrows(() => admin.deleteGroups([GROUPS.busy]));

    // Transactions: offsets pending until the marker; require_stable sees them as unstable.
    await producer.connect();
    const committed = await producer.transaction();
    await committed.sendOffsets({ consumerGroupId: GROUPS.transactional, topics: [{ topic: ORDERS, partitions: [{ partition: 0, offset: '2' }] }] });
    answers.txPendingStable = await fetchOffsetsRaw(broker, GROUPS.transactional, [[ORDERS, [0]]], true);
    answers.txPendingUnstable = await fetchOffsetsRaw(broker, GROUPS.transactional, [[ORDERS, [0]]], false);
    await committed.commit();
    answers.txCommitted = await untilStable(broker, GROUPS.transactional);
    const aborted = await producer.transaction();
    // The coordinator may still be completing the first transaction (CONCURRENT_TRANSACTIONS, retriable).
    await untilNotConcurrent(() => aborted.sendOffsets({ consumerGroupId: GROUPS.transactional, topics: [{ topic: ORDERS, partitions: [{ partition: 0, offset: '3' }] }] }));
    answers.txAbortPendingStable = await fetchOffsetsRaw(broker, GROUPS.transactional, [[ORDERS, [0]]], true);
    await aborted.abort();
    answers.txAborted = await untilStable(broker, GROUPS.transactional);

    // Expiry: the check interval is 1 s on both sides; the commit asked for SHORT_RETENTION_MS.
    answers.expired = await untilExpired(side.bootstrap, GROUPS.expiring, offsetsPartitions, expiryStarted);
    // Its session runs out, then the next retention check removes the Empty group without offsets.
    answers.silentMemberGone = await untilState(broker, GROUPS.silent, 'Dead');
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect();
  }

  // Group by group: lines of different groups interleave as timing has it.
  const printed = side.logLines();
  const logLines = Object.fromEntries(
    Object.values(GROUPS).map((g) => [
      g,
      printed.filter((l) => new RegExp(`\\b${g}\\b`).test(l.message)).map((l) => ({ logger: l.logger, message: normalizeLogMessage(l.message, memberIds) })),
    ]),
  );

  // A restart reloads every shard: the lines an operator reads while a coordinator loads.
  const beforeRestart = side.logLines().length;
  await side.restart();
  await untilCoordinatorsServe(broker, Object.values(GROUPS));
  const partitions = new Set(Object.values(GROUPS).map((g) => `__consumer_offsets-${partitionForGroup(g, offsetsPartitions)}`));
  const loadLines = side
    .logLines()
    .slice(beforeRestart)
    .filter((l) => LOAD_LINE.test(l.message) && (Object.values(GROUPS).some((g) => l.message.includes(` ${g} `)) || [...partitions].some((tp) => new RegExp(`${tp}\\b`).test(l.message))))
    .map((l) => ({ logger: l.logger, message: normalizeLoadMessage(normalizeLogMessage(l.message, memberIds)) }))
    // Distinct lines only: a restarted 4.x node loads each shard twice (at its old epoch, then the new one).
    .filter((l, i, all) => all.findIndex((o) => o.message === l.message && o.logger === l.logger) === i)
    .sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));

  const batches: Record<string, unknown[]> = {};
  const byPartition = new Map<number, Awaited<ReturnType<typeof readOffsetsBatches>>>();
  for (const group of Object.values(GROUPS)) {
    const partition = partitionForGroup(group, offsetsPartitions);
    if (!byPartition.has(partition)) byPartition.set(partition, await readOffsetsBatches(side.bootstrap, partition));
    batches[group] = groupBatches(byPartition.get(partition)!, group);
  }
  return { batches, answers, logLines, loadLines };
}

/**
 * A real broker creates `__consumer_offsets` at the first FindCoordinator and then loads its
 * shards; raw requests before that answer NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS.
 */
async function untilCoordinatorsServe(broker: string, groups: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const group of groups) {
    for (;;) {
      const found = await requestOnce(broker, ApiKey.FindCoordinator, 3, { key: group, keyType: 0 });
      const fetched = found['errorCode'] === 0 ? await requestOnce(broker, ApiKey.OffsetFetch, 7, { groupId: group, topics: null, requireStable: false }) : found;
      if (fetched['errorCode'] === 0) break;
      if (Date.now() > deadline) throw new Error(`the coordinator of ${group} did not serve within 30 s: ${codeName(fetched['errorCode'])}`);
      await sleep(200);
    }
  }
}

const SILENT_SESSION_MS = 6_000;

/**
 * JoinGroup v3 (before MEMBER_ID_REQUIRED: the member is in at its first join, so the group is
 * never Empty without offsets until its session runs out) and SyncGroup as leader; then silence.
 */
async function joinSilently(broker: string, group: string): Promise<string> {
  const joined = await requestOnce(broker, ApiKey.JoinGroup, 3, {
    groupId: group,
    sessionTimeoutMs: SILENT_SESSION_MS,
    rebalanceTimeoutMs: SILENT_SESSION_MS,
    memberId: '',
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeConsumerSubscription({ topics: [ORDERS] }, 0) }],
  });
  if (joined['errorCode'] !== 0) throw new Error(`JoinGroup answered ${codeName(joined['errorCode'])}`);
  const memberId = joined['memberId'] as string;
  const assignment = encodeConsumerAssignment({ assignedPartitions: [{ topic: ORDERS, partitions: [0, 1] }] }, 0);
  const synced = await requestOnce(broker, ApiKey.SyncGroup, 3, { groupId: group, generationId: joined['generationId'], memberId, groupInstanceId: null, assignments: [{ memberId, assignment }] });
  if (synced['errorCode'] !== 0) throw new Error(`SyncGroup answered ${codeName(synced['errorCode'])}`);
  return memberId;
}

/** DescribeGroups until the group is in `state` (or 20 s passed): its state and member count then. */
async function untilState(broker: string, group: string, state: string): Promise<unknown> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const described = await requestOnce(broker, ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
    const [g] = described['groups'] as Array<{ groupState: string; members: unknown[] }>;
    if (g?.groupState === state || Date.now() > deadline) return { state: g?.groupState, members: g?.members.length };
    await sleep(250);
  }
}

async function untilNotConcurrent(action: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      if ((error as { type?: string }).type !== 'CONCURRENT_TRANSACTIONS' || Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** OffsetFetch with require_stable until the marker has landed (Kafka writes markers after EndTxn answers). */
async function untilStable(broker: string, group: string): Promise<unknown> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answer = (await fetchOffsetsRaw(broker, group, [[ORDERS, [0]]], true)) as { partitions: string[] };
    if (!answer.partitions.some((p) => p.endsWith('UNSTABLE_OFFSET_COMMIT')) || Date.now() > deadline) return answer;
    await sleep(100);
  }
}

/** Waits for the expiring group's tombstones; answers whether they came and how soon (in whole check intervals, roughly). */
async function untilExpired(bootstrap: string[], group: string, offsetsPartitions: number, since: number): Promise<unknown> {
  const deadline = since + 25_000;
  const partition = partitionForGroup(group, offsetsPartitions);
  for (;;) {
    const mine = groupBatches(await readOffsetsBatches(bootstrap, partition), group) as Array<{ record?: { tombstone?: boolean } }>;
    const tombstoned = mine.some((entry) => entry.record?.tombstone === true);
    if (tombstoned) return { expired: true, beforeRetention: Date.now() - since < SHORT_RETENTION_MS };
    if (Date.now() > deadline) return { expired: false };
    await sleep(500);
  }
}
