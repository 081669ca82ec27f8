/**
 * The fault matrix: the recovery run while the cluster is in trouble, against the local cluster
 * through the operations the CLI calls and through the workflow's ReadOffsets and PlanTarget
 * handlers. Every case ends in the offsets the healthy coordinator had (the ground truth) or in
 * offsets marked UNCHECKED / UNCERTAIN / MISSING with complete: false; never silently wrong.
 */
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupOffsetsResult } from '../../../lambdas/core/model.ts';
import { checkCompleteness, offsetsPartitionFor, offsetsPartitionForCount, readCommittedOffsets } from '../../../lambdas/core/operations/index.ts';
import type { RecoveryScanOptions } from '../../../lambdas/core/operations/index.ts';
import type { CommittedOffsetEntry, KafkaPort } from '../../../lambdas/core/ports.ts';
import { renderApprovalMessage } from '../../../lambdas/core/workflow/approval-message.ts';
import type { GroupRecovery, RecoveryPlan } from '../../../lambdas/core/workflow/documents.ts';
import { createHandler as blastRadius } from '../../../lambdas/handlers/blast-radius.ts';
import { createHandler as planTarget } from '../../../lambdas/handlers/plan-target.ts';
import { createHandler as readOffsets } from '../../../lambdas/handlers/read-offsets.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import type { LocalCluster } from '../../../local/kafka/index.ts';
import { request } from '../../unit/core/workflow/fixtures.ts';
import { setUp } from '../../unit/handlers/harness.ts';
import { OFFSETS_PARTITIONS, consumeAll, createTopic, produce, realClient, startCluster } from './helpers.ts';

const FAST_RETRY = { attempts: 6, initialDelayMs: 20, maxDelayMs: 200 };

let cluster: LocalCluster;
let kafka: Kafka;
let port: KafkaPort;

function groupOnPartition(partition: number, prefix: string, skip = 0): string {
  let found = 0;
  for (let n = 0; ; n++) {
    const name = `${prefix}-${n}`;
    if (offsetsPartitionForCount(name, OFFSETS_PARTITIONS) === partition && found++ === skip) return name;
  }
}

/** A standalone OffsetCommit (no join, like a consumer using assign()): the coordinator writes it to __consumer_offsets. */
async function commit(groupId: string, topic: string, offsets: Record<number, number>): Promise<void> {
  const results = await port.commitOffsets(groupId, Object.entries(offsets).map(([partition, offset]) => ({ topic, partition: Number(partition), offset: BigInt(offset) })));
  expect(results.filter((r) => r.errorName !== null)).toEqual([]);
}

/** Offset commits of another group on the same __consumer_offsets partition, one batch each: a scan needs many Fetches. */
async function filler(partition: number, batches: number): Promise<void> {
  const other = groupOnPartition(partition, 'filler');
  for (let i = 0; i < batches; i++) await commit(other, 'orders', { 0: 1 + (i % 5) });
}

function asMap(entries: { topic: string; partition: number; offset: bigint | string }[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [`${e.topic}-${e.partition}`, e.offset.toString()]));
}

function recovered(result: GroupOffsetsResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [topic, partitions] of Object.entries(result.offsets)) for (const [p, entry] of Object.entries(partitions)) out[`${topic}-${p}`] = entry.offset;
  return out;
}

/** Scan options that make the scan take several Fetches and call `fault` once, after the first. */
function withFaultAfterFirstFetch(fault: () => Promise<unknown> | unknown): { options: RecoveryScanOptions; done: () => Promise<void> } {
  let fired: Promise<unknown> | null = null;
  return {
    options: {
      maxBytesPerFetch: 1024,
      progressIntervalMs: 0,
      retry: FAST_RETRY,
      onProgress: (progress) => {
        if (fired === null && progress.batches > 0) fired = Promise.resolve(fault());
      },
    },
    done: async () => {
      expect(fired, 'the fault fired during the scan').not.toBeNull();
      await fired;
    },
  };
}

async function truth(groupId: string): Promise<Record<string, string>> {
  const entries: CommittedOffsetEntry[] = await port.fetchCommittedOffsets(groupId);
  return asMap(entries.filter((e) => e.offset >= 0n));
}

async function restartStopped(): Promise<void> {
  for (const broker of cluster.brokers) if (!broker.running) await cluster.faults.startBroker(broker.brokerId);
}

beforeAll(async () => {
  cluster = await startCluster();
  kafka = realClient(cluster, 'fault-matrix');
  await createTopic(kafka, 'orders', 3);
  await createTopic(kafka, 'ledger', 2, 1); // replication factor 1: a stopped broker leaves a partition leaderless
  await produce(kafka, 'orders', 3, 20);
  await produce(kafka, 'ledger', 2, 20);
  port = createKafkaPort({ brokers: cluster.bootstrapServers, clientId: 'fault-matrix', requestTimeoutMs: 2000 });
}, 60_000);

afterAll(async () => {
  await port?.close();
  await cluster?.stop();
});

describe('the fault matrix, through the operations', () => {
  let group: string;
  let partition: number;

  beforeAll(async () => {
    group = 'matrix-main';
    partition = await offsetsPartitionFor(port, group);
    const consumer = await consumeAll(kafka, group, 'orders', 60);
    await consumer.disconnect();
    await commit(group, 'ledger', { 0: 11, 1: 13 });
    await filler(partition, 60);
  }, 60_000);

  afterAll(restartStopped);

  it('leader of the __consumer_offsets partition stopped mid-scan: the exact offsets', async () => {
    const expected = await truth(group);
    const leader = (await port.metadata(['__consumer_offsets'])).topics[0]!.partitions.find((p) => p.partition === partition)!.leader;
    const fault = withFaultAfterFirstFetch(() => cluster.faults.stopBroker(leader));
    const result = await readCommittedOffsets(port, group, {}, fault.options);
    await fault.done();
    expect(recovered(result)).toEqual(expected);
    expect(result.scan.complete).toBe(true);
    await restartStopped();
  }, 60_000);

  it('leader moved mid-scan: the exact offsets', async () => {
    const expected = await truth(group);
    const leader = (await port.metadata(['__consumer_offsets'])).topics[0]!.partitions.find((p) => p.partition === partition)!.leader;
    const to = cluster.brokers.map((b) => b.brokerId).find((id) => id !== leader)!;
    const fault = withFaultAfterFirstFetch(() => cluster.faults.moveLeader(partition, to));
    const result = await readCommittedOffsets(port, group, {}, fault.options);
    await fault.done();
    expect(recovered(result)).toEqual(expected);
    expect(result.scan.complete).toBe(true);
  }, 60_000);

  it('compaction of __consumer_offsets mid-scan: the exact offsets', async () => {
    const expected = await truth(group);
    const fault = withFaultAfterFirstFetch(() => cluster.faults.compact('__consumer_offsets'));
    const result = await readCommittedOffsets(port, group, {}, fault.options);
    await fault.done();
    expect(recovered(result)).toEqual(expected);
    expect((await checkCompleteness(port, result)).complete).toBe(true);
  }, 60_000);

  it('a data partition leaderless (replication factor 1, its broker down): UNCHECKED, the rest returned', async () => {
    const expected = await truth(group);
    const result = await readCommittedOffsets(port, group, {}, { retry: FAST_RETRY });
    expect(recovered(result)).toEqual(expected);
    const ledgerLeader = (await port.metadata(['ledger'])).topics[0]!.partitions.find((p) => p.partition === 0)!.leader;
    await cluster.faults.stopBroker(ledgerLeader);
    try {
      const report = await checkCompleteness(port, result);
      expect(report.complete).toBe(false);
      const ledger0 = report.partitions.find((p) => p.topic === 'ledger' && p.partition === 0)!;
      expect(ledger0).toMatchObject({ status: 'UNCHECKED', offset: '11', error: expect.stringMatching(/LEADER_NOT_AVAILABLE|leader/i) });
      for (const p of report.partitions.filter((c) => c.topic === 'orders')) expect(p.status).toBe('OK');
      expect(report.issues.map((i) => i.kind)).toContain('UNCHECKED_PARTITION');
    } finally {
      await restartStopped();
    }
  }, 60_000);

  it('all brokers down: the scan fails with a retryable error rather than answering, and a finished scan keeps its offsets as UNCHECKED', async () => {
    const expected = await truth(group);
    const result = await readCommittedOffsets(port, group, {}, { retry: FAST_RETRY });
    for (const broker of cluster.brokers) await cluster.faults.stopBroker(broker.brokerId);
    try {
      await expect(readCommittedOffsets(port, group, {}, { retry: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 } })).rejects.toMatchObject({ retryable: true });
      const report = await checkCompleteness(port, result);
      expect(report.complete).toBe(false);
      expect(new Set(report.partitions.map((p) => p.status))).toEqual(new Set(['UNCHECKED']));
      expect(Object.fromEntries(report.partitions.map((p) => [`${p.topic}-${p.partition}`, p.offset]))).toEqual(expected);
    } finally {
      await restartStopped();
    }
  }, 120_000);
});

describe('the fault matrix: log start moved, open transaction, a window without metadata', () => {
  afterAll(restartStopped);

  it('log start moved past the newest commit during the scan: UNCERTAIN, never OK', async () => {
    const group = groupOnPartition(7, 'matrix-retention');
    await commit(group, 'orders', { 0: 4 }); // read before the deletion, then superseded
    await filler(7, 30);
    await commit(group, 'orders', { 0: 17 }); // deleted before the scan reaches it
    const end = (await port.listOffsets('__consumer_offsets', [7], { kind: 'latest' }))[0]!.offset;
    await filler(7, 10);
    const fault = withFaultAfterFirstFetch(() => cluster.faults.deleteRecordsBefore('__consumer_offsets', 7, Number(end)));
    const result = await readCommittedOffsets(port, group, {}, fault.options);
    await fault.done();
    expect(result.scan.complete).toBe(false);
    const report = await checkCompleteness(port, result);
    expect(report.complete).toBe(false);
    expect(report.partitions.find((p) => p.topic === 'orders' && p.partition === 0)).toMatchObject({ status: 'UNCERTAIN', offset: '4' });
    expect(report.issues.map((i) => i.kind)).toEqual(expect.arrayContaining(['LOG_START_MOVED', 'UNCERTAIN_OFFSET']));
  }, 60_000);

  it('an open transaction holding the last stable offset: the committed offsets, SCAN_INCOMPLETE', async () => {
    const group = 'matrix-txn';
    await commit(group, 'orders', { 0: 3, 1: 5 });
    const expected = await truth(group);
    const producer = kafka.producer({ transactionalId: 'matrix-open-txn', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    try {
      await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic: 'orders', partitions: [{ partition: 0, offset: '9' }] }] });
      const result = await readCommittedOffsets(port, group, {}, { retry: { attempts: 2, initialDelayMs: 20, maxDelayMs: 50 } });
      expect(recovered(result)).toEqual(expected);
      const report = await checkCompleteness(port, result);
      expect(report.complete).toBe(false);
      expect(report.issues.map((i) => i.kind)).toContain('SCAN_INCOMPLETE');
    } finally {
      await txn.abort();
      await producer.disconnect();
    }
  }, 60_000);

  it('a --since window that holds no member metadata: the subscription from before it, topics committed before it MISSING', async () => {
    const group = 'matrix-window';
    const consumer = await consumeAll(kafka, group, 'orders', 60);
    await consumer.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await commit(group, 'ledger', { 0: 7, 1: 8 });
    const result = await readCommittedOffsets(port, group, { since }, { retry: FAST_RETRY });
    expect(recovered(result)).toEqual({ 'ledger-0': '7', 'ledger-1': '8' });
    expect(result.subscription).toMatchObject({ source: 'before-window', topics: ['orders'], committedBeforeWindow: ['orders'] });
    const report = await checkCompleteness(port, result);
    expect(report.complete).toBe(false);
    expect(report.partitions.filter((p) => p.topic === 'orders').map((p) => p.status)).toEqual(['MISSING', 'MISSING', 'MISSING']);
  }, 60_000);
});

describe('the fault matrix through the workflow handlers (BlastRadius, ReadOffsets, PlanTarget)', () => {
  afterAll(restartStopped);

  it('plans with an UNCHECKED partition and a subscription from before the window, and the mail says so', async () => {
    const group = 'matrix-workflow';
    const started = Date.now();
    const consumer = await consumeAll(kafka, group, 'orders', 60);
    await consumer.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await commit(group, 'ledger', { 0: 5, 1: 6 });

    const h = setUp();
    h.deps.kafkaPort = () => createKafkaPort({ brokers: cluster.bootstrapServers, clientId: 'matrix-handlers', requestTimeoutMs: 2000 });
    const req = request({ groups: [group], window: { since, until: Date.now() + 60_000 } });
    const shard = await offsetsPartitionFor(port, group);
    const ledgerLeader = (await port.metadata(['ledger'])).topics[0]!.partitions.find((p) => p.partition === 1)!.leader;
    // The shard's one pass stores the group's offsets and subscription; ReadOffsets reads them from S3.
    const scanned = await blastRadius(h.deps)({ request: req, shard: { partition: shard, brokerId: -1, groups: [group] } });
    expect(scanned).toMatchObject({ status: 'DONE', groupCount: 1 });
    const read = await readOffsets(h.deps)({ request: req, groupId: group, partition: shard });
    await cluster.faults.stopBroker(ledgerLeader);
    let plan: RecoveryPlan;
    try {
      // ReadOffsets again with the data partition leaderless: a partial answer, not a failure.
      const partial = (await readOffsets(h.deps)({ request: req, groupId: group, partition: shard })) as { artifact: { bucket: string; key: string } };
      const stored = JSON.parse(h.objects.get(`${partial.artifact.bucket}/${partial.artifact.key}`)!) as GroupRecovery;
      expect(stored.completeness.partitions.find((p) => p.topic === 'ledger' && p.partition === 1)).toMatchObject({ status: 'UNCHECKED', offset: '6' });
      const output = await planTarget(h.deps)({ request: req, diagnosis: { failingBrokers: [], failedShards: [shard] }, groups: [partial] });
      plan = JSON.parse(h.objects.get(`${output.plan.bucket}/${output.plan.key}`)!) as RecoveryPlan;
      expect(read).toBeDefined();
    } finally {
      await restartStopped();
    }
    const groupPlan = plan.groups[0]!;
    expect(groupPlan.offsets.map((o) => `${o.topic}-${o.partition}:${o.status}`)).toEqual(['ledger-0:OK', 'ledger-1:UNCHECKED']);
    const mail = renderApprovalMessage({ plan, planSha256: 'x', planLocation: 's3://artifacts/plan.json', commands: null, executionArn: req.executionArn, approvalUrl: null, expiresAt: new Date(started + 86_400_000).toISOString() }).text;
    expect(mail).toMatch(/WARNING: ledger-1: the recovered offset 6 is not validated/);
    expect(mail).toMatch(/WARNING: no committed offset recovered for orders-0.*committed to orders before the window/);
    expect(mail).toMatch(/WARNING: Note: the window holds no group metadata with members; the subscription comes from the group metadata at __consumer_offsets-\d+ offset \d+ .*before the window/);
    expect(mail).toMatch(/WARNING: 1 offset\(s\) are UNCHECKED/);
  }, 90_000);
});
