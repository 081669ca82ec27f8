import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONSUMER_OFFSETS_TOPIC } from '../../../../lambdas/core/ports.ts';
import { planShardSegments, scanShard, scanShardInSegments, shardCheckpoint, shardFromCheckpoint } from '../../../../lambdas/core/operations/index.ts';
import type { ShardScan, ShardScanOptions, ShardScanRequest } from '../../../../lambdas/core/operations/index.ts';
import type { ScanCheckpoint, ShardGroupResult } from '../../../../lambdas/core/model.ts';
import { InMemoryKafka } from '../../../support/in-memory-kafka.ts';
import { encodeControlBatch } from '../../../../lambdas/core/record-batch/index.ts';
import { GROUPS, randomLog, SINCE } from '../replay/random-log.ts';
import type { RandomLog } from '../replay/random-log.ts';

const P = 3;
const FAST = { retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 }, maxBytesPerFetch: 150 } satisfies ShardScanOptions;

/** The random log on partition P, every producer's transaction closed so the LSO never holds a scan back. */
function clusterWith(log: RandomLog): InMemoryKafka {
  const kafka = new InMemoryKafka({ offsetsPartitions: 8 });
  // Modern brokers send a first batch whole even when it is larger than maxBytes.
  kafka.faults.sizeLimit = 'whole';
  const partition = kafka.log(CONSUMER_OFFSETS_TOPIC, P);
  for (const frame of log.frames) partition.appendFrame(frame);
  for (const producerId of [1n, 2n, 3n]) {
    partition.appendFrame(encodeControlBatch({ baseOffset: partition.logEnd, producerId, producerEpoch: 0, type: 'ABORT', coordinatorEpoch: 0, timestamp: 0n }));
  }
  return kafka;
}

async function done(kafka: InMemoryKafka, request: ShardScanRequest, options: ShardScanOptions = FAST): Promise<ShardScan> {
  const outcome = await scanShard(kafka, request, options);
  if (outcome.status !== 'done') throw new Error('expected the scan to finish');
  return outcome.shard;
}

/** What `groups --offsets` and `offsets` print come from these: every group's result and the scan. */
function everything(shard: ShardScan) {
  return { affected: shard.affectedGroups(), perGroup: shard.groups().map((g) => shard.groupResult(g)), offsets: GROUPS.map((g) => shard.groupOffsets(g)) };
}

const requests = fc.constantFrom<ShardScanRequest>({ partition: P }, { partition: P, window: { since: Number(SINCE) } }, { partition: P, group: 'g1' });

describe('scanShard', () => {
  it('stopped at random Fetches and continued from its checkpoint, reports exactly what one uninterrupted run reports (random logs)', async () => {
    await fc.assert(
      fc.asyncProperty(randomLog, requests, fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 6 }), async (log, request, stopAt) => {
        const whole = await done(clusterWith(log), request);

        const kafka = clusterWith(log);
        let stop = new AbortController();
        kafka.faults.beforeFetch = (_request, index) => {
          if (stopAt.includes(index)) stop.abort();
        };
        let checkpoint: ScanCheckpoint | undefined;
        let continuations = 0;
        for (;;) {
          const outcome = await scanShard(kafka, request, { ...FAST, stop: stop.signal, ...(checkpoint ? { checkpoint } : {}) });
          if (outcome.status === 'done') {
            expect(everything(outcome.shard)).toEqual(everything(whole));
            // The replay's own counts too: records re-fetched after a checkpoint count once.
            expect(outcome.shard.replay.stats()).toEqual(whole.replay.stats());
            break;
          }
          expect(outcome.reason).toBe('stopped');
          // Through JSON, as a file or an S3 object carries it.
          checkpoint = JSON.parse(JSON.stringify(outcome.checkpoint)) as ScanCheckpoint;
          stop = new AbortController();
          continuations++;
          expect(continuations).toBeLessThanOrEqual(stopAt.length);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('stops at its deadline with a checkpoint and never treats the deadline as an error', async () => {
    const kafka = clusterWith(fc.sample(randomLog, { numRuns: 1, seed: 7 })[0]!);
    kafka.faults.beforeFetch = () => {
      const until = Date.now() + 30;
      while (Date.now() < until) {
        // A slow broker: the deadline passes during the first Fetch.
      }
    };
    const outcome = await scanShard(kafka, { partition: P }, { ...FAST, deadline: Date.now() + 10 });
    expect(outcome).toMatchObject({ status: 'continue', reason: 'deadline', checkpoint: { partition: P, done: false, group: null } });
  });

  it('refuses a checkpoint of another partition, window, group or segment, saying which', async () => {
    const kafka = clusterWith(fc.sample(randomLog, { numRuns: 1, seed: 3 })[0]!);
    const stop = new AbortController();
    kafka.faults.beforeFetch = () => stop.abort();
    const outcome = await scanShard(kafka, { partition: P, window: { since: 5 } }, { ...FAST, stop: stop.signal });
    if (outcome.status !== 'continue') throw new Error('expected a checkpoint');
    const checkpoint = outcome.checkpoint;
    await expect(scanShard(kafka, { partition: 4, window: { since: 5 } }, { checkpoint })).rejects.toThrow(
      /^checkpoint: was written for __consumer_offsets-3, not __consumer_offsets-4\. Use the checkpoint of this same scan/,
    );
    await expect(scanShard(kafka, { partition: P, window: { since: 6 } }, { checkpoint })).rejects.toThrow(/^checkpoint: was written for the window \{"since":5\}, not \{"since":6\}/);
    await expect(scanShard(kafka, { partition: P, window: { since: 5 }, group: 'g0' }, { checkpoint })).rejects.toThrow(/written for all groups, not group "g0"/);
    await expect(
      scanShard(kafka, { partition: P, window: { since: 5 }, segment: { index: 0, fromOffset: '0', toOffset: '4' } }, { checkpoint }),
    ).rejects.toThrow(/written for the whole window, not segment 0 \[0, 4\)/);
  });

  it('hands every group to a sink, sorted, with its offsets, metadata summary and topics', async () => {
    const log = fc.sample(randomLog.filter((l) => l.frames.length > 6), { numRuns: 1, seed: 11 })[0]!;
    const shard = await done(clusterWith(log), { partition: P });
    const received: ShardGroupResult[] = [];
    const count = await shard.emit({ group: (result) => void received.push(result) });
    expect(count).toBe(shard.groups().length);
    expect(received.map((r) => r.group.groupId)).toEqual(shard.affectedGroups().groups.map((g) => g.groupId));
    expect(received.map((r) => r.group)).toEqual(shard.affectedGroups().groups);
    for (const result of received) {
      expect(result.offsetsPartition).toBe(P);
      expect(result.offsets).toEqual(shard.groupOffsets(result.group.groupId).offsets);
      expect(Object.keys(result.offsets)).toEqual(result.group.topics);
    }
  });
});

describe('segment scans', () => {
  it('split into K segments and merged, find what one pass finds, for every K (random logs)', async () => {
    await fc.assert(
      fc.asyncProperty(randomLog, requests, fc.integer({ min: 1, max: 8 }), async (log, request, count) => {
        const kafka = clusterWith(log);
        const whole = await done(kafka, request);
        const plan = await planShardSegments(kafka, P, request.window ?? {}, count);
        expect(plan.segments[0]!.fromOffset).toBe(plan.startOffset);
        expect(plan.segments.at(-1)!.toOffset).toBe(plan.endOffset);
        const merged = await scanShardInSegments(kafka, plan, request.group, FAST);
        const found = (shard: ShardScan) => ({ perGroup: shard.groups().map((g) => shard.groupResult(g)), offsets: GROUPS.map((g) => shard.groupOffsets(g).offsets) });
        expect(found(merged)).toEqual(found(whole));
        expect(merged.scan).toMatchObject({ startOffset: whole.scan.startOffset, endOffset: whole.scan.endOffset, complete: true });
        // A batch across a segment border is fetched by both segments; its records count once.
        expect(merged.scan.records).toBe(whole.scan.records);
        expect(merged.replay.stats().records).toBe(whole.replay.stats().records);
        expect(merged.scan.bytes).toBeGreaterThanOrEqual(whole.scan.bytes);
      }),
      { numRuns: 60 },
    );
  });

  it('carry a finished segment as a checkpoint (how a segment result travels to the merge)', async () => {
    const log = fc.sample(randomLog.filter((l) => l.frames.length > 5), { numRuns: 1, seed: 5 })[0]!;
    const kafka = clusterWith(log);
    const plan = await planShardSegments(kafka, P, {}, 3);
    const segment = plan.segments[1]!;
    const request = { partition: P, window: {}, segment };
    const finished = await done(kafka, request);
    const carried = JSON.parse(JSON.stringify(shardCheckpoint(finished))) as ScanCheckpoint;
    expect(carried.done).toBe(true);
    const back = shardFromCheckpoint(carried, request);
    expect(back.groups().map((g) => back.groupResult(g))).toEqual(finished.groups().map((g) => finished.groupResult(g)));
    await expect(scanShard(kafka, request, { checkpoint: carried })).resolves.toMatchObject({ status: 'done' });
  });

  it('refuses a segment count that is not a whole number from 1 to 1024', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: 8 });
    await expect(planShardSegments(kafka, P, {}, 0)).rejects.toThrow(/^segments: expected a whole number from 1 to 1024, got 0/);
  });
});
