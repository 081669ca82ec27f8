import type { Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import type { GroupOffsetsResult } from '../../../lambdas/core/model.ts';
import type { FetchRequest, KafkaPort } from '../../../lambdas/core/ports.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import type { BlastRadiusContinue, BlastRadiusOutput, BlastRadiusStepOutput, GroupRecovery } from '../../../lambdas/core/workflow/documents.ts';
import { createHandler as blastRadius } from '../../../lambdas/handlers/blast-radius.ts';
import { createHandler as readOffsets } from '../../../lambdas/handlers/read-offsets.ts';
import { groupMetadata, offsetCommit } from '../../support/offsets-records.ts';
import { EXECUTION_ARN, request } from '../core/workflow/fixtures.ts';
import { setUp, type Harness } from './harness.ts';

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
