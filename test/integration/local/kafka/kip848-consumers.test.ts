/**
 * KIP-848 consumer groups on the local cluster's 4.1 profile, driven by an unmodified client:
 * confluent-kafka (librdkafka, `group.protocol=consumer`, Python from `.cache/py`) joins,
 * consumes, commits with OffsetCommit v9 and rebalances (a second consumer joins, then leaves)
 * through ConsumerGroupHeartbeat; the toolkit's raw-log scan reads the commits back. Then the
 * runbook's own failure made by replay, not imitated: the record sequence of KAFKA-19862 (a
 * member's first assignment appended again through `__admin_client`) and a leader move, and the
 * new leader's load fails with the lines a real 4.1.1 broker prints
 * (`test/integration/local/real-kafka/incident-epoch-conflict.test.ts` asserts the same shape).
 */
import { Kafka, logLevel } from 'kafkajs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { readCommittedOffsets } from '../../../../lambdas/core/operations/index.ts';
import type { KafkaPort } from '../../../../lambdas/core/ports.ts';
import { createKafkaPort } from '../../../../lambdas/kafka/index.ts';
import type { BrokerLogLine } from '../../../../local/kafka/broker-log.ts';
import { CONSUMER_OFFSETS } from '../../../../local/kafka/cluster/cluster.ts';
import { PartitionShardLog } from '../../../../local/kafka/coordinator/partition-shard-log.ts';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { appendAsAdminClient, staleAssignment } from '../real-kafka/kip848-stale-assignment.ts';
import { confluentKafkaPython, confluentKafkaUnavailable, NOT_RUN_MARK } from '../real-kafka/support.ts';
import { killChildren, watchProcess } from './helpers.ts';
import { waitFor } from '../../../support/wait.ts';

const OFFSETS_PARTITIONS = 6;
const TOPIC = 'payments';
const PARTITIONS = 3;
const PER_PARTITION = 10;

const missing = confluentKafkaUnavailable();
const suite = missing === null ? describe : describe.skip;
const title = 'KIP-848 consumers (confluent-kafka) on the local 4.1 profile' + (missing === null ? '' : ` [${NOT_RUN_MARK}: ${missing}]`);

suite(title, () => {
  let local: LocalCluster;
  let port: KafkaPort;

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 1, kafkaVersion: '4.1', consumerGroupHeartbeatIntervalMs: 300 });
    local.cluster.createTopic(TOPIC, { partitions: PARTITIONS, replicationFactor: 3 });
    const producer = new Kafka({ clientId: 'kip848-it', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let p = 0; p < PARTITIONS; p++) {
        await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ partition: p, value: `payment-${p}-${i}` })) });
      }
    } finally {
      await producer.disconnect();
    }
    port = createKafkaPort({ brokers: local.bootstrapServers, clientId: 'kip848-it' });
  });

  afterAll(async () => {
    killChildren();
    await port?.close();
    await local?.stop();
  });

  /** The consumer-group record types of `group` in its partition, tombstones as negative numbers. */
  function recordTypes(group: string): number[] {
    const p = local.cluster.partition(CONSUMER_OFFSETS, partitionForGroup(group, OFFSETS_PARTITIONS))!;
    const types: number[] = [];
    for (const batch of new PartitionShardLog(p.log, 4, () => p.leaderEpoch, { codec: 'none' }).readBatches()) {
      if (batch.isControl) continue;
      for (const { record } of batch.records) {
        if (record.kind === 'consumer' && record.record.group === group) types.push(record.record.value === null ? -record.record.type : record.record.type);
        if (record.kind === 'offset' && record.group === group) types.push(1);
      }
    }
    return types;
  }

  it('join, consume, commit with member epochs, rebalance on a join and a leave; the raw log holds the commits and the group\'s records', async () => {
    const group = 'payments-kip848-rebalance';
    const script = fileURLToPath(new URL('./kip848_rebalance.py', import.meta.url));
    const child = watchProcess(confluentKafkaPython(), [script, local.bootstrapServers.join(','), group, TOPIC, String(PARTITIONS)]);
    await child.until((out) => out.includes('"phase": "alone"') || out.includes('"error"'), 60_000);
    const phases = child.stdout().toString().trim().split('\n').map((line) => JSON.parse(line) as { phase?: string; sizes?: number[]; committed?: Record<string, number>; error?: string });
    expect(phases.find((p) => p.error !== undefined)?.error, child.stderr().slice(-2000)).toBeUndefined();
    const shared = phases.find((p) => p.phase === 'shared')!;
    expect([...shared.sizes!].sort()).toEqual([1, 2]);
    expect(shared.committed).toEqual({ '0': PER_PARTITION, '1': PER_PARTITION, '2': PER_PARTITION });
    expect(phases.find((p) => p.phase === 'alone')!.sizes).toEqual([PARTITIONS]);
    expect((await child.exited()).code).toBe(0);

    const read = await readCommittedOffsets(port, group);
    expect(Object.fromEntries(Object.entries(read.offsets[TOPIC]!).map(([p, o]) => [p, o.offset]))).toEqual({ '0': String(PER_PARTITION), '1': String(PER_PARTITION), '2': String(PER_PARTITION) });
    const types = recordTypes(group);
    // The first join as 4.1.1 writes it, every record a 4.1 coordinator writes for the group, both leaves' tombstones.
    expect(types.slice(0, 5)).toEqual([5, 3, 7, 6, 8]);
    expect(new Set(types)).toEqual(new Set([5, 3, 7, 6, 8, 1, -8, -7, -5]));
    expect(types.filter((t) => t === -5)).toHaveLength(2);
    expect(types.at(-1)).toBe(3);
  }, 90_000);

  it('a replayed stale assignment fails the shard\'s load after a leader move, with the lines a real 4.1.1 broker prints (KAFKA-19862)', async () => {
    const group = 'payments-kip848-conflict';
    const script = fileURLToPath(new URL('../real-kafka/kip848-consumers.py', import.meta.url));
    const child = watchProcess(confluentKafkaPython(), [script, local.bootstrapServers.join(','), group, TOPIC, String(PARTITIONS)]);
    await child.until((out) => out.includes('\n'), 60_000);
    const started = JSON.parse(child.stdout().toString().split('\n')[0]!) as { members?: string[]; error?: string };
    expect(started.error, child.stderr().slice(-2000)).toBeUndefined();
    await child.exited();

    const partition = partitionForGroup(group, OFFSETS_PARTITIONS);
    const stale = await staleAssignment(port, partition, group);
    expect([stale.memberId, stale.ownerMemberId].sort()).toEqual([...started.members!].sort());
    const appendedAt = await appendAsAdminClient(local.bootstrapServers, partition, stale.key, stale.value);
    const lines: BrokerLogLine[] = [];
    const unsubscribe = local.logs.subscribe((line) => lines.push(line));
    try {
      const leader = local.cluster.partition(CONSUMER_OFFSETS, partition)!.leader;
      const to = local.cluster.partition(CONSUMER_OFFSETS, partition)!.replicas.find((b) => b !== leader)!;
      local.faults.moveLeader(partition, to);
      const failure = await waitFor('the load-failure line', () => lines.find((l) => l.text.includes(`Failed to load metadata from __consumer_offsets-${partition} `)), 15_000);
      const conflict = `Cannot set the epoch of ${stale.topicId}-${stale.partition} to ${stale.memberEpoch} because the partition is still owned at epoch ${stale.ownerEpoch}`;
      const record =
        `CoordinatorRecord(key=ConsumerGroupCurrentMemberAssignmentKey(groupId='${group}', memberId='${stale.memberId}'), ` +
        `value=ApiMessageAndVersion(ConsumerGroupCurrentMemberAssignmentValue(memberEpoch=${stale.memberEpoch}, `;
      const replaying = lines.filter((l) => l.text.includes('Replaying record'));
      expect(replaying.map((l) => l.logger)).toEqual(['kafka.coordinator.group.CoordinatorLoaderImpl', failure.logger]);
      expect(replaying[0]!.level).toBe('ERROR');
      expect(replaying[0]!.text).toContain(`Replaying record ${record}`);
      expect(replaying[0]!.text).toContain(`from __consumer_offsets-${partition} at offset ${appendedAt} with producer id -1 and producer epoch 0 failed due to: ${conflict}.`);
      expect(failure.level).toBe('ERROR');
      expect(failure.logger).toBe('org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime');
      expect(failure.text).toMatch(
        new RegExp(
          `^\\[[^\\]]+\\] ERROR \\[GroupCoordinator id=${to}\\] Failed to load metadata from __consumer_offsets-${partition} with epoch \\d+ due to ` +
            `java\\.lang\\.RuntimeException: Replaying record ${escape(record)}.* at version 0\\)\\) from __consumer_offsets-${partition} at offset ${appendedAt} ` +
            `with producer id -1 and producer epoch 0 failed due to: ${escape(conflict)}\\. \\(org\\.apache\\.kafka\\.coordinator\\.common\\.runtime\\.CoordinatorRuntime\\)$`,
        ),
      );
      await expect(port.fetchCommittedOffsets(group, [TOPIC])).rejects.toMatchObject({ details: { kafkaErrorName: 'NOT_COORDINATOR' } });
      // The commits are still in the raw log, where the runbook reads them.
      const read = await readCommittedOffsets(port, group);
      expect(Object.values(read.offsets[TOPIC]!).map((o) => o.offset)).toEqual([String(PER_PARTITION), String(PER_PARTITION), String(PER_PARTITION)]);
    } finally {
      unsubscribe();
    }
  }, 90_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
