import type { Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import type { GroupOffsetsResult, ScanSegment } from '../../../lambdas/core/model.ts';
import type { FetchRequest, KafkaPort } from '../../../lambdas/core/ports.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import type { BlastRadiusContinue, BlastRadiusOutput, BlastRadiusSegmentDone, BlastRadiusStepOutput, GroupRecovery, MergeSegmentsContinue, ShardSegmentsPlan } from '../../../lambdas/core/workflow/documents.ts';
import { createHandler as blastRadius } from '../../../lambdas/handlers/blast-radius.ts';
import { createHandler as readOffsets } from '../../../lambdas/handlers/read-offsets.ts';
import { groupMetadata, offsetCommit } from '../../support/offsets-records.ts';
import { EXECUTION_ARN, request } from '../core/workflow/fixtures.ts';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mocks, setUp, type Harness } from './harness.ts';

const SHARD = 4;
let h: Harness;
let groups: string[];

beforeEach(() => {
  h = setUp();
  groups = ['billing', 'search', 'audit'].map((name) => h.kafka.groupOnShard(SHARD, name));
  seedShard();
});

/** Three groups with 40 commits each on the shard, one batch per commit so small fetches make many round trips. */
function seedShard(): void {
  h.kafka.createTopic('orders', 2);
  h.kafka.setOffsets('orders', 0, 0n, 1_000_000n);
  h.kafka.setOffsets('orders', 1, 0n, 1_000_000n);
  const writer = h.kafka.offsetsLog(SHARD);
  for (const group of groups) writer.record(groupMetadata(group, { members: [['orders']], generation: 3 }));
  for (let i = 1; i <= 40; i++) {
    for (const [n, group] of groups.entries()) writer.record(offsetCommit({ group, topic: 'orders', partition: i % 2, offset: BigInt(i * 100 + n) }));
  }
}

function lambdaContext(remainingMs: number): Context {
  return { getRemainingTimeInMillis: () => remainingMs } as Context;
}

/** The harness's Kafka with one-batch fetches of the shard and, from the given fetch on, a slow broker. */
function slowFromFetch(slowFetch: number, delayMs: number): void {
  h.kafka.faults.sizeLimit = 'whole';
  let fetches = 0;
  const port = new Proxy(h.kafka as KafkaPort, {
    get(target, property) {
      if (property === 'fetch') {
        return async (fetch: FetchRequest) => {
          if (fetch.topic !== CONSUMER_OFFSETS_TOPIC) return target.fetch(fetch);
          fetches++;
          if (fetches >= slowFetch) await new Promise((resolve) => setTimeout(resolve, delayMs));
          return target.fetch({ ...fetch, maxBytes: 1 });
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  h.deps.kafkaPort = () => port;
}

function storedGroup(output: BlastRadiusOutput, group: string): GroupOffsetsResult {
  return JSON.parse(h.objects.get(`artifacts/${output.groupResults}${encodeURIComponent(group)}.json`)!) as GroupOffsetsResult;
}

describe('BlastRadius: one resumable pass per shard', () => {
  it('stores every group of the shard in one pass, and ReadOffsets reads it from S3 without fetching the log', async () => {
    const shard = (await blastRadius(h.deps)({ request: request(), shard: { partition: SHARD, brokerId: 2, groups: null } })) as BlastRadiusOutput;
    expect(shard).toMatchObject({ status: 'DONE', continuations: 0, groupCount: groups.length });
    // One object per group under the run's group-results folder: the ReadOffsets items.
    const stored = [...h.objects.keys()].filter((k) => k.startsWith(`artifacts/${shard.groupResults}`)).map((k) => decodeURIComponent(k.slice(`artifacts/${shard.groupResults}`.length, -'.json'.length)));
    expect(stored.sort()).toEqual([...groups].sort());
    expect(shard.bytesRead).toBeGreaterThan(0);
    expect(storedGroup(shard, groups[1]!).offsets['orders']!['0']!.offset).toBe('4001');

    const fetchesBefore = h.kafka.calls.filter((call) => call === 'fetch').length;
    const output = await readOffsets(h.deps)({ request: request(), groupId: groups[0]!, partition: SHARD });
    const recovery = JSON.parse(h.objects.get(`artifacts/${(output as { artifact: { key: string } }).artifact.key}`)!) as GroupRecovery;
    expect(recovery.offsets.offsets['orders']!['1']!.offset).toBe('3900');
    expect(recovery.completeness.complete).toBe(true);
    expect(h.kafka.calls.filter((call) => call === 'fetch').length).toBe(fetchesBefore);
  });

  it('a scan that reaches its deadline returns CONTINUE with a checkpoint in S3, and the next invocation ends as one pass would', async () => {
    const whole = (await blastRadius(h.deps)({ request: request(), shard: { partition: SHARD, brokerId: 2, groups: null } })) as BlastRadiusOutput;
    const expected = groups.map((group) => storedGroup(whole, group).offsets);

    h = setUp();
    seedShard();
    // 2 s left: the scan stops after 1 s, while the third fetch is held up.
    slowFromFetch(3, 1500);
    const run = request({ executionArn: `${EXECUTION_ARN}-resumed` });
    const first = (await blastRadius(h.deps)({ request: run, shard: { partition: SHARD, brokerId: 2, groups: null } }, lambdaContext(2000))) as BlastRadiusContinue;
    expect(first).toMatchObject({ status: 'CONTINUE', continuations: 1, partition: SHARD });
    expect(BigInt(first.nextOffset)).toBeGreaterThan(0n);
    expect(BigInt(first.nextOffset)).toBeLessThan(BigInt(first.endOffset));
    expect(h.objects.has(`artifacts/${first.checkpoint.key}`)).toBe(true);

    slowFromFetch(Number.MAX_SAFE_INTEGER, 0);
    let output: BlastRadiusStepOutput = first;
    for (let i = 0; output.status === 'CONTINUE' && i < 10; i++) {
      output = await blastRadius(h.deps)({ request: run, shard: { partition: SHARD, brokerId: 2, groups: null }, scan: output }, lambdaContext(60_000));
    }
    expect(output).toMatchObject({ status: 'DONE', continuations: 1, records: whole.records });
    expect(groups.map((group) => storedGroup(output as BlastRadiusOutput, group).offsets)).toEqual(expected);
  });

  it('refuses a checkpoint whose bytes changed after it was written', async () => {
    slowFromFetch(3, 1500);
    const first = (await blastRadius(h.deps)({ request: request(), shard: { partition: SHARD, brokerId: 2, groups: null } }, lambdaContext(2000))) as BlastRadiusContinue;
    expect(first.status).toBe('CONTINUE');
    h.objects.set(`artifacts/${first.checkpoint.key}`, '{}');
    await expect(blastRadius(h.deps)({ request: request(), shard: { partition: SHARD, brokerId: 2, groups: null }, scan: first })).rejects.toMatchObject({
      name: 'RecoveryError.CORRUPT_DATA',
    });
  });

  it('ReadOffsets without its shard scan says which scan to run', async () => {
    await expect(readOffsets(h.deps)({ request: request(), groupId: groups[0]!, partition: SHARD })).rejects.toMatchObject({
      name: 'RecoveryError.NOT_FOUND',
      message: expect.stringContaining(encodeURIComponent(groups[0]!)),
    });
  });
});

describe('BlastRadius in segments: plan, one scan per segment (resumable), merge', () => {
  const SHARD_INPUT = { partition: SHARD, brokerId: 2, groups: null };

  /** What the Distributed Map's ResultWriter leaves: manifest.json and SUCCEEDED_0.json / FAILED_0.json. */
  function writeMapRun(prefix: string, succeeded: unknown[], failed: Array<{ Error: string; Cause: string }> = []): { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } } {
    const folder = `${prefix}/6f0c1d2e-0000-4000-8000-000000000001`;
    const record = (status: string, extra: Record<string, string>) => ({ ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:CoordinatorRecovery/ShardSegments:${status}`, Input: '{}', Status: status, ...extra });
    const files: Record<string, Array<{ Key: string; Size: number }>> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
    for (const [status, records] of [['SUCCEEDED', succeeded.map((output) => record('SUCCEEDED', { Output: JSON.stringify(output) }))], ['FAILED', failed.map((f) => record('FAILED', f))]] as const) {
      if (records.length === 0) continue;
      const body = JSON.stringify(records);
      h.objects.set(`artifacts/${folder}/${status}_0.json`, body);
      files[status]!.push({ Key: `${folder}/${status}_0.json`, Size: body.length });
    }
    const MapRunArn = 'arn:aws:states:us-east-1:123456789012:mapRun:CoordinatorRecovery/ShardSegments:6f0c1d2e';
    h.objects.set(`artifacts/${folder}/manifest.json`, JSON.stringify({ DestinationBucket: 'artifacts', MapRunArn, ResultFiles: files }));
    return { MapRunArn, ResultWriterDetails: { Bucket: 'artifacts', Key: `${folder}/manifest.json` } };
  }

  it('splits the shard by SEGMENT_BYTES, scans each segment (one stopped at its deadline and resumed), and the merge stores what one pass stores', async () => {
    // Fetch counts differ (the segments here are read one batch per fetch); everything else must not.
    const withoutFetches = (result: GroupOffsetsResult) => ({ ...result, scan: { ...result.scan, fetches: 0 } });
    const whole = (await blastRadius(h.deps)({ request: request(), shard: SHARD_INPUT })) as BlastRadiusOutput;
    const expected = groups.map((group) => withoutFetches(storedGroup(whole, group)));

    h = setUp({ SEGMENT_BYTES: '4096' });
    seedShard();
    const run = request({ executionArn: `${EXECUTION_ARN}-segments` });
    const plan = (await blastRadius(h.deps)({ phase: 'plan', request: run, shard: SHARD_INPUT })) as ShardSegmentsPlan;
    expect(plan).toMatchObject({ status: 'PLANNED', partition: SHARD, brokerId: 2 });
    expect(plan.segments).toBeGreaterThanOrEqual(3);
    expect(plan.estimatedBytes).toBeGreaterThan(4096 * 2);
    const items = JSON.parse(h.objects.get(`${plan.items.bucket}/${plan.items.key}`)!) as ScanSegment[];
    expect(items).toHaveLength(plan.segments);

    const done: BlastRadiusSegmentDone[] = [];
    for (const segment of items) {
      // The middle segment meets its deadline on its third fetch and continues in a second invocation.
      if (segment.index === 1) slowFromFetch(3, 1500);
      let output = (await blastRadius(h.deps)({ request: run, shard: SHARD_INPUT, segment, scan: { continuations: 0 } }, lambdaContext(segment.index === 1 ? 2000 : 60_000))) as BlastRadiusStepOutput;
      if (segment.index === 1) {
        expect(output).toMatchObject({ status: 'CONTINUE', segment, continuations: 1 });
        slowFromFetch(Number.MAX_SAFE_INTEGER, 0);
      }
      for (let i = 0; output.status === 'CONTINUE' && i < 10; i++) {
        output = (await blastRadius(h.deps)({ request: run, shard: SHARD_INPUT, segment, scan: output }, lambdaContext(60_000))) as BlastRadiusStepOutput;
      }
      expect(output).toMatchObject({ status: 'SEGMENT_DONE', segment });
      done.push(output as BlastRadiusSegmentDone);
    }
    // No group is stored before the merge.
    expect([...h.objects.keys()].some((key) => key.includes('/groups/'))).toBe(false);

    // The map run returns results in any order; the merge puts them in segment order.
    const results = writeMapRun(plan.results.prefix, [...done].reverse());
    const merged = (await blastRadius(h.deps)({ phase: 'merge', request: run, shard: SHARD_INPUT, segments: plan, results })) as BlastRadiusOutput;
    expect(merged).toMatchObject({ status: 'DONE', segments: plan.segments, continuations: 1, records: whole.records, groupCount: whole.groupCount, affectedGroupCount: whole.affectedGroupCount, topicCount: whole.topicCount });
    expect(groups.map((group) => withoutFetches(storedGroup(merged, group)))).toEqual(expected);
  });

  it('a merge whose groups take longer to store than the Lambda has left returns CONTINUE, and the next invocations store the rest without reading a segment again', async () => {
    groups = Array.from({ length: 40 }, (_, i) => h.kafka.groupOnShard(SHARD, `worker-${i}`));
    h = setUp();
    seedShard();
    const whole = (await blastRadius(h.deps)({ request: request(), shard: SHARD_INPUT })) as BlastRadiusOutput;
    const expected = groups.map((group) => storedGroup(whole, group));

    h = setUp({ SEGMENT_BYTES: '16384' });
    seedShard();
    const run = request({ executionArn: `${EXECUTION_ARN}-slow-merge` });
    const plan = (await blastRadius(h.deps)({ phase: 'plan', request: run, shard: SHARD_INPUT })) as ShardSegmentsPlan;
    expect(plan.segments).toBeGreaterThanOrEqual(2);
    const items = JSON.parse(h.objects.get(`${plan.items.bucket}/${plan.items.key}`)!) as ScanSegment[];
    const done: BlastRadiusSegmentDone[] = [];
    for (const segment of items) done.push((await blastRadius(h.deps)({ request: run, shard: SHARD_INPUT, segment, scan: { continuations: 0 } })) as BlastRadiusSegmentDone);
    const results = writeMapRun(plan.results.prefix, done);

    // Each group result takes 600 ms to store, 16 at a time: 40 of them need more than the second the merge keeps of its 2 s.
    const objects = h.objects;
    mocks.s3.on(PutObjectCommand).callsFake(async (input: { Bucket: string; Key: string; Body: string }) => {
      if (input.Key.includes('/groups/')) await new Promise((resolve) => setTimeout(resolve, 600));
      objects.set(`${input.Bucket}/${input.Key}`, input.Body);
      return {};
    });
    const shardFetches = (): number => h.kafka.calls.filter((call) => call === 'fetch').length;
    const segmentReads = (): number => mocks.s3.commandCalls(GetObjectCommand).filter((call) => call.args[0].input.Key?.endsWith('/scan.json')).length;
    const fetchesBefore = shardFetches();
    let output = (await blastRadius(h.deps)({ phase: 'merge', request: run, shard: SHARD_INPUT, segments: plan, results, merge: { continuations: 0 } }, lambdaContext(2000))) as BlastRadiusStepOutput;
    const readsByTheMerge = segmentReads();
    expect(readsByTheMerge).toBe(plan.segments);
    const stored: number[] = [];
    for (let i = 0; output.status === 'CONTINUE' && i < 40; i++) {
      expect(output).toMatchObject({ partition: SHARD, groups: groups.length, continuations: i + 1 });
      stored.push((output as MergeSegmentsContinue).groupsStored);
      output = (await blastRadius(h.deps)({ phase: 'merge', request: run, shard: SHARD_INPUT, segments: plan, results, merge: output }, lambdaContext(2000))) as BlastRadiusStepOutput;
    }
    expect(stored.length).toBeGreaterThan(0);
    // Every invocation stored more and none started over; no segment was read again, the shard not at all.
    expect(stored.every((n, i) => n > (stored[i - 1] ?? 0) && n < groups.length)).toBe(true);
    expect(mocks.s3.commandCalls(PutObjectCommand).filter((call) => call.args[0].input.Key?.includes('/groups/')).length).toBe(groups.length);
    expect(segmentReads()).toBe(readsByTheMerge);
    expect(shardFetches()).toBe(fetchesBefore);
    expect(output).toMatchObject({ status: 'DONE', continuations: stored.length, records: whole.records, groupCount: groups.length, affectedGroupCount: whole.affectedGroupCount, topicCount: whole.topicCount });
    expect(groups.map((group) => storedGroup(output as BlastRadiusOutput, group))).toEqual(expected.map((result) => ({ ...result, scan: expect.anything() })));
  });

  it('refuses to merge a map run with a failed segment, saying which', async () => {
    const run = request({ executionArn: `${EXECUTION_ARN}-failed-segment` });
    h.deps.env = { ...h.deps.env, SEGMENT_BYTES: '4096' };
    const plan = (await blastRadius(h.deps)({ phase: 'plan', request: run, shard: SHARD_INPUT })) as ShardSegmentsPlan;
    const results = writeMapRun(plan.results.prefix, [], [{ Error: 'RecoveryError.KAFKA_ERROR', Cause: 'fetch failed' }]);
    await expect(blastRadius(h.deps)({ phase: 'merge', request: run, shard: SHARD_INPUT, segments: plan, results })).rejects.toMatchObject({
      name: 'RecoveryError.SCAN_INTERRUPTED',
      message: expect.stringContaining('RecoveryError.KAFKA_ERROR: fetch failed'),
    });
  });

  it('names the phase it does not know', async () => {
    await expect(blastRadius(h.deps)({ phase: 'split', request: request(), shard: SHARD_INPUT })).rejects.toMatchObject({ message: expect.stringMatching(/^phase: expected plan, scan or merge/) });
  });
});
