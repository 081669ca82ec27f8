import { describe, expect, it } from 'vitest';
import {
  affectedGroups,
  affectedPartitions,
  coordinatorFor,
  offsetsPartitionFor,
  offsetsPartitionForCount,
  readCommittedOffsets,
} from '../../../../lambdas/core/operations/index.ts';
import { InMemoryKafka } from '../../../support/in-memory-kafka.ts';
import { loadVectors } from '../../../support/shared-schemas.ts';

interface HashVector {
  groupId: string;
  partitionFor: Record<string, number>;
}
const vectors = loadVectors() as unknown as { hashVectors: HashVector[] };

describe('offsetsPartitionForCount', () => {
  it('maps every hash vector to its partition for every count', () => {
    // The empty id hashes fine, but Kafka refuses it as a group id (INVALID_GROUP_ID), so the operations do too.
    const named = vectors.hashVectors.filter((v) => v.groupId !== '');
    expect(named.length).toBeGreaterThan(5);
    for (const vector of named) {
      for (const [count, partition] of Object.entries(vector.partitionFor)) {
        expect(offsetsPartitionForCount(vector.groupId, Number(count))).toBe(partition);
      }
    }
    expect(offsetsPartitionForCount('polygenelubricants', 50)).toBe(0);
    expect(offsetsPartitionForCount('orders-service', 50)).toBe(17);
  });

  it('rejects an empty group id and a bad count, naming the field', () => {
    expect(() => offsetsPartitionForCount('', 50)).toThrow(/^groupId: expected a non-empty string/);
    expect(() => offsetsPartitionForCount('g', 0)).toThrow(/^partitionCount:/);
  });
});

describe('offsetsPartitionFor', () => {
  it('takes the partition count from metadata, not 50', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: 7 });
    expect(await offsetsPartitionFor(kafka, 'orders-service')).toBe(2);
    expect(await offsetsPartitionFor(new InMemoryKafka({ offsetsPartitions: 50 }), 'orders-service')).toBe(17);
  });

  it('fails with NOT_FOUND when __consumer_offsets does not exist', async () => {
    await expect(offsetsPartitionFor(new InMemoryKafka({ offsetsPartitions: 0 }), 'g')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/__consumer_offsets does not exist/),
    });
  });

  it('rejects an empty group id before calling the cluster', async () => {
    const kafka = new InMemoryKafka();
    await expect(offsetsPartitionFor(kafka, '')).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^groupId:/) });
    expect(kafka.calls).toEqual([]);
  });
});

describe('coordinatorFor', () => {
  it('names the leader of the group partition from metadata, never asking the coordinator', async () => {
    const kafka = new InMemoryKafka({ brokers: 3, offsetsPartitions: 50 });
    expect(await coordinatorFor(kafka, 'orders-service')).toEqual({
      groupId: 'orders-service',
      partition: 17,
      brokerId: 3, // replicas rotate over brokers 1-3: partition 17 starts at broker 17 % 3 + 1
      brokerHost: 'b-3.test:9092',
    });
    kafka.moveLeader('__consumer_offsets', 17, 1);
    kafka.failedGroups.add('orders-service');
    expect(await coordinatorFor(kafka, 'orders-service')).toMatchObject({ brokerId: 1, brokerHost: 'b-1.test:9092' });
    expect(kafka.calls.every((c) => c === 'metadata')).toBe(true);
  });

  it('fails retryably for a leaderless partition and clearly for a leader missing from the broker list', async () => {
    const kafka = new InMemoryKafka({ brokers: 3, offsetsPartitions: 50 });
    kafka.moveLeader('__consumer_offsets', 17, -1);
    await expect(coordinatorFor(kafka, 'orders-service')).rejects.toMatchObject({
      code: 'KAFKA_ERROR',
      retryable: true,
      details: { kafkaErrorName: 'LEADER_NOT_AVAILABLE', partition: 17 },
    });
    kafka.moveLeader('__consumer_offsets', 17, 9);
    await expect(coordinatorFor(kafka, 'orders-service')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/broker 9 leads __consumer_offsets-17/),
    });
  });
});

describe('affectedPartitions', () => {
  it('lists the partitions a broker leads, sorted', async () => {
    const kafka = new InMemoryKafka({ brokers: 3, offsetsPartitions: 10 });
    expect(await affectedPartitions(kafka, 2)).toEqual([1, 4, 7]);
    kafka.moveLeader('__consumer_offsets', 9, 2);
    kafka.moveLeader('__consumer_offsets', 0, 2);
    expect(await affectedPartitions(kafka, 2)).toEqual([0, 1, 4, 7, 9]);
  });

  it('returns [] for an unknown broker and rejects a non-integer id', async () => {
    const kafka = new InMemoryKafka({ brokers: 3, offsetsPartitions: 10 });
    expect(await affectedPartitions(kafka, 42)).toEqual([]);
    await expect(affectedPartitions(kafka, 1.5)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^brokerId:/) });
    await expect(affectedPartitions(kafka, '2' as unknown as number)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('every operation on a cluster without __consumer_offsets', () => {
  it('fails with NOT_FOUND naming the topic, and reads or writes nothing else', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: 0 });
    const calls: [string, () => Promise<unknown>][] = [
      ['offsetsPartitionFor', () => offsetsPartitionFor(kafka, 'g')],
      ['coordinatorFor', () => coordinatorFor(kafka, 'g')],
      ['affectedPartitions', () => affectedPartitions(kafka, 1)],
      ['affectedGroups', () => affectedGroups(kafka, 0)],
      ['readCommittedOffsets', () => readCommittedOffsets(kafka, 'g')],
    ];
    for (const [name, call] of calls) {
      await expect(call(), name).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/__consumer_offsets does not exist/) });
    }
    expect(new Set(kafka.calls)).toEqual(new Set(['metadata']));
  });
});
