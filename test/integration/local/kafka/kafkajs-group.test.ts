import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { dumpOffsetsPartition, offsetsFromDump } from './coordinator-test-helpers.ts';
import { killChildren } from './helpers.ts';

const OFFSETS_PARTITIONS = 8;

describe('kafkajs consumer groups and admin against the group coordinator', () => {
  let local: LocalCluster;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 2 });
    kafka = new Kafka({ clientId: 'coordinator-test', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'payments', numPartitions: 4 }] });
    producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'payments', messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  });

  afterAll(async () => {
    for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    killChildren();
    await local?.stop();
  });

  /** Starts a consumer of `payments` in `groupId` and resolves once it has seen `count` messages. */
  async function consumeAll(groupId: string, count: number): Promise<Consumer> {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: 'payments', fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`saw ${seen} of ${count} messages`)), 25_000);
      void consumer
        .run({
          autoCommitInterval: 100,
          eachMessage: async () => {
            seen += 1;
            if (seen === count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return consumer;
  }

  const endOffsets = (): Record<string, string> =>
    Object.fromEntries(local.cluster.topic('payments')!.partitions.map((p) => [`payments-${p.partition}`, String(p.log.logEndOffset)]));

  it('two consumers share the partitions through a real rebalance, commit, and leave the group Empty', async () => {
    const groupId = 'kjs-pair';
    const first = await consumeAll(groupId, 40);
    const second = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    consumers.push(second);
    const joined = new Promise<{ memberAssignment: Record<string, number[]> }>((resolve) =>
      second.on(second.events.GROUP_JOIN, (event) => resolve(event.payload)),
    );
    await second.connect();
    await second.subscribe({ topic: 'payments', fromBeginning: true });
    void second.run({ eachMessage: async () => undefined });
    const secondJoin = await joined;
    expect(secondJoin.memberAssignment['payments']?.length).toBe(2);

    const described = await admin.describeGroups([groupId]);
    expect(described.groups[0]).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer', errorCode: 0 });
    expect(described.groups[0]?.members).toHaveLength(2);

    await first.disconnect();
    await second.disconnect();
    const offsets = await admin.fetchOffsets({ groupId, topics: ['payments'] });
    expect(Object.fromEntries(offsets[0]!.partitions.map((p) => [`payments-${p.partition}`, p.offset]))).toEqual(endOffsets());
    expect((await admin.describeGroups([groupId])).groups[0]).toMatchObject({ state: 'Empty', members: [] });

    const dump = await dumpOffsetsPartition(local.bootstrapServers.join(','), partitionForGroup(groupId, OFFSETS_PARTITIONS));
    expect(offsetsFromDump(dump, groupId)).toEqual(endOffsets());
    const generations = dump.flatMap((r) => (r.decoded.kind === 'group-metadata' && !r.decoded.tombstone ? [r.decoded.value.generation] : []));
    expect(generations.length).toBeGreaterThanOrEqual(3);
    expect(generations).toEqual([...generations].sort((a, b) => a - b));
  });

  it('admin: listGroups, setOffsets, fetchOffsets, deleteGroups (NON_EMPTY_GROUP while members remain)', async () => {
    await admin.setOffsets({ groupId: 'kjs-seeded', topic: 'payments', partitions: [{ partition: 0, offset: '3' }, { partition: 3, offset: '1' }] });
    const fetched = await admin.fetchOffsets({ groupId: 'kjs-seeded', topics: ['payments'] });
    expect(fetched[0]!.partitions.map((p) => [p.partition, p.offset])).toEqual([[0, '3'], [1, '-1'], [2, '-1'], [3, '1']]);

    const busy = await consumeAll('kjs-busy', 40);
    const listed = await admin.listGroups();
    expect(listed.groups).toEqual(expect.arrayContaining([
      { groupId: 'kjs-seeded', protocolType: 'consumer' },
      { groupId: 'kjs-busy', protocolType: 'consumer' },
    ]));
    await expect(admin.deleteGroups(['kjs-busy'])).rejects.toMatchObject({ groups: [{ groupId: 'kjs-busy', errorCode: 68 }] });
    await busy.disconnect();
    await admin.deleteGroups(['kjs-busy', 'kjs-seeded']);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toEqual(expect.arrayContaining(['kjs-busy']));
    const after = await admin.fetchOffsets({ groupId: 'kjs-seeded', topics: ['payments'] });
    expect(after[0]!.partitions.every((p) => p.offset === '-1')).toBe(true);

    const dump = await dumpOffsetsPartition(local.bootstrapServers.join(','), partitionForGroup('kjs-seeded', OFFSETS_PARTITIONS));
    expect(offsetsFromDump(dump, 'kjs-seeded')).toEqual({});
    expect(dump.filter((r) => r.decoded.kind === 'group-metadata' && r.decoded.group === 'kjs-seeded').at(-1)?.decoded).toMatchObject({ tombstone: true });
  });
});
