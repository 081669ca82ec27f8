/**
 * What a shard's load does with a replayed ConsumerGroupCurrentMemberAssignment that gives a
 * member a partition another member owns, on the real release and on the local cluster's
 * matching profile, compared outcome for outcome. Two groups of confluent-kafka consumers share
 * a topic until the coordinator moved a partition between their members; then one group gets a
 * member's earlier assignment appended again (an older epoch than the new owner's: the record
 * sequence of KAFKA-19862), the other the same assignment at a newer epoch than every owner's.
 * The broker restarts and loads both shards. 4.1.1 refuses both; the fix in 4.0.2 lets a newer
 * epoch take the partition over and still refuses an older one.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import type { KafkaPort } from '../../../../lambdas/core/ports.ts';
import { createKafkaPort } from '../../../../lambdas/kafka/index.ts';
import { decodeConsumerGroupRecord, encodeConsumerGroupRecord } from '../../../../local/kafka/coordinator/consumer-group-records.ts';
import { startLocalCluster } from '../../../../local/kafka/index.ts';
import { startRealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { killChildren, runProcess } from '../kafka/helpers.ts';
import { appendAsAdminClient, staleAssignment } from './kip848-stale-assignment.ts';
import { produceToEachPartition } from '../../../support/produce.ts';
import { createTopic } from '../../kafka/helpers.ts';
import { clientFor, confluentKafkaPython, describeRealKafka } from './support.ts';

const OFFSETS_PARTITIONS = 6;
const TOPIC = 'kip848-rules';
const PARTITIONS = 3;
const HEARTBEAT_MS = 1000;
/** Two groups whose shards are different partitions of `__consumer_offsets`. */
const OLDER = 'kip848-rules-older';
const NEWER = ['kip848-rules-newer', 'kip848-rules-newer-2', 'kip848-rules-newer-3'].find((g) => partitionForGroup(g, OFFSETS_PARTITIONS) !== partitionForGroup(OLDER, OFFSETS_PARTITIONS))!;

interface Outcome {
  /** null when the shard loaded; else the conflict, the topic id renamed */
  older: string | null;
  newer: string | null;
}

interface Cluster {
  bootstrap: string[];
  restart(): Promise<void>;
  /** the "Failed to load" line of a partition, or null once it finished loading without one */
  loadResult(partition: number): Promise<string | null>;
}

async function play(cluster: Cluster): Promise<Outcome> {
  const kafka = clientFor(cluster.bootstrap, 'kip848-rules');
  await createTopic(kafka, TOPIC, PARTITIONS, 1);
  await produceToEachPartition(kafka, TOPIC, { partitions: PARTITIONS, prefix: 'm', from: 0, count: 1 });
  const script = fileURLToPath(new URL('./kip848-consumers.py', import.meta.url));
  const runs = await Promise.all(
    [OLDER, NEWER].map((group) => runProcess(confluentKafkaPython(), [script, cluster.bootstrap.join(','), group, TOPIC, String(PARTITIONS)], { timeoutMs: 60_000 })),
  );
  for (const run of runs) if (!run.stdout.includes('"members"')) throw new Error(`the consumers failed: ${run.stdout} ${run.stderr.slice(-2000)}`);

  const port: KafkaPort = createKafkaPort({ brokers: cluster.bootstrap, clientId: 'kip848-rules' });
  let topicId = '';
  try {
    const older = await staleAssignment(port, partitionForGroup(OLDER, OFFSETS_PARTITIONS), OLDER);
    await appendAsAdminClient(cluster.bootstrap, partitionForGroup(OLDER, OFFSETS_PARTITIONS), older.key, older.value);
    const stale = await staleAssignment(port, partitionForGroup(NEWER, OFFSETS_PARTITIONS), NEWER);
    const record = decodeConsumerGroupRecord(stale.key, stale.value);
    if (record?.type !== 8 || record.value === null) throw new Error('expected a current member assignment');
    const newer = encodeConsumerGroupRecord({ ...record, value: { ...record.value, memberEpoch: stale.ownerEpoch + 10, previousMemberEpoch: stale.ownerEpoch + 9 } });
    await appendAsAdminClient(cluster.bootstrap, partitionForGroup(NEWER, OFFSETS_PARTITIONS), newer.key, newer.value!);
    topicId = stale.topicId;
  } finally {
    await port.close();
  }
  await cluster.restart();
  const rename = (line: string | null): string | null => {
    if (line === null) return null;
    const conflict = /failed due to: (Cannot [^\n]*?)\.(?: \(|$)/.exec(line)?.[1] ?? line;
    return conflict.replaceAll(topicId, '<topic id>');
  };
  return {
    older: rename(await cluster.loadResult(partitionForGroup(OLDER, OFFSETS_PARTITIONS))),
    newer: rename(await cluster.loadResult(partitionForGroup(NEWER, OFFSETS_PARTITIONS))),
  };
}

const CASES = [
  { profile: '4.0', release: REAL_KAFKA_RELEASES.runtime40, newerLoads: true },
  { profile: '4.1', release: REAL_KAFKA_RELEASES.vulnerable41, newerLoads: false },
] as const;

for (const { profile, release, newerLoads } of CASES) {
  describeRealKafka(
    release,
    `replaying a conflicting KIP-848 assignment on the local ${profile} profile against the real release`,
    () => {
      it('fails or loads each shard as the release does', async () => {
        const playLocal = async (): Promise<Outcome> => {
          const local = await startLocalCluster({ brokers: 1, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 1, kafkaVersion: profile, consumerGroupHeartbeatIntervalMs: HEARTBEAT_MS });
          try {
            return await play({
              bootstrap: local.bootstrapServers,
              restart: async () => {
                await local.faults.stopBroker(1);
                await local.faults.startBroker(1);
              },
              loadResult: async (partition) => {
                const line = local.logs.lines(1).find((l) => l.text.includes(`Failed to load metadata from __consumer_offsets-${partition} `));
                return line?.text ?? null;
              },
            });
          } finally {
            await local.stop();
          }
        };
        const playReal = async (): Promise<Outcome> => {
          const real = await startRealKafka({
            version: release,
            brokers: 1,
            offsetsPartitions: OFFSETS_PARTITIONS,
            overrides: { 'group.consumer.min.heartbeat.interval.ms': HEARTBEAT_MS, 'group.consumer.heartbeat.interval.ms': HEARTBEAT_MS },
          });
          let restartedAt = 0;
          try {
            return await play({
              bootstrap: real.bootstrapServers,
              restart: async () => {
                restartedAt = real.logEntries().length;
                await real.killBroker(1);
                await real.startBroker(1);
              },
              loadResult: async (partition) => {
                const done = await real.waitForLog(new RegExp(`(Failed to load metadata|Finished loading of metadata) from __consumer_offsets-${partition} `), { after: restartedAt, timeoutMs: 60_000 });
                return done.text.includes('Failed to load') ? done.text : null;
              },
            });
          } finally {
            await real.stop();
          }
        };
        try {
          const [local, real] = await Promise.all([playLocal(), playReal()]);
          expect(local).toEqual(real);
          expect(real.older).toMatch(/^Cannot set the epoch of <topic id>-\d to \d+ because the partition is still owned at epoch \d+$/);
          expect(real.newer === null).toBe(newerLoads);
        } finally {
          killChildren();
        }
      }, 150_000);
    },
    { needsConfluentKafka: true },
  );
}
