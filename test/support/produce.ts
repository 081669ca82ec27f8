/**
 * Messages produced to each partition of a topic with values a test can list again when it
 * checks what a consumer read: `<prefix>-<partition>-<index>`.
 */
import type { Kafka } from 'kafkajs';
import { untilAccepted } from './wait.ts';

export interface PerPartition {
  partitions: number;
  /** values are `<prefix>-<partition>-<index>` */
  prefix: string;
  /** the first index (the messages produced before) */
  from: number;
  count: number;
}

function valuesOf(spec: PerPartition, partition: number): string[] {
  return Array.from({ length: spec.count }, (_, i) => `${spec.prefix}-${partition}-${spec.from + i}`);
}

/** The values produceToEachPartition sends, partition by partition: what a suite later expects to read. */
export function messageValues(spec: PerPartition): string[] {
  return Array.from({ length: spec.partitions }, (_, p) => valuesOf(spec, p)).flat();
}

/**
 * `count` messages to each partition with acks=all, retrying only the clean refusals of a cluster
 * that has just created the topic or lost a broker (untilAccepted).
 */
export async function produceToEachPartition(kafka: Kafka, topic: string, spec: PerPartition): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let p = 0; p < spec.partitions; p++) {
      const messages = valuesOf(spec, p).map((value) => ({ partition: p, value }));
      await untilAccepted('producing to the topic', () => producer.send({ topic, acks: -1, messages }));
    }
  } finally {
    await producer.disconnect();
  }
}
