/**
 * The Kafka adapter (lambdas/kafka) against the local cluster: every KafkaPort method, with
 * offsets committed by real kafkajs clients, and the failure modes the scanner relies on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, Kafka } from 'kafkajs';
import { kafkaErrorName } from '../../../lambdas/core/errors.ts';
import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import type { LocalCluster } from '../../../local/kafka/index.ts';
import { OFFSETS_PARTITIONS, consumeAll, createTopic, produce, realClient, startCluster, waitFor } from './helpers.ts';
import { failure } from '../../support/rejection.ts';

let cluster: LocalCluster;
let kafka: Kafka;
let port: KafkaPort;
let consumer: Consumer | undefined;


beforeAll(async () => {
  cluster = await startCluster();
  kafka = realClient(cluster);
  await createTopic(kafka, 'orders', 3);
  await produce(kafka, 'orders', 3, 4);
  port = createKafkaPort({ brokers: cluster.bootstrapServers, clientId: 'adapter-it' });
});

afterAll(async () => {
  await consumer?.disconnect();
  await port?.close();
  await cluster?.stop();
});

describe('metadata', () => {
  it('describes brokers and topics, __consumer_offsets included, without creating anything', async () => {
    const metadata = await port.metadata();
    expect(metadata.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3]);
    const offsets = metadata.topics.find((t) => t.name === '__consumer_offsets');
    expect(offsets?.isInternal).toBe(true);
    expect(offsets?.partitions).toHaveLength(OFFSETS_PARTITIONS);
    // Metadata v7+ carries the leader epoch.
    expect(offsets?.partitions.every((p) => p.leaderEpoch >= 0)).toBe(true);
    expect((await port.metadata(['orders', 'never-created'])).topics.map((t) => t.name)).toEqual(['orders']);
    expect((await port.metadata()).topics.some((t) => t.name === 'never-created')).toBe(false);
  });
});

describe('concurrency', () => {
  it('makes a call that arrives during another call\'s connection handshake wait for it', async () => {
    // A slow ApiVersions holds the handshake open after the socket is up: the window in which
    // a second caller must not use the half-initialised connection.
    const slow = cluster.faults.slowResponses({ apiKey: 18, delayMs: 300 });
    const fresh = createKafkaPort({ brokers: cluster.bootstrapServers });
    try {
      const first = fresh.metadata();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [metadata, again] = await Promise.all([first, fresh.metadata()]);
      expect(again.brokers).toEqual(metadata.brokers);
    } finally {
      cluster.faults.clearNetworkFault(slow.id);
      await fresh.close();
    }
  });
});

describe('offsets of a data topic', () => {
  it('lists earliest, latest and by timestamp', async () => {
    expect((await port.listOffsets('orders', [0, 1, 2], { kind: 'latest' })).map((o) => o.offset)).toEqual([4n, 4n, 4n]);
    expect((await port.listOffsets('orders', [2], { kind: 'earliest' }))[0]?.offset).toBe(0n);
    expect((await port.listOffsets('orders', [1], { kind: 'timestamp', timestamp: 0n }))[0]?.offset).toBe(0n);
    // Nothing was written in the future: the answer is the log end, not -1.
    expect((await port.listOffsets('orders', [1], { kind: 'timestamp', timestamp: BigInt(Date.now() + 3_600_000) }))[0]).toEqual({ partition: 1, offset: 4n, timestamp: -1n });
  });

  it('fetches raw record batches from the leader', async () => {
    const result = await port.fetch({ topic: 'orders', partition: 0, offset: 0n, maxBytes: 1 << 20, isolation: 'read_committed', maxWaitMs: 0 });
    expect(result.highWatermark).toBe(4n);
    expect(result.logStartOffset).toBe(0n);
    // RecordBatch v2: baseOffset int64, length int32, leader epoch int32, magic 2 at byte 16.
    expect(result.records.readBigInt64BE(0)).toBe(0n);
    expect(result.records.readInt8(16)).toBe(2);
    expect(result.records.includes(Buffer.from('v3'))).toBe(true);
  });
});

describe('a group committed by a real kafkajs consumer', () => {
  const groupId = 'orders-service';

  beforeAll(async () => {
    consumer = await consumeAll(kafka, groupId, 'orders', 12);
  });

  // Later tests need the group empty (standalone commits are refused while it has members).
  afterAll(async () => {
    await consumer?.disconnect();
    consumer = undefined;
  });

  it('finds the coordinator: the leader of the group\'s __consumer_offsets partition', async () => {
    const coordinator = await port.findCoordinator(groupId);
    const offsets = (await port.metadata(['__consumer_offsets'])).topics[0];
    const partition = partitionForGroup(groupId, OFFSETS_PARTITIONS);
    expect(coordinator.nodeId).toBe(offsets?.partitions[partition]?.leader);
  });

  it('describes the Stable group with its member', async () => {
    const group = await port.describeGroup(groupId);
    expect(group).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer' });
    expect(group.members).toHaveLength(1);
  });

  it('reads the committed offsets through the coordinator', async () => {
    const committed = await port.fetchCommittedOffsets(groupId);
    expect(committed.map((c) => [c.topic, c.partition, c.offset])).toEqual([
      ['orders', 0, 4n],
      ['orders', 1, 4n],
      ['orders', 2, 4n],
    ]);
  });

  it('refuses a standalone commit while the group has members, per partition', async () => {
    const results = await port.commitOffsets(groupId, [{ topic: 'orders', partition: 0, offset: 1n }]);
    expect(results[0]?.errorName).not.toBeNull();
    expect((await port.fetchCommittedOffsets(groupId, ['orders']))[0]?.offset).toBe(4n);
  });

  it('fetches the group\'s records from __consumer_offsets group-less', async () => {
    const partition = partitionForGroup(groupId, OFFSETS_PARTITIONS);
    const [end] = await port.listOffsets('__consumer_offsets', [partition], { kind: 'latest' });
    expect(end?.offset).toBeGreaterThan(0n);
    const result = await port.fetch({ topic: '__consumer_offsets', partition, offset: 0n, maxBytes: 1 << 20, isolation: 'read_committed', maxWaitMs: 0 });
    expect(result.records.includes(Buffer.from(groupId))).toBe(true);
    expect(result.lastStableOffset).toBeLessThanOrEqual(result.highWatermark);
  });
});

describe('standalone commit to an empty group', () => {
  it('commits with generation -1 and no member, leader epoch and metadata included', async () => {
    const groupId = 'orders-service-recovered';
    const results = await port.commitOffsets(groupId, [
      { topic: 'orders', partition: 2, offset: 3n, leaderEpoch: 6, metadata: 'recovered' },
      { topic: 'orders', partition: 0, offset: 2n ** 40n },
    ]);
    expect(results).toEqual([
      { topic: 'orders', partition: 0, errorName: null },
      { topic: 'orders', partition: 2, errorName: null },
    ]);
    const committed = await port.fetchCommittedOffsets(groupId, ['orders']);
    expect(committed.map((c) => [c.partition, c.offset, c.metadata])).toEqual([
      [0, 2n ** 40n, ''],
      [1, -1n, committed[1]?.metadata],
      [2, 3n, 'recovered'],
    ]);
    // The leader epoch goes out in OffsetCommit v6+ and comes back in OffsetFetch v5+.
    expect(committed.map((c) => c.leaderEpoch)).toEqual([-1, -1, 6]);

    // A real kafkajs admin sees the same commit.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const seen = await admin.fetchOffsets({ groupId, topics: ['orders'] });
      expect(seen[0]?.partitions.find((p) => p.partition === 2)?.offset).toBe('3');
    } finally {
      await admin.disconnect();
    }
  });
});

describe('close', () => {
  it('closes every connection it opened, on every broker', async () => {
    // A cluster of its own, so that no other client's connections are counted.
    const quiet = await startCluster();
    try {
      const connections = () => quiet.brokers.reduce((n, b) => n + b.connectionCount, 0);
      const own = createKafkaPort({ brokers: quiet.bootstrapServers });
      // Touch every broker: metadata, then a Fetch from each partition leader.
      const partitions = (await own.metadata(['__consumer_offsets'])).topics[0]?.partitions ?? [];
      for (const p of partitions) await own.fetch({ topic: '__consumer_offsets', partition: p.partition, offset: 0n, maxBytes: 1024, isolation: 'read_committed', maxWaitMs: 0 });
      expect(quiet.brokers.every((b) => b.connectionCount > 0)).toBe(true);
      await own.close();
      await waitFor('the brokers to see the connections close', () => (connections() === 0 ? true : undefined), 5000);
      await expect(own.metadata()).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE' });
    } finally {
      await quiet.stop();
    }
  });
});

describe('faults', () => {
  it('reports NOT_COORDINATOR from a FAILED shard while FindCoordinator and Fetch still work', async () => {
    const groupId = 'orders-service'; // committed by the real consumer above, now gone
    const partition = partitionForGroup(groupId, OFFSETS_PARTITIONS);
    await cluster.faults.failCoordinator(partition);
    try {
      expect(kafkaErrorName(await failure(port.describeGroup(groupId)))).toBe('NOT_COORDINATOR');
      expect(kafkaErrorName(await failure(port.fetchCommittedOffsets(groupId)))).toBe('NOT_COORDINATOR');
      const commit = await port.commitOffsets(groupId, [{ topic: 'orders', partition: 1, offset: 1n }]);
      expect(commit[0]?.errorName).toBe('NOT_COORDINATOR');
      expect((await port.findCoordinator(groupId)).nodeId).toBeGreaterThan(0);
      const fetched = await port.fetch({ topic: '__consumer_offsets', partition, offset: 0n, maxBytes: 1 << 20, isolation: 'read_committed', maxWaitMs: 0 });
      expect(fetched.records.includes(Buffer.from(groupId))).toBe(true);
    } finally {
      await cluster.faults.healCoordinator(partition);
    }
  });

  it('follows a leader move after refreshMetadata', async () => {
    const initially = (await port.metadata(['orders'])).topics[0]?.partitions[1];
    const before = initially?.leader as number;
    const to = before === 3 ? 1 : before + 1;
    cluster.faults.moveLeader(1, to, 'orders');
    const stale = await failure(port.fetch({ topic: 'orders', partition: 1, offset: 0n, maxBytes: 1 << 16, isolation: 'read_committed', maxWaitMs: 0 }));
    expect(kafkaErrorName(stale)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(stale.retryable).toBe(true);
    await port.refreshMetadata();
    const moved = (await port.metadata(['orders'])).topics[0]?.partitions[1];
    expect(moved?.leader).toBe(to);
    expect(moved?.leaderEpoch).toBeGreaterThan(initially?.leaderEpoch as number);
    const result = await port.fetch({ topic: 'orders', partition: 1, offset: 0n, maxBytes: 1 << 16, isolation: 'read_committed', maxWaitMs: 0 });
    expect(result.highWatermark).toBe(4n);
  });

  it('says KAFKA_UNAVAILABLE, retryable, when no bootstrap broker answers', async () => {
    const dead = createKafkaPort({ brokers: ['127.0.0.1:1'], connectionTimeoutMs: 2000 });
    try {
      const error = await failure(dead.metadata());
      expect(error.code).toBe('KAFKA_UNAVAILABLE');
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('127.0.0.1:1');
    } finally {
      await dead.close();
    }
  });

  it('answers metadata from the remaining brokers when one is stopped, and the stopped broker\'s partitions move', async () => {
    const fresh = createKafkaPort({ brokers: cluster.bootstrapServers });
    try {
      await fresh.metadata();
      await cluster.faults.stopBroker(3);
      try {
        await fresh.refreshMetadata();
        const metadata = await fresh.metadata(['orders']);
        expect(metadata.topics[0]?.partitions.every((p) => p.leader !== 3)).toBe(true);
        const latest = await fresh.listOffsets('orders', [0, 1, 2], { kind: 'latest' });
        expect(latest.map((l) => l.offset)).toEqual([4n, 4n, 4n]);
      } finally {
        await cluster.faults.startBroker(3);
      }
    } finally {
      await fresh.close();
    }
  });
});
