import { describe, expect, it } from 'vitest';
import { CONSUMER_OFFSETS_TOPIC } from '../../../../lambdas/core/ports.ts';
import { MAX_SEGMENTS_PER_SHARD, planShardSegmentsBySize } from '../../../../lambdas/core/operations/index.ts';
import { InMemoryKafka } from '../../../support/in-memory-kafka.ts';
import { offsetCommit } from '../../../support/offsets-records.ts';

const P = 3;

/** A shard of `commits` single-record batches, and its exact size in bytes. */
async function shardOf(commits: number): Promise<{ kafka: InMemoryKafka; bytes: number }> {
  const kafka = new InMemoryKafka({ offsetsPartitions: 8 });
  const writer = kafka.offsetsLog(P);
  for (let i = 0; i < commits; i++) writer.record(offsetCommit({ group: `g-${i % 7}`, topic: 'orders', partition: i % 3, offset: BigInt(i) }));
  const whole = await kafka.fetch({ topic: CONSUMER_OFFSETS_TOPIC, partition: P, offset: 0n, maxBytes: 64 * 1024 * 1024, isolation: 'read_uncommitted' });
  return { kafka, bytes: whole.records.length };
}

describe('planShardSegmentsBySize', () => {
  it('splits a shard into about its bytes over the target, segments covering the window exactly', async () => {
    const { kafka, bytes } = await shardOf(300);
    const { plan, estimatedBytes } = await planShardSegmentsBySize(kafka, P, {}, Math.ceil(bytes / 3));
    // Records of one shape: the one-fetch sample sizes the window closely.
    expect(Math.abs(estimatedBytes - bytes) / bytes).toBeLessThan(0.05);
    expect(plan.segments.length).toBeGreaterThanOrEqual(3);
    expect(plan.segments.length).toBeLessThanOrEqual(4);
    expect(plan.segments[0]!.fromOffset).toBe('0');
    expect(plan.segments.at(-1)!.toOffset).toBe('300');
    plan.segments.slice(1).forEach((segment, i) => expect(segment.fromOffset).toBe(plan.segments[i]!.toOffset));
  });

  it('keeps a small shard in one segment and caps a huge split', async () => {
    const { kafka, bytes } = await shardOf(200);
    expect((await planShardSegmentsBySize(kafka, P, {}, bytes * 2)).plan.segments).toHaveLength(1);
    expect((await planShardSegmentsBySize(kafka, P, {}, 1)).plan.segments).toHaveLength(MAX_SEGMENTS_PER_SHARD);
  });

  it('an empty window is one segment of nothing', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: 8 });
    const sized = await planShardSegmentsBySize(kafka, P, {}, 1024);
    expect(sized.estimatedBytes).toBe(0);
    expect(sized.plan.segments).toHaveLength(1);
  });

  it('refuses a target that is not a positive number, naming the setting', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: 8 });
    await expect(planShardSegmentsBySize(kafka, P, {}, 0)).rejects.toThrow(/^segmentBytes: expected a positive number of bytes, got 0/);
  });
});
