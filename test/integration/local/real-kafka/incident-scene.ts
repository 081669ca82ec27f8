/**
 * The steps the incident suites on real brokers share, each named for what it does to the
 * cluster: start the brokers, let a group consume and commit, kill a shard's leader until the
 * next one's load fails, read a group's stored offsets, find a target on a healthy shard, read
 * the brokers' lines as Diagnose does. The suites keep only their story; what is not particular
 * to real brokers (producing, reading, the CLI) is in test/support.
 */
import type { Kafka } from 'kafkajs';
import { aggregateFindings } from '../../../../lambdas/aws/broker-log-lines.ts';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import type { KafkaPort } from '../../../../lambdas/core/ports.ts';
import type { LogFinding } from '../../../../lambdas/core/workflow/documents.ts';
import type { RealBrokerLogEntry } from '../../../../local/real-kafka/broker-log-file.ts';
import { startRealKafka, type RealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import { committedOffsets } from '../../../support/committed-offsets.ts';
import { waitFor } from '../../../support/wait.ts';
import { clientFor, liveBootstrap } from './support.ts';

/** Three nodes whose leadership stays where a failure leaves it: no preferred-leader election moves a shard back. */
export function startThreeBrokers(version: string, offsetsPartitions: number): Promise<RealKafka> {
  return startRealKafka({ version, brokers: 3, offsetsPartitions, overrides: { 'auto.leader.rebalance.enable': false } });
}

/**
 * A kafkajs consumer of `group` reads `topic` from the beginning, committing after each message,
 * until OffsetFetch answers `perPartition` for every partition; then it leaves.
 */
export async function consumeAndCommit(kafka: Kafka, group: string, topic: string, perPartition: number): Promise<void> {
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommitThreshold: 1, eachMessage: async () => undefined });
    await waitFor('the group to commit every message', async () => {
      // A coordinator still loading answers with an error: ask again.
      const offsets = await committedOffsets(kafka, group, topic).catch(() => ({}));
      const values = Object.values(offsets);
      return values.length > 0 && values.every((offset) => offset === String(perPartition)) ? true : undefined;
    }, 60_000);
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Kills the broker that leads `__consumer_offsets-<partition>`: another replica takes the shard
 * over, and its load fails. Kafka's own line, naming the broker now failing.
 */
export async function killShardLeaderUntilLoadFails(real: RealKafka, partition: number): Promise<RealBrokerLogEntry> {
  const admin = clientFor(liveBootstrap(real)).admin();
  await admin.connect();
  let leader: number;
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
    leader = metadata.topics[0]!.partitions.find((p) => p.partitionId === partition)!.leader;
  } finally {
    await admin.disconnect();
  }
  await real.killBroker(leader);
  return real.waitForLog(new RegExp(`Failed to load metadata from __consumer_offsets-${partition}\\b`), { timeoutMs: 60_000 });
}

/** The offsets `group` has committed on `topic`, as [partition, offset]; empty when it has none. */
export async function storedOffsets(port: KafkaPort, group: string, topic: string): Promise<Array<[number, bigint]>> {
  return (await port.fetchCommittedOffsets(group, [topic])).filter((e) => e.offset >= 0n).map((e) => [e.partition, e.offset]);
}

/** A group named `<group>-<infix>-<n>` whose shard is led by a live broker other than `failingBroker`. */
export async function targetOnHealthyShard(port: KafkaPort, real: RealKafka, options: { group: string; infix: string; failingBroker: number; offsetsPartitions: number }): Promise<string> {
  const leaders = new Map((await port.metadata(['__consumer_offsets'])).topics[0]!.partitions.map((p) => [p.partition, p.leader]));
  const healthy = (name: string): boolean => {
    const leader = leaders.get(partitionForGroup(name, options.offsetsPartitions)) ?? -1;
    return leader !== options.failingBroker && real.brokers.some((b) => b.running && b.id === leader);
  };
  const found = Array.from({ length: 50 }, (_, i) => `${options.group}-${options.infix}-${i}`).find(healthy);
  if (found === undefined) throw new Error(`no ${options.group}-${options.infix}-<n> up to 49 has a shard on a healthy broker`);
  return found;
}

/** What Diagnose's log search finds in every broker's lines, served as CloudWatch Logs streams `<clusterName>-Broker-<id>`. */
export function brokerLogFindings(real: RealKafka, clusterName: string): LogFinding[] {
  return aggregateFindings(real.logEntries().map((entry) => ({ logStreamName: `${clusterName}-Broker-${entry.brokerId}`, timestamp: Date.parse(entry.time), message: entry.text })));
}
