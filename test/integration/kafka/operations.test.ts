/**
 * Every core operation run through the Kafka adapter against the local cluster: offsets
 * committed by real kafkajs consumers, the group's coordinator shard FAILED, and the offsets
 * recovered from the raw __consumer_offsets log must equal what the coordinator had.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { kafkaErrorName } from '../../../lambdas/core/errors.ts';
import {
  affectedGroups,
  affectedPartitions,
  checkCompleteness,
  coordinatorFor,
  offsetsPartitionFor,
  offsetsPartitionForCount,
  readCommittedOffsets,
} from '../../../lambdas/core/operations/index.ts';
import type { CommittedOffsetEntry, KafkaPort } from '../../../lambdas/core/ports.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import type { LocalCluster } from '../../../local/kafka/index.ts';
import { OFFSETS_PARTITIONS, consumeAll, createTopic, produce, realClient, startCluster } from './helpers.ts';

const GROUP = 'orders-service';
const DELETED_GROUP = 'retired-service';

let cluster: LocalCluster;
let kafka: Kafka;
let port: KafkaPort;
let startedAt: number;
let committedBeforeFailure: CommittedOffsetEntry[];
let failedPartition: number;

beforeAll(async () => {
  startedAt = Date.now() - 1000;
  cluster = await startCluster();
  kafka = realClient(cluster);
  await createTopic(kafka, 'orders', 3);
  await createTopic(kafka, 'audit', 2);
  await produce(kafka, 'orders', 3, 5);
  await produce(kafka, 'audit', 2, 3);
  port = createKafkaPort({ brokers: cluster.bootstrapServers, clientId: 'operations-it' });

  const orders = await consumeAll(kafka, GROUP, 'orders', 15);
  await orders.disconnect();
  const retired = await consumeAll(kafka, DELETED_GROUP, 'audit', 6);
  await retired.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups([DELETED_GROUP]); // tombstones every offset of the group
  } finally {
    await admin.disconnect();
  }

  committedBeforeFailure = await port.fetchCommittedOffsets(GROUP);
  failedPartition = await offsetsPartitionFor(port, GROUP);
  await cluster.faults.failCoordinator(failedPartition);
});

afterAll(async () => {
  await port?.close();
  await cluster?.stop();
});

it('the coordinator really is FAILED for the group', async () => {
  await expect(port.describeGroup(GROUP)).rejects.toSatisfy((error) => kafkaErrorName(error) === 'NOT_COORDINATOR');
});

describe('coordinator lookup and blast radius', () => {
  it('maps the group to its partition with the count from metadata', async () => {
    expect(failedPartition).toBe(offsetsPartitionForCount(GROUP, OFFSETS_PARTITIONS));
    const location = await coordinatorFor(port, GROUP);
    expect(location.partition).toBe(failedPartition);
    const leader = (await port.metadata(['__consumer_offsets'])).topics[0]?.partitions[failedPartition]?.leader;
    expect(location.brokerId).toBe(leader);
    const broker = (await port.metadata()).brokers.find((b) => b.nodeId === leader);
    expect(location.brokerHost).toBe(`${broker?.host}:${broker?.port}`);
  });

  it('lists the partitions the coordinator\'s broker leads, the failed one among them', async () => {
    const { brokerId } = await coordinatorFor(port, GROUP);
    const partitions = await affectedPartitions(port, brokerId);
    expect(partitions).toContain(failedPartition);
    expect([...partitions].sort((a, b) => a - b)).toEqual(partitions);
    const all = (await Promise.all([1, 2, 3].map((id) => affectedPartitions(port, id)))).flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: OFFSETS_PARTITIONS }, (_, i) => i));
    expect(await affectedPartitions(port, 99)).toEqual([]);
  });
});

describe('reading the raw log', () => {
  it('finds the group on its partition, with topics, protocol and subscription', async () => {
    const result = await affectedGroups(port, failedPartition, { since: startedAt });
    const group = result.groups.find((g) => g.groupId === GROUP);
    expect(group).toMatchObject({ topics: ['orders'], protocolType: 'consumer' });
    expect(result.scan.complete).toBe(true);
    expect(result.groups.map((g) => g.groupId)).toEqual([...result.groups.map((g) => g.groupId)].sort());
  });

  it('leaves a deleted (fully tombstoned) group out', async () => {
    const partition = offsetsPartitionForCount(DELETED_GROUP, OFFSETS_PARTITIONS);
    const result = await affectedGroups(port, partition, { since: startedAt });
    expect(result.groups.map((g) => g.groupId)).not.toContain(DELETED_GROUP);
    expect((await readCommittedOffsets(port, DELETED_GROUP, { since: startedAt })).offsets).toEqual({});
  });

  it('recovers exactly the offsets the coordinator had before it failed', async () => {
    const result = await readCommittedOffsets(port, GROUP, { since: startedAt });
    expect(result.offsetsPartition).toBe(failedPartition);
    const recovered = Object.entries(result.offsets).flatMap(([topic, partitions]) => Object.entries(partitions).map(([partition, entry]) => [topic, Number(partition), entry.offset]));
    expect(recovered).toEqual(committedBeforeFailure.map((c) => [c.topic, c.partition, c.offset.toString()]));
    expect(recovered).toEqual([
      ['orders', 0, '5'],
      ['orders', 1, '5'],
      ['orders', 2, '5'],
    ]);
    // The consumer left cleanly, so the last group metadata record is an Empty group without members.
    expect(result.groupMetadata).toMatchObject({ protocolType: 'consumer', state: 'Empty', members: 0 });
  });

  it('sees nothing in a window that starts after the last commit', async () => {
    const later = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await affectedGroups(port, failedPartition, { since: later });
    expect(result.groups).toEqual([]);
  });

  it('refuses a partition out of range with a clear error', async () => {
    await expect(affectedGroups(port, OFFSETS_PARTITIONS, {})).rejects.toMatchObject({ code: expect.stringMatching(/PARTITION_OUT_OF_RANGE|INVALID_INPUT/) });
  });
});

describe('completeness', () => {
  it('is complete with zero lag when the group read everything', async () => {
    const report = await checkCompleteness(port, await readCommittedOffsets(port, GROUP, { since: startedAt }));
    expect(report.complete).toBe(true);
    expect(report.totalLag).toBe('0');
    expect(report.partitions.map((p) => p.status)).toEqual(['OK', 'OK', 'OK']);
  });

  it('reports lag once more is produced', async () => {
    await produce(kafka, 'orders', 3, 2);
    const report = await checkCompleteness(port, await readCommittedOffsets(port, GROUP, { since: startedAt }));
    expect(report.totalLag).toBe('6');
    expect(report.partitions.map((p) => p.lag)).toEqual(['2', '2', '2']);
  });
});
