import type { Kafka } from 'kafkajs';
import { waitFor } from './wait.ts';

/**
 * A consumer of `group` reads `topic` until every value of `expected` has arrived, then leaves;
 * answers everything it read, in arrival order. It starts from the beginning where the group has
 * no offset, so a missing or short seed shows as old messages read beside the expected ones.
 */
export async function readUntilAll(kafka: Kafka, group: string, topic: string, expected: readonly string[], timeoutMs = 60_000): Promise<string[]> {
  const values: string[] = [];
  // A short fetch wait lets disconnect() return at once instead of after kafkajs's 5 s long poll.
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? '') });
    await waitFor(`${group} to read ${expected.length} expected messages`, () => (expected.every((v) => values.includes(v)) ? true : undefined), timeoutMs);
  } finally {
    await consumer.disconnect();
  }
  return [...values];
}
