/**
 * How the adapter behaves when the network or the credentials are wrong: a connection dropped in
 * the middle of a Fetch, a broker too slow to answer, SASL users, and the scanner recovering
 * through the adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaErrorName } from '../../../lambdas/core/errors.ts';
import { offsetsPartitionFor, readCommittedOffsets } from '../../../lambdas/core/operations/index.ts';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import { startLocalCluster, type LocalCluster } from '../../../local/kafka/index.ts';
import { OFFSETS_PARTITIONS, consumeAll, createTopic, produce, realClient, startCluster } from './helpers.ts';
import { failure } from '../../support/rejection.ts';


describe('network faults', () => {
  let cluster: LocalCluster;
  let port: KafkaPort;

  beforeAll(async () => {
    cluster = await startCluster();
    const kafka = realClient(cluster);
    await createTopic(kafka, 'orders', 2);
    await produce(kafka, 'orders', 2, 3);
    const consumer = await consumeAll(kafka, 'orders-service', 'orders', 6);
    await consumer.disconnect();
    port = createKafkaPort({ brokers: cluster.bootstrapServers, requestTimeoutMs: 1500 });
  });

  afterAll(async () => {
    cluster?.faults.clearNetworkFaults();
    await port?.close();
    await cluster?.stop();
  });

  it('reports a connection dropped mid-Fetch as retryable KAFKA_UNAVAILABLE and reconnects on the next call', async () => {
    cluster.faults.dropConnectionMidFetch({ topic: 'orders', partition: 0, times: 1 });
    const request = { topic: 'orders', partition: 0, offset: 0n, maxBytes: 1 << 20, isolation: 'read_committed' as const, maxWaitMs: 0 };
    const error = await failure(port.fetch(request));
    expect(error.code).toBe('KAFKA_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect((await port.fetch(request)).highWatermark).toBe(3n);
  });

  it('times out a broker that does not answer, as retryable KAFKA_UNAVAILABLE', async () => {
    const slow = cluster.faults.slowResponses({ apiKey: 2, delayMs: 4000 }); // ListOffsets
    try {
      const error = await failure(port.listOffsets('orders', [0], { kind: 'latest' }));
      expect(error.code).toBe('KAFKA_UNAVAILABLE');
      expect(error.retryable).toBe(true);
    } finally {
      cluster.faults.clearNetworkFault(slow.id);
    }
  });

  it('lets the scanner recover offsets through dropped connections', async () => {
    const partition = await offsetsPartitionFor(port, 'orders-service');
    cluster.faults.dropConnectionMidFetch({ topic: '__consumer_offsets', partition, times: 2 });
    const result = await readCommittedOffsets(port, 'orders-service', {}, { retry: { initialDelayMs: 10, maxDelayMs: 50 } });
    expect(result.offsets['orders']?.['1']?.offset).toBe('3');
    expect(result.scan.retries ?? 0).toBeGreaterThan(0);
  });
});

describe('SASL', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await startLocalCluster({ brokers: 1, offsetsPartitions: OFFSETS_PARTITIONS, sasl: { scramSha512: { ops: 'scram-secret' }, plain: { reader: 'plain-secret' } } });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it.each([
    ['scram-sha-512', 'ops', 'scram-secret'],
    ['plain', 'reader', 'plain-secret'],
  ] as const)('authenticates with %s', async (mechanism, username, password) => {
    const port = createKafkaPort({ brokers: cluster.bootstrapServers, sasl: { mechanism, username, password } });
    try {
      expect((await port.metadata()).brokers).toHaveLength(1);
    } finally {
      await port.close();
    }
  });

  it('reports refused credentials as SASL_AUTHENTICATION_FAILED, not as an outage', async () => {
    const port = createKafkaPort({ brokers: cluster.bootstrapServers, sasl: { mechanism: 'scram-sha-512', username: 'ops', password: 'wrong' } });
    try {
      const error = await failure(port.metadata());
      expect(kafkaErrorName(error)).toBe('SASL_AUTHENTICATION_FAILED');
      expect(error.retryable).toBe(false);
    } finally {
      await port.close();
    }
  });
});
