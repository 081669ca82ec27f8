import type { Kafka } from 'kafkajs';

/**
 * A group's committed offsets on `topic` as OffsetFetch answers them to kafkajs's admin (the
 * application's view): partition -> offset, "-1" where the group has none.
 */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [answer] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((answer?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}
