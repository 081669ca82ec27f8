import { beforeEach, describe, expect, it } from 'vitest';
import { kafkaErrorName } from '../../../lambdas/core/errors.ts';
import { validateKafkaConfig } from '../../../lambdas/kafka/config.ts';
import { describeKafkaErrorCode } from '../../../lambdas/kafka/kafkajs-internals.ts';
import { WireKafkaPort } from '../../../lambdas/kafka/port.ts';
import { FakeWire } from './fake-wire.ts';
import { failure } from '../../support/rejection.ts';

let wire: FakeWire;
let port: WireKafkaPort;

function partitions(leaders: number[], extra: Partial<{ logStart: bigint; logEnd: bigint }> = {}) {
  return leaders.map((leader) => ({ leader, logStart: extra.logStart ?? 0n, logEnd: extra.logEnd ?? 100n }));
}


beforeEach(() => {
  wire = new FakeWire();
  wire.topics.set('__consumer_offsets', partitions([1, 2, 1, 2]));
  wire.topics.set('orders', partitions([2, 1]));
  port = new WireKafkaPort(validateKafkaConfig({ brokers: ['seed-a:9092', 'seed-b:9092'] }), wire, describeKafkaErrorCode);
});

describe('metadata', () => {
  it('sorts brokers, topics and partitions and leaves unknown topics out', async () => {
    const metadata = await port.metadata(['orders', 'gone', '__consumer_offsets']);
    expect(metadata.brokers.map((b) => b.nodeId)).toEqual([1, 2]);
    expect(metadata.topics.map((t) => t.name)).toEqual(['__consumer_offsets', 'orders']);
    expect(metadata.topics[0]?.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3]);
    expect(metadata.topics[0]?.isInternal).toBe(true);
    expect(metadata.clusterId).toBe('fake-cluster');
  });

  it('reports a partition without a leader as leader -1', async () => {
    wire.topics.set('orders', [{ leader: 7, errorCode: 5, logStart: 0n, logEnd: 0n }]);
    const metadata = await port.metadata(['orders']);
    expect(metadata.topics[0]?.partitions[0]?.leader).toBe(-1);
  });

  it('throws a named Kafka error for a topic the cluster refuses', async () => {
    wire.topicErrors.set('orders', 29);
    const error = await failure(port.metadata(['orders']));
    expect(kafkaErrorName(error)).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('moves on to the next bootstrap server when one is down, and says which were tried when all are', async () => {
    wire.down.add('seed-a:9092');
    await port.metadata();
    expect(wire.callsTo('metadata').map((c) => c.at)).toEqual(['seed-a:9092', 'seed-b:9092']);

    const fresh = new WireKafkaPort(validateKafkaConfig({ brokers: ['seed-a:9092'] }), wire, describeKafkaErrorCode);
    const error = await failure(fresh.metadata());
    expect(error.code).toBe('KAFKA_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('seed-a:9092');
  });

  it('tries a broker that just failed last', async () => {
    await port.metadata(); // learns b1 and b2
    wire.down.add('b1:9092');
    wire.down.add('b2:9092');
    await port.metadata();
    await port.metadata();
    const tried = wire.callsTo('metadata').slice(1).map((c) => c.at);
    // Second call: walks past the dead brokers to a seed; third call: the seed that answered first.
    expect(tried.slice(0, 3).sort()).toEqual(['b1:9092', 'b2:9092', 'seed-a:9092']);
    expect(tried[3]).toBe('seed-a:9092');
    expect(tried).toHaveLength(4);
  });

  it('refreshMetadata asks the cluster again and picks up a moved leader', async () => {
    expect((await port.metadata(['orders'])).topics[0]?.partitions[0]?.leader).toBe(2);
    wire.topics.set('orders', partitions([1, 1]));
    const before = wire.callsTo('metadata').length;
    await port.refreshMetadata();
    expect(wire.callsTo('metadata').length).toBe(before + 1);
    await port.fetch({ topic: 'orders', partition: 0, offset: 0n, maxBytes: 1024, isolation: 'read_committed' });
    expect(wire.callsTo('fetch')[0]?.at).toBe('b1:9092');
  });
});

describe('listOffsets', () => {
  it('asks each partition leader for its own partitions and returns them sorted', async () => {
    const listed = await port.listOffsets('__consumer_offsets', [3, 0, 1], { kind: 'latest' });
    expect(listed.map((l) => [l.partition, l.offset])).toEqual([[0, 100n], [1, 100n], [3, 100n]]);
    expect(wire.callsTo('listOffsets').map((c) => c.at).sort()).toEqual(['b1:9092', 'b2:9092']);
    expect(wire.callsTo('listOffsets').every((c) => (c.args as { isolationLevel: number }).isolationLevel === 0)).toBe(true);
  });

  it('uses the log end when no record is at or after the timestamp', async () => {
    wire.topics.set('orders', [{ leader: 2, logStart: 10n, logEnd: 2n ** 53n + 1n, offsetForTime: (t) => (t < 1000n ? 42n : -1n) }]);
    expect(await port.listOffsets('orders', [0], { kind: 'timestamp', timestamp: 500n })).toEqual([{ partition: 0, offset: 42n, timestamp: 500n }]);
    expect(await port.listOffsets('orders', [0], { kind: 'timestamp', timestamp: 5000n })).toEqual([{ partition: 0, offset: 2n ** 53n + 1n, timestamp: -1n }]);
    expect((await port.listOffsets('orders', [0], { kind: 'earliest' }))[0]?.offset).toBe(10n);
  });

  it('retries once on fresh metadata when the leader moved', async () => {
    await port.metadata(['orders']);
    wire.topics.set('orders', partitions([1, 1]));
    const listed = await port.listOffsets('orders', [0], { kind: 'latest' });
    expect(listed[0]?.offset).toBe(100n);
    expect(wire.callsTo('listOffsets').map((c) => c.at)).toEqual(['b2:9092', 'b1:9092']);
  });

  it('rejects partitions that do not exist and bad specs, naming the field', async () => {
    expect((await failure(port.listOffsets('orders', [5], { kind: 'latest' }))).code).toBe('PARTITION_OUT_OF_RANGE');
    expect((await failure(port.listOffsets('orders', [-1], { kind: 'latest' }))).details['field']).toBe('partitions[0]');
    expect((await failure(port.listOffsets('orders', [0], { kind: 'timestamp', timestamp: -3n }))).details['field']).toBe('spec.timestamp');
    expect((await failure(port.listOffsets('nope', [0], { kind: 'latest' }))).code).toBe('NOT_FOUND');
  });
});

describe('fetch', () => {
  it('fetches from the leader and hands back the raw bytes and transaction state', async () => {
    const records = Buffer.from('raw batch bytes');
    wire.topics.set('__consumer_offsets', [{ leader: 2, logStart: 3n, logEnd: 2n ** 63n - 2n, records }]);
    const result = await port.fetch({ topic: '__consumer_offsets', partition: 0, offset: 2n ** 53n + 1n, maxBytes: 65536, isolation: 'read_committed', maxWaitMs: 0 });
    expect(result.records).toBe(records);
    expect(result.highWatermark).toBe(2n ** 63n - 2n);
    expect(result.logStartOffset).toBe(3n);
    expect(result.abortedTransactions).toEqual([{ producerId: 2n ** 62n, firstOffset: 5n }]);
    const sent = wire.callsTo('fetch')[0];
    expect(sent?.at).toBe('b2:9092');
    expect(sent?.args).toMatchObject({ isolationLevel: 1, fetchOffset: 2n ** 53n + 1n, maxWaitMs: 0, partitionMaxBytes: 65536 });
  });

  it('reports a stale leader as a retryable NOT_LEADER_OR_FOLLOWER and looks the leader up again next time', async () => {
    await port.metadata(['orders']);
    wire.topics.set('orders', partitions([1, 1]));
    const error = await failure(port.fetch({ topic: 'orders', partition: 0, offset: 0n, maxBytes: 1024, isolation: 'read_committed' }));
    expect(kafkaErrorName(error)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(error.retryable).toBe(true);
    expect(error.details).toMatchObject({ topic: 'orders', partition: 0, offset: '0' });
    await port.fetch({ topic: 'orders', partition: 0, offset: 0n, maxBytes: 1024, isolation: 'read_committed' });
    expect(wire.callsTo('fetch').map((c) => c.at)).toEqual(['b2:9092', 'b1:9092']);
  });

  it('says LEADER_NOT_AVAILABLE when the partition has no leader', async () => {
    wire.topics.set('orders', [{ leader: -1, errorCode: 5, logStart: 0n, logEnd: 0n }]);
    const error = await failure(port.fetch({ topic: 'orders', partition: 0, offset: 0n, maxBytes: 1024, isolation: 'read_committed' }));
    expect(kafkaErrorName(error)).toBe('LEADER_NOT_AVAILABLE');
    expect(wire.callsTo('fetch')).toEqual([]);
  });

  it('passes OFFSET_OUT_OF_RANGE through with the position', async () => {
    wire.fetchPartitionError = 1;
    const error = await failure(port.fetch({ topic: 'orders', partition: 1, offset: 7n, maxBytes: 1024, isolation: 'read_uncommitted' }));
    expect(kafkaErrorName(error)).toBe('OFFSET_OUT_OF_RANGE');
    expect(error.message).toContain('orders-1');
  });
});

describe('group calls', () => {
  it('finds the coordinator with its rack from metadata', async () => {
    await port.metadata();
    expect(await port.findCoordinator('payments')).toEqual({ nodeId: 1, host: 'b1', port: 9092, rack: 'az1' });
  });

  it('throws NOT_COORDINATOR from a failed shard', async () => {
    wire.groups = [{ errorCode: 16, groupId: 'payments', state: '', protocolType: '', protocol: '', members: [] }];
    const error = await failure(port.describeGroup('payments'));
    expect(kafkaErrorName(error)).toBe('NOT_COORDINATOR');
    expect(wire.callsTo('describeGroups')[0]?.at).toBe('b1:9092');
  });

  it('describes a healthy group', async () => {
    wire.groups = [{ errorCode: 0, groupId: 'payments', state: 'Stable', protocolType: 'consumer', protocol: 'range', members: [{ memberId: 'm-1', clientId: 'c', clientHost: '/10.0.0.1' }] }];
    expect(await port.describeGroup('payments')).toEqual({ groupId: 'payments', state: 'Stable', protocolType: 'consumer', protocol: 'range', members: [{ memberId: 'm-1', clientId: 'c', clientHost: '/10.0.0.1' }] });
  });

  it('fetches committed offsets sorted, all topics when none are named', async () => {
    wire.committed = {
      errorCode: 0,
      topics: [
        { topic: 'orders', partitions: [{ partition: 1, offset: 2n ** 53n + 1n, leaderEpoch: 7, metadata: '', errorCode: 0 }, { partition: 0, offset: -1n, leaderEpoch: -1, metadata: null, errorCode: 0 }] },
        { topic: 'audit', partitions: [{ partition: 0, offset: 5n, leaderEpoch: -1, metadata: 'm', errorCode: 0 }] },
      ],
    };
    const entries = await port.fetchCommittedOffsets('payments');
    expect(entries.map((e) => `${e.topic}-${e.partition}=${e.offset}`)).toEqual(['audit-0=5', 'orders-0=-1', 'orders-1=9007199254740993']);
    expect(entries[2]?.leaderEpoch).toBe(7);
    expect(wire.callsTo('offsetFetch')[0]?.args).toEqual({ groupId: 'payments', topics: null });

    await port.fetchCommittedOffsets('payments', ['orders', 'gone']);
    expect(wire.callsTo('offsetFetch')[1]?.args).toEqual({ groupId: 'payments', topics: [{ topic: 'orders', partitions: [0, 1] }] });
  });

  it('commits standalone (generation -1, no member) and reports every partition', async () => {
    wire.commitErrors.set('orders-1', 16);
    wire.commitErrors.set('audit-0', -999); // left out of the answer
    const results = await port.commitOffsets('payments-recovered', [
      { topic: 'orders', partition: 1, offset: 10n },
      { topic: 'orders', partition: 0, offset: 2n ** 53n + 1n, leaderEpoch: 4, metadata: 'recovered' },
      { topic: 'audit', partition: 0, offset: 1n },
    ]);
    expect(results).toEqual([
      { topic: 'audit', partition: 0, errorName: 'NO_RESPONSE' },
      { topic: 'orders', partition: 0, errorName: null },
      { topic: 'orders', partition: 1, errorName: 'NOT_COORDINATOR' },
    ]);
    const sent = wire.callsTo('offsetCommit')[0]?.args as { generationId: number; memberId: string; topics: { topic: string; partitions: unknown[] }[] };
    expect(sent.generationId).toBe(-1);
    expect(sent.memberId).toBe('');
    expect(sent.topics.find((t) => t.topic === 'orders')?.partitions).toContainEqual({ partition: 0, offset: 2n ** 53n + 1n, leaderEpoch: 4, metadata: 'recovered' });
  });

  it('refuses bad commits before touching the cluster', async () => {
    expect((await failure(port.commitOffsets('g', []))).details['field']).toBe('offsets');
    expect((await failure(port.commitOffsets('g', [{ topic: 't', partition: 0, offset: -1n }]))).details['field']).toBe('offsets[0].offset');
    expect((await failure(port.commitOffsets('g', [{ topic: 't', partition: 0, offset: 1n }, { topic: 't', partition: 0, offset: 2n }]))).details['field']).toBe('offsets[1]');
    expect((await failure(port.commitOffsets('', [{ topic: 't', partition: 0, offset: 1n }]))).details['field']).toBe('groupId');
    expect(wire.calls).toEqual([]);
  });
});

it('close closes the wire', async () => {
  await port.close();
  expect(wire.closed).toBe(true);
});

describe('admin calls of the playbook', () => {
  it('sends reassignments and elections to the controller and returns every partition outcome', async () => {
    const calls: string[] = [];
    const admin = Object.assign(wire, {
      alterPartitionReassignments: async (at: { host: string }, topic: string, assignments: { partition: number; replicas: number[] }[]) => {
        calls.push(`alter@${at.host} ${topic} ${JSON.stringify(assignments)}`);
        return { errorCode: 0, errorMessage: null, partitions: [{ partition: 1, errorCode: 39, errorMessage: 'bad replicas' }] };
      },
      electLeaders: async (at: { host: string }, topic: string, partitionsAsked: number[]) => {
        calls.push(`elect@${at.host} ${topic} ${partitionsAsked.join(',')}`);
        return { errorCode: 0, partitions: [{ partition: 0, errorCode: 84, errorMessage: 'not needed' }] };
      },
    });
    const adminPort = new WireKafkaPort(validateKafkaConfig({ brokers: ['seed-a:9092'] }), admin, describeKafkaErrorCode);
    expect(await adminPort.alterPartitionReassignments('__consumer_offsets', [{ partition: 0, replicas: [2, 1] }, { partition: 1, replicas: [1, 2] }])).toEqual([
      { topic: '__consumer_offsets', partition: 0, errorName: 'NO_RESPONSE', errorMessage: 'the broker left this partition out of its answer' },
      { topic: '__consumer_offsets', partition: 1, errorName: 'INVALID_REPLICA_ASSIGNMENT', errorMessage: 'bad replicas' },
    ]);
    expect(await adminPort.electPreferredLeaders('__consumer_offsets', [0])).toEqual([{ topic: '__consumer_offsets', partition: 0, errorName: 'ELECTION_NOT_NEEDED', errorMessage: 'not needed' }]);
    // The fake's controller is broker 1 (b1).
    expect(calls).toEqual(['alter@b1 __consumer_offsets [{"partition":0,"replicas":[2,1]},{"partition":1,"replicas":[1,2]}]', 'elect@b1 __consumer_offsets 0']);
  });

  it('reports UNSUPPORTED on a wire without admin requests', async () => {
    expect(kafkaErrorName(await failure(port.deleteGroup('g')))).toBeUndefined();
    expect(await failure(port.deleteGroup('g'))).toMatchObject({ code: 'UNSUPPORTED' });
  });
});
