/** Shared set-up for the toolkit integration tests: a local cluster, real kafkajs clients, and polling helpers. */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { startLocalCluster, type LocalCluster } from '../../../local/kafka/index.ts';
import { waitFor } from '../../support/wait.ts';

/** Not 50 on purpose: every group -> partition mapping must come from metadata. */
export const OFFSETS_PARTITIONS = 12;

export async function startCluster(): Promise<LocalCluster> {
  return startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS });
}

export function realClient(cluster: LocalCluster, clientId = 'toolkit-it'): Kafka {
  return new Kafka({ clientId, brokers: cluster.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
}

export async function createTopic(kafka: Kafka, topic: string, numPartitions: number, replicationFactor = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Produces `perPartition` messages to each partition; returns the log end per partition. */
export async function produce(kafka: Kafka, topic: string, partitions: number, perPartition: number): Promise<number[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let partition = 0; partition < partitions; partition++) {
      await producer.send({ topic, messages: Array.from({ length: perPartition }, (_, i) => ({ partition, key: `k${i}`, value: `v${i}` })) });
    }
  } finally {
    await producer.disconnect();
  }
  return Array.from({ length: partitions }, () => perPartition);
}

// The shared bounded wait, offered here beside the cluster it usually waits on.
export { waitFor };

/**
 * A real consumer in `groupId` reads `messages` messages from `topic`, committing as it goes
 * (kafkajs's own commit path: JoinGroup, SyncGroup, OffsetCommit with its generation).
 * Returned running, so tests can look at a Stable group; disconnect it when done.
 */
export async function consumeAll(kafka: Kafka, groupId: string, topic: string, messages: number): Promise<Consumer> {
  // A short fetch wait lets disconnect() return at once instead of after kafkajs's 5 s long poll.
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100, retry: { retries: 5, initialRetryTime: 50 } });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await consumer.run({
    autoCommitThreshold: 1,
    eachMessage: async () => {
      seen += 1;
    },
  });
  await waitFor(`${groupId} to consume ${messages} messages`, () => (seen >= messages ? true : undefined), 30_000);
  return consumer;
}
