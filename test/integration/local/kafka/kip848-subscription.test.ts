/**
 * A KIP-848 group's subscription on the local cluster's 4.1 profile, read the way an operator
 * reads it: the records a real Apache Kafka 4.1.1 coordinator wrote when a confluent-kafka
 * consumer joined (test/support/kip848-records.ts) appended to the group's `__consumer_offsets`
 * partition through the `__admin_client` client id, then the scan through the production Kafka
 * port (kafkajs) and the CLI's `offsets`: the member subscribed to a topic it has not committed
 * to yet, so every partition of it is MISSING and the result incomplete.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { checkCompleteness, readCommittedOffsets } from '../../../../lambdas/core/operations/index.ts';
import type { KafkaPort } from '../../../../lambdas/core/ports.ts';
import { createKafkaPort } from '../../../../lambdas/kafka/index.ts';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { capturedRecord, KAFKA_4_1_1_BY_NAME } from '../../../support/kip848-records.ts';
import { runCliInProcess } from '../../../support/run-cli.ts';

const OFFSETS_PARTITIONS = 6;
const { group: GROUP, topic: TOPIC, records } = KAFKA_4_1_1_BY_NAME;
/** The member joined and was assigned; it has not committed yet. */
const JOINED = records.slice(0, 5);

describe('a KIP-848 group\'s subscription on the local 4.1 profile', () => {
  let local: LocalCluster;
  let port: KafkaPort;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 1, kafkaVersion: '4.1' });
    local.cluster.createTopic(TOPIC, { partitions: 3, replicationFactor: 3 });
    const producer = new Kafka({ clientId: '__admin_client', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let p = 0; p < 3; p++) await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 4 }, (_, i) => ({ partition: p, value: `m-${p}-${i}` })) });
      const partition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
      await producer.send({ topic: '__consumer_offsets', acks: -1, messages: JOINED.map((record) => ({ partition, ...capturedRecord(record) })) });
    } finally {
      await producer.disconnect();
    }
    port = createKafkaPort({ brokers: local.bootstrapServers, clientId: 'kip848-subscription' });
  });

  afterAll(async () => {
    await port?.close();
    await local?.stop();
  });

  it('is read from the members\' records and holds the group to every partition of the subscribed topic', async () => {
    const result = await readCommittedOffsets(port, GROUP);
    expect(result.offsets).toEqual({});
    expect(result.subscription).toMatchObject({ source: 'window', topics: [TOPIC] });
    expect(result.groupMetadata).toMatchObject({ protocolType: 'consumer', state: 'Stable', generation: 1, members: 1, subscribedTopics: [TOPIC] });
    const report = await checkCompleteness(port, result);
    expect(report.complete).toBe(false);
    expect(report.issues.map((i) => [i.kind, i.topic, i.partition, i.logEndOffset])).toEqual([0, 1, 2].map((p) => ['MISSING_PARTITION', TOPIC, p, '4']));
  });

  it('shows in the CLI\'s offsets as group metadata with its subscription, incomplete (exit 4)', async () => {
    const { code, out, err } = await runCliInProcess(['offsets', GROUP, '--bootstrap', local.bootstrapServers.join(',')]);
    expect({ code, err }).toMatchObject({ code: 4 });
    expect(out).toContain(`group metadata: consumer/-, state Stable, generation 1, 1 member(s), subscribed ${TOPIC}`);
    expect(out.match(/MISSING/g)?.length).toBeGreaterThanOrEqual(3);
  });
});
