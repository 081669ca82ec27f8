/**
 * read_committed recovery of transactional offset commits made by a real client: a kafkajs
 * transactional producer commits offsets for a group inside transactions (sendOffsets), one
 * aborted and one committed, around a plain commit; the group's coordinator then fails and the
 * offsets are read from the raw log.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { affectedGroups, offsetsPartitionFor, readCommittedOffsets } from '../../../lambdas/core/operations/index.ts';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import type { LocalCluster } from '../../../local/kafka/index.ts';
import { createTopic, realClient, startCluster } from './helpers.ts';

const GROUP = 'exactly-once-pipeline';

let cluster: LocalCluster;
let port: KafkaPort;
let producer: Producer | undefined;
let partition: number;

beforeAll(async () => {
  cluster = await startCluster();
  const kafka = realClient(cluster, 'transactions-it');
  await createTopic(kafka, 'source', 2);
  await createTopic(kafka, 'sink', 1);
  port = createKafkaPort({ brokers: cluster.bootstrapServers, clientId: 'transactions-it' });

  const plain = await port.commitOffsets(GROUP, [{ topic: 'source', partition: 0, offset: 3n }]);
  expect(plain.map((r) => r.errorName)).toEqual([null]);

  producer = kafka.producer({ transactionalId: 'pipeline-1', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const aborted = await producer.transaction();
  await aborted.send({ topic: 'sink', messages: [{ value: 'never seen' }] });
  await aborted.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: 'source', partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '4' }] }] });
  await aborted.abort();
  const kept = await producer.transaction();
  await kept.send({ topic: 'sink', messages: [{ value: 'kept' }] });
  await kept.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: 'source', partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '2' }] }] });
  await kept.commit();

  partition = await offsetsPartitionFor(port, GROUP);
  await cluster.faults.failCoordinator(partition);
});

afterAll(async () => {
  await producer?.disconnect();
  await port?.close();
  await cluster?.stop();
});

it('applies the committed transaction over the plain commit and drops the aborted one', async () => {
  const result = await readCommittedOffsets(port, GROUP);
  const offsets = Object.fromEntries(Object.entries(result.offsets['source'] ?? {}).map(([p, entry]) => [p, entry.offset]));
  expect(offsets).toEqual({ '0': '7', '1': '2' });
  expect(result.scan).toMatchObject({ complete: true, abortedRecords: 2, controlBatches: 2 });
});

it('lists the group on its partition with the topic it committed to', async () => {
  const result = await affectedGroups(port, partition);
  expect(result.groups.find((g) => g.groupId === GROUP)).toMatchObject({ topics: ['source'] });
});
