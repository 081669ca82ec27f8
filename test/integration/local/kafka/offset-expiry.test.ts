import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { createKafkaPort } from '../../../../lambdas/kafka/index.ts';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { committedOffsets } from '../../../support/committed-offsets.ts';
import { waitFor } from '../../../support/wait.ts';

const RETENTION_MS = 1_500;

/** Offset expiry by Kafka's rules, seen by kafkajs: short offsets.retention.ms and check interval. */
describe('offset expiry with kafkajs', () => {
  let local: LocalCluster;
  let kafka: Kafka;
  let admin: Admin;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 1, offsetsPartitions: 2, transactionPartitions: 1, offsetsRetentionMs: RETENTION_MS, offsetsRetentionCheckIntervalMs: 100 });
    kafka = new Kafka({ clientId: 'expiry-test', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'events', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await producer.disconnect();
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await local?.stop();
  });

  const committed = async (groupId: string): Promise<string | undefined> => (await committedOffsets(kafka, groupId, 'events'))[0];

  it('keeps a consumer group\'s offsets while it has members, then expires them a retention after it turned Empty', async () => {
    consumer = kafka.consumer({ groupId: 'readers', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    let seen = 0;
    await consumer.run({ autoCommit: false, eachMessage: async () => void (seen += 1) });
    await waitFor('the 3 messages to be read', () => (seen === 3 ? true : undefined), 15_000);
    await consumer.commitOffsets([{ topic: 'events', partition: 0, offset: '3' }]);
    const committedAt = Date.now();
    // Past the retention with a member in the group: a real broker keeps them, and so does this one.
    await waitFor('twice the retention to pass', () => (Date.now() - committedAt > RETENTION_MS * 2 ? true : undefined), 10_000);
    expect(await committed('readers')).toBe('3');

    // Taken before the LeaveGroup, so a correct expiry is never earlier than emptyAt + retention.
    const emptyAt = Date.now();
    await consumer.disconnect();
    consumer = undefined;
    // Committed long before the retention, yet the group only just turned Empty: still there.
    expect(await committed('readers')).toBe('3');
    await waitFor("readers' offsets to expire", async () => ((await committed('readers')) === '-1' ? true : undefined), 10_000);
    expect(Date.now() - emptyAt).toBeGreaterThanOrEqual(RETENTION_MS);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('readers');
  }, 30_000);

  it('expires a standalone commit (no group protocol) a retention after it was made', async () => {
    const port = createKafkaPort({ brokers: local.bootstrapServers, clientId: 'expiry-test' });
    try {
      const committedAt = Date.now();
      const results = await port.commitOffsets('tool', [{ topic: 'events', partition: 0, offset: 2n }]);
      expect(results.map((r) => r.errorName)).toEqual([null]);
      expect(await committed('tool')).toBe('2');
      await waitFor("tool's offsets to expire", async () => ((await committed('tool')) === '-1' ? true : undefined), 10_000);
      expect(Date.now() - committedAt).toBeGreaterThanOrEqual(RETENTION_MS);
    } finally {
      await port.close();
    }
  }, 30_000);
});
