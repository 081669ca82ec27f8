/**
 * The incident on one machine: a local cluster, a consumer group that consumed and committed,
 * its coordinator shard FAILED, and the AWS stand-ins describing that cluster. Also the
 * approver's side: reading the approval mail, opening and submitting the signed link.
 */
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import { startAwsStandins, type AwsStandins, type PublishedMessage } from '../../local/aws/index.ts';
import { startLocalCluster, type LocalCluster } from '../../local/kafka/index.ts';

// Bounded polling, the same as the toolkit integration tests use.
export { waitFor } from '../integration/toolkit/helpers.ts';

export const OFFSETS_PARTITIONS = 12;
export const TOPIC = 'orders';

export interface Incident {
  local: LocalCluster;
  aws: AwsStandins;
  kafka: Kafka;
  producer: Producer;
  stop(): Promise<void>;
}

export async function startIncidentEnvironment(): Promise<Incident> {
  const local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 2 });
  let aws: AwsStandins | undefined;
  let producer: Producer | undefined;
  try {
    aws = await startAwsStandins({ cluster: local, clusterName: 'orders-local' });
    local.cluster.createTopic(TOPIC, { partitions: 3 });
    const kafka = new Kafka({ clientId: 'e2e', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
    producer = kafka.producer();
    await producer.connect();
    const started = { local, aws, kafka, producer };
    return {
      ...started,
      stop: async () => {
        await started.producer.disconnect().catch(() => undefined);
        await started.aws.stop();
        await started.local.stop();
      },
    };
  } catch (error) {
    await producer?.disconnect().catch(() => undefined);
    await aws?.stop();
    await local.stop();
    throw error;
  }
}

export async function produce(producer: Producer, values: string[]): Promise<void> {
  await producer.send({ topic: TOPIC, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
}

/**
 * A consumer in `groupId` that collects every message value it gets, committing after each
 * one (kafkajs's own JoinGroup / SyncGroup / OffsetCommit path). Disconnect it when done.
 */
export async function startConsumer(kafka: Kafka, groupId: string): Promise<{ consumer: Consumer; values: string[] }> {
  // A short fetch wait lets disconnect() return at once instead of after kafkajs's 5 s long poll.
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100, retry: { retries: 5, initialRetryTime: 50 } });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    autoCommitThreshold: 1,
    eachMessage: async ({ message }) => {
      values.push(message.value?.toString() ?? '');
    },
  });
  return { consumer, values };
}

/** Committed offsets of a group on TOPIC, partition -> offset ("-1" when none). */
export async function committedOffsets(kafka: Kafka, groupId: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
    return Object.fromEntries((topic?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

/** A group name whose coordinator shard differs from `avoid`'s, so one failure does not hit both. */
export function groupOnAnotherShard(prefix: string, avoid: string): string {
  for (let i = 0; ; i++) {
    const name = `${prefix}-${i}`;
    if (partitionForGroup(name, OFFSETS_PARTITIONS) !== partitionForGroup(avoid, OFFSETS_PARTITIONS)) return name;
  }
}

/** The signed link and the CLI task token from the approval mail. */
export function approvalMailParts(mail: PublishedMessage): { link: string; taskToken: string } {
  const link = /(http:\/\/127\.0\.0\.1:\d+\/\?\S+)/.exec(mail.message)?.[1];
  const taskToken = /--task-token '([^']+)'/.exec(mail.message)?.[1];
  if (!link || !taskToken) throw new Error(`the approval mail has no link or task token:\n${mail.message}`);
  return { link, taskToken };
}
