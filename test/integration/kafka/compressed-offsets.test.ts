/**
 * A recovery over each codec a broker may compress `__consumer_offsets` with
 * (offsets.topic.compression.codec): a real kafkajs consumer group commits, the coordinator
 * writes compressed batches, its shard FAILS, and the offsets read from the raw log equal what
 * the coordinator had. kcat (librdkafka, its own codecs) reads the same batches as a witness.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkCompleteness, offsetsPartitionFor, readCommittedOffsets } from '../../../lambdas/core/operations/index.ts';
import { decodeRecordBatches } from '../../../lambdas/core/record-batch/index.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import { startLocalCluster } from '../../../local/kafka/index.ts';
import { OFFSETS_PARTITIONS, consumeAll, createTopic, produce, realClient } from './helpers.ts';

const GROUP = 'billing-service';
const run = promisify(execFile);

describe.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('__consumer_offsets compressed with %s', (codec) => {
  it('recovers exactly the committed offsets from the compressed log, with the shard FAILED', async () => {
    const cluster = await startLocalCluster({ brokers: 1, offsetsPartitions: OFFSETS_PARTITIONS, offsetsTopicCompressionCodec: codec });
    const port = createKafkaPort({ brokers: cluster.bootstrapServers, clientId: `codec-${codec}` });
    try {
      const kafka = realClient(cluster);
      await createTopic(kafka, 'invoices', 2, 1);
      await produce(kafka, 'invoices', 2, 7);
      const consumer = await consumeAll(kafka, GROUP, 'invoices', 14);
      await consumer.disconnect();
      const committed = await port.fetchCommittedOffsets(GROUP);
      expect(committed.map((c) => `${c.topic}-${c.partition}:${c.offset}`).sort()).toEqual(['invoices-0:7', 'invoices-1:7']);

      const partition = await offsetsPartitionFor(port, GROUP);
      const raw = await port.fetch({ topic: '__consumer_offsets', partition, offset: 0n, maxBytes: 1 << 20, isolation: 'read_committed' });
      const batches = decodeRecordBatches(raw.records).batches;
      expect(batches.length).toBeGreaterThan(0);
      expect(new Set(batches.map((b) => (b.kind === 'records' ? b.compression : b.kind)))).toEqual(new Set([codec]));

      await cluster.faults.failCoordinator(partition);
      const recovered = await readCommittedOffsets(port, GROUP);
      expect(recovered.scan.skipped).toEqual({});
      expect(recovered.offsets['invoices']?.['0']?.offset).toBe('7');
      expect(recovered.offsets['invoices']?.['1']?.offset).toBe('7');
      const report = await checkCompleteness(port, recovered);
      expect(report).toMatchObject({ complete: true, issues: [] });

      // librdkafka decompresses the same batches on its own: as many records as our decoder saw.
      const ours = batches.reduce((n, b) => n + (b.kind === 'records' && !b.isControl ? b.recordCount : 0), 0);
      // Asynchronously: the cluster answers kcat from this very process.
      const { stdout: kcat } = await run('kcat', ['-b', cluster.bootstrapServers[0]!, '-C', '-t', '__consumer_offsets', '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%o\\n'], { timeout: 20_000 });
      expect(kcat.trim().split('\n').filter(Boolean).length).toBe(ours);
    } finally {
      await port.close();
      await cluster.stop();
    }
  }, 60_000);
});
