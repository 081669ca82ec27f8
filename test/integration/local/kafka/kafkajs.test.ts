import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type SASLOptions } from 'kafkajs';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { waitFor } from '../../../support/wait.ts';

describe('kafkajs against the local cluster', () => {
  let local: LocalCluster;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: 6, transactionPartitions: 2, coordinator: false });
    kafka = new Kafka({ clientId: 'kafkajs-test', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    try {
      await admin?.disconnect();
    } finally {
      await local?.stop();
    }
  });

  it('creates topics, lists them, and refuses a duplicate', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] })).toBe(true);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(['orders', '__consumer_offsets', '__transaction_state']));
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] })).toBe(false);
    const metadata = await admin.fetchTopicMetadata({ topics: ['orders'] });
    expect(metadata.topics[0]!.partitions.map((p) => p.leader).sort()).toEqual([1, 2, 3]);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'orders' }], includeSynonyms: false });
    const policy = configs.resources[0]!.configEntries.find((e) => e.configName === 'cleanup.policy');
    expect(policy?.configValue).toBe('compact');
  });

  it('produces with acks -1, 1 and 0 and reports offsets', async () => {
    await admin.createTopics({ topics: [{ topic: 'produced', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    const first = await producer.send({ topic: 'produced', acks: -1, messages: [{ key: 'a', value: '1', timestamp: '1000' }, { key: 'b', value: '2', timestamp: '2000' }] });
    expect(first[0]).toMatchObject({ topicName: 'produced', partition: 0, errorCode: 0, baseOffset: '0' });
    const second = await producer.send({ topic: 'produced', acks: 1, messages: [{ key: 'c', value: '3', timestamp: '3000' }] });
    expect(second[0]!.baseOffset).toBe('2');
    await producer.send({ topic: 'produced', acks: 0, messages: [{ key: 'd', value: '4', timestamp: '4000' }] });
    await producer.disconnect();
    // acks=0 has no answer to wait for: wait for the record to land in the log instead.
    await waitFor('the 4 produced messages in the log', () => (local.cluster.partition('produced', 0)!.log.logEndOffset === 4 ? true : undefined), 15_000);
    expect(await admin.fetchTopicOffsets('produced')).toEqual([{ partition: 0, offset: '4', high: '4', low: '0' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp('produced', 2500)).toEqual([{ partition: 0, offset: '2' }]);
    // past the newest record kafkajs falls back to the latest offset
    expect(await admin.fetchTopicOffsetsByTimestamp('produced', 99_999)).toEqual([{ partition: 0, offset: '4' }]);
  });

  it('keeps a topic\'s max.message.bytes and refuses a larger batch with MESSAGE_TOO_LARGE', async () => {
    await admin.createTopics({ topics: [{ topic: 'bounded', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1000' }] }] });
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'bounded' }], includeSynonyms: false });
    expect(configs.resources[0]!.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue).toBe('1000');
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'bounded', messages: [{ value: 'x'.repeat(2000) }] })).rejects.toThrow(/larger than the max message size/);
      const [accepted] = await producer.send({ topic: 'bounded', acks: -1, messages: [{ value: 'x'.repeat(100) }] });
      expect(accepted).toMatchObject({ errorCode: 0, baseOffset: '0' });
    } finally {
      await producer.disconnect();
    }
    expect(local.cluster.partition('bounded', 0)!.log.logEndOffset).toBe(1);
  });

  it('refuses client writes to internal topics', async () => {
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: '__consumer_offsets', messages: [{ value: 'x', partition: 0 }] })).rejects.toThrow(/operation on an invalid topic/);
    } finally {
      await producer.disconnect();
    }
    expect(local.cluster.partition('__consumer_offsets', 0)!.log.logEndOffset).toBe(0);
    // As on a real broker, the admin client id may append to them.
    const admin = new Kafka({ clientId: '__admin_client', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING }).producer({ retry: { retries: 0 } });
    await admin.connect();
    try {
      const [result] = await admin.send({ topic: '__consumer_offsets', acks: -1, messages: [{ key: 'k', value: 'x', partition: 0 }] });
      expect(result).toMatchObject({ errorCode: 0, baseOffset: '0' });
    } finally {
      await admin.disconnect();
    }
    expect(local.cluster.partition('__consumer_offsets', 0)!.log.logEndOffset).toBe(1);
  });

  it('deletes a topic', async () => {
    await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 2 }] });
    await admin.deleteTopics({ topics: ['doomed'] });
    expect(await admin.listTopics()).not.toContain('doomed');
    expect(local.cluster.topic('doomed')).toBeUndefined();
  });

  it('moves a partition leader with a reassignment and a preferred election', async () => {
    await admin.createTopics({ topics: [{ topic: 'moving', numPartitions: 1, replicationFactor: 3 }] });
    const before = local.cluster.partition('moving', 0)!;
    const target = before.replicas.find((r) => r !== before.leader)!;
    await admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: [target, ...before.replicas.filter((r) => r !== target)] }] }] });
    const listed = await admin.listPartitionReassignments({});
    expect(listed.topics).toEqual([]);
    local.cluster.electPreferredLeaders([{ topic: 'moving', partition: 0 }]);
    const metadata = await admin.fetchTopicMetadata({ topics: ['moving'] });
    expect(metadata.topics[0]!.partitions[0]!.leader).toBe(target);
  });
});

describe('kafkajs SASL against the local cluster', () => {
  let local: LocalCluster;

  beforeAll(async () => {
    local = await startLocalCluster({
      brokers: 1,
      offsetsPartitions: 2,
      transactionPartitions: 1,
      coordinator: false,
      sasl: { plain: { alice: 'alice-secret' }, scramSha512: { bob: 'bob-secret' } },
    });
  });

  afterAll(async () => {
    await local?.stop();
  });

  const connectAs = async (sasl: SASLOptions): Promise<string[]> => {
    const kafka = new Kafka({ clientId: 'sasl-test', brokers: local.bootstrapServers, sasl, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    try {
      await admin.connect();
      return await admin.listTopics();
    } finally {
      await admin.disconnect();
    }
  };

  it('authenticates PLAIN and SCRAM-SHA-512 users', async () => {
    expect(await connectAs({ mechanism: 'plain', username: 'alice', password: 'alice-secret' })).toContain('__consumer_offsets');
    expect(await connectAs({ mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' })).toContain('__consumer_offsets');
  });

  it('rejects wrong passwords and unknown users', async () => {
    await expect(connectAs({ mechanism: 'plain', username: 'alice', password: 'nope' })).rejects.toThrow(/SASL PLAIN authentication failed|Authentication failed/i);
    await expect(connectAs({ mechanism: 'scram-sha-512', username: 'bob', password: 'nope' })).rejects.toThrow(/SASL SCRAM SHA512 authentication failed|invalid credentials/i);
    await expect(connectAs({ mechanism: 'scram-sha-512', username: 'mallory', password: 'x' })).rejects.toThrow();
  });
});
