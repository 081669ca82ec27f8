/**
 * Differential conformance of KIP-848 consumer groups: the same confluent-kafka scenarios
 * (`../kafka/kip848_rebalance.py`: a member joins alone, a second joins, both read to the end and
 * commit, the second leaves, the first takes every partition back and leaves;
 * `../kafka/kip848_static.py`: a static member leaves temporarily and comes back) on a real Apache
 * Kafka 4.x broker and on the local cluster's matching profile, both with a 1 s heartbeat. The
 * group's `__consumer_offsets` records must agree: the group-level sequence (epochs, target
 * assignment epochs, partition metadata), each member's own sequence (metadata, target and
 * current assignments with their epochs and states), and the commits (value version and fields).
 * Member ids and topic ids are renamed, times dropped, the order of one heartbeat's target
 * assignment records ignored (Kafka's comes from a HashMap of random member ids), assignments compared by size (which of two
 * equal members the assignor favours is not Kafka's contract), a metadata hash only as present
 * or not (its value depends on the topic id each broker drew), and a member's assignment record
 * that only moves its previous epoch (written when a waiting member heartbeats before the
 * partition it waits for is released: a race on either broker) left out.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { decodeOffsetsRecord } from '../../../../lambdas/core/offsets-records/index.ts';
import { scanOffsetsPartition } from '../../../../lambdas/core/scanner/index.ts';
import { createKafkaPort } from '../../../../lambdas/kafka/index.ts';
import { startLocalCluster } from '../../../../local/kafka/index.ts';
import { startRealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { killChildren, runProcess } from '../kafka/helpers.ts';
import { produceToEachPartition } from '../../../support/produce.ts';
import { createTopic } from '../../kafka/helpers.ts';
import { clientFor, confluentKafkaPython, describeRealKafka } from './support.ts';

const OFFSETS_PARTITIONS = 6;
const TOPIC = 'kip848-diff';
const GROUP = 'kip848-diff-group';
const PARTITIONS = 3;
const HEARTBEAT_MS = 1000;

interface Transcript {
  /** ConsumerGroupMetadata, PartitionMetadata and TargetAssignmentMetadata records, in log order */
  group: unknown[];
  /** each member's records in log order, members in order of first appearance */
  members: unknown[][];
  commits: unknown[];
  /** the record types in log order up to the first commit, members renamed */
  firstJoin: unknown[];
}

type Row = Record<string, unknown>;

function size(value: unknown): number {
  return ((value ?? []) as Array<{ partitions: number[] }>).reduce((n, t) => n + t.partitions.length, 0);
}

function normalizeValue(recordType: number, v: Row): Row {
  switch (recordType) {
    case 3:
      return { epoch: v['epoch'], metadataHash: BigInt((v['metadataHash'] as bigint | undefined) ?? 0n) !== 0n };
    case 4:
      return { topics: ((v['topics'] ?? []) as Row[]).map((t) => ({ name: t['topicName'], numPartitions: t['numPartitions'] })) };
    case 5:
      return {
        instanceId: v['instanceId'],
        rackId: v['rackId'],
        clientId: v['clientId'],
        clientHost: v['clientHost'],
        subscribedTopicNames: v['subscribedTopicNames'],
        subscribedTopicRegex: v['subscribedTopicRegex'],
        rebalanceTimeoutMs: v['rebalanceTimeoutMs'],
        serverAssignor: v['serverAssignor'],
        classicMemberMetadata: v['classicMemberMetadata'],
      };
    case 6:
      return { assignmentEpoch: v['assignmentEpoch'] };
    case 7:
      return { partitions: size(v['topicPartitions']) };
    case 8:
      return { memberEpoch: v['memberEpoch'], previousMemberEpoch: v['previousMemberEpoch'], state: v['state'], assigned: size(v['assignedPartitions']), revoking: size(v['partitionsPendingRevocation']) };
    default:
      return v;
  }
}

async function transcript(bootstrap: string[], scenario: Scenario): Promise<Transcript> {
  const kafka = clientFor(bootstrap, 'kip848-diff');
  await createTopic(kafka, TOPIC, PARTITIONS, 1);
  await produceToEachPartition(kafka, TOPIC, { partitions: PARTITIONS, prefix: 'm', from: 0, count: 5 });
  const script = fileURLToPath(new URL(`../kafka/${scenario.script}`, import.meta.url));
  const run = await runProcess(confluentKafkaPython(), [script, bootstrap.join(','), GROUP, TOPIC, String(PARTITIONS)], { timeoutMs: 90_000 });
  if (run.code !== 0 || !run.stdout.includes(scenario.done) || run.stdout.includes('"error"')) throw new Error(`the scenario failed (${run.code}): ${run.stdout} ${run.stderr.slice(-2000)}`);

  const port = createKafkaPort({ brokers: bootstrap, clientId: 'kip848-diff' });
  const out: Transcript = { group: [], members: [], commits: [], firstJoin: [] };
  const roles = new Map<string, number>();
  const lastAssignment = new Map<number, string>();
  let committed = false;
  try {
    await scanOffsetsPartition(port, { partition: partitionForGroup(GROUP, OFFSETS_PARTITIONS) }, {
      apply(batch) {
        if (batch.kind !== 'records' || batch.isControl) return;
        for (let i = 0; i < batch.recordCount; i++) {
          const record = decodeOffsetsRecord(batch.keyAt(i), batch.valueAt(i), { decodeGroupRecordValues: true });
          if (record.kind === 'offset-commit' && record.group === GROUP) {
            committed = true;
            out.commits.push(
              record.tombstone
                ? { partition: record.partition, tombstone: true }
                : { partition: record.partition, valueVersion: record.value.valueVersion, offset: String(record.value.offset), leaderEpochKnown: record.value.leaderEpoch >= 0, metadata: record.value.metadata, expires: record.value.expireTimestamp >= 0n },
            );
            continue;
          }
          if (record.kind !== 'group-record' || record.group !== GROUP) continue;
          const memberId = record.key['memberId'];
          const value = record.tombstone ? null : normalizeValue(record.recordType, (record.value ?? {}) as Row);
          const row = { type: record.recordType, valueVersion: record.valueVersion, value };
          if (memberId === undefined) {
            out.group.push(row);
            if (!committed) out.firstJoin.push(record.recordType);
            continue;
          }
          if (!roles.has(memberId)) roles.set(memberId, roles.size);
          const role = roles.get(memberId)!;
          if (record.recordType === 8 && value !== null) {
            // A heartbeat of a member still waiting for a partition rewrites its assignment with
            // only the previous epoch moved; whether one comes before the release is a race on any broker.
            const { previousMemberEpoch: _previous, ...rest } = value;
            const key = JSON.stringify(rest);
            if (lastAssignment.get(role) === key) continue;
            lastAssignment.set(role, key);
          }
          (out.members[role] ??= []).push(row);
          if (!committed) out.firstJoin.push(`${record.recordType}:${role}`);
        }
      },
    });
  } finally {
    await port.close();
  }
  out.firstJoin = sortTargetRuns(out.firstJoin);
  return out;
}

/**
 * One heartbeat's target assignment records come in the order of a HashMap keyed by member id
 * (Kafka's TargetAssignmentBuilder), so random ids make it arbitrary: runs of them are sorted.
 */
function sortTargetRuns(types: unknown[]): unknown[] {
  const out: unknown[] = [];
  let run: string[] = [];
  const flush = (): void => {
    out.push(...run.sort());
    run = [];
  };
  for (const t of types) {
    if (typeof t === 'string' && t.startsWith('7:')) run.push(t);
    else {
      flush();
      out.push(t);
    }
  }
  flush();
  return out;
}

interface Scenario {
  name: string;
  script: string;
  /** what the script prints once it went through */
  done: string;
}

const SCENARIOS: Scenario[] = [
  { name: 'a member joins, both commit, one leaves', script: 'kip848_rebalance.py', done: '"phase": "alone"' },
  { name: 'a static member leaves temporarily (-2) and its next incarnation takes its partitions back', script: 'kip848_static.py', done: '"after"' },
];

const CASES = [
  { profile: '4.1', release: REAL_KAFKA_RELEASES.vulnerable41 },
  { profile: '4.0', release: REAL_KAFKA_RELEASES.runtime40 },
] as const;

for (const { profile, release } of CASES) {
  describeRealKafka(
    release,
    `KIP-848 groups on the local ${profile} profile against the real release`,
    () => {
      it.each(SCENARIOS)('writes the same consumer group records and commits: $name', async (scenario) => {
        const playLocal = async (): Promise<Transcript> => {
          const local = await startLocalCluster({ brokers: 1, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 1, kafkaVersion: profile, consumerGroupHeartbeatIntervalMs: HEARTBEAT_MS });
          try {
            return await transcript(local.bootstrapServers, scenario);
          } finally {
            await local.stop();
          }
        };
        const playReal = async (): Promise<Transcript> => {
          const real = await startRealKafka({
            version: release,
            brokers: 1,
            offsetsPartitions: OFFSETS_PARTITIONS,
            overrides: { 'group.consumer.min.heartbeat.interval.ms': HEARTBEAT_MS, 'group.consumer.heartbeat.interval.ms': HEARTBEAT_MS },
          });
          try {
            return await transcript(real.bootstrapServers, scenario);
          } finally {
            await real.stop();
          }
        };
        try {
          const [local, real] = await Promise.all([playLocal(), playReal()]);
          expect(local.members).toEqual(real.members);
          expect(local.group).toEqual(real.group);
          expect(local.commits).toEqual(real.commits);
          expect(local.firstJoin).toEqual(real.firstJoin);
        } finally {
          killChildren();
        }
      }, 120_000);
    },
    { needsConfluentKafka: true },
  );
}
