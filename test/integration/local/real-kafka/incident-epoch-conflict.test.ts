/**
 * The runbook's own failure on the release still open to KAFKA-19862 (Apache Kafka 4.1.1): a
 * KIP-848 consumer group's shard that cannot load because replaying a
 * ConsumerGroupCurrentMemberAssignment record assigns a partition another member still owns
 * ("Cannot set the epoch of <topic id>-<partition> to <epoch> because the partition is still
 * owned at epoch <epoch>", thrown by ConsumerGroup.addPartitionEpochs).
 *
 * What provokes it in the wild is a load racing the log cleaner (the fix's title: "Group
 * coordinator loading may fail when there is concurrent compaction"): the loader reads member
 * A's old assignment, the cleaner drops A's later records, and the loader then reads member B's
 * assignment of the same partition, or A's old record after B's. That race cannot be timed from
 * outside the broker, so this suite makes its outcome deterministically: two confluent-kafka
 * consumers (`group.protocol=consumer`) share a topic, the coordinator moves partitions from A
 * to B, and A's first assignment record, byte for byte as the broker wrote it, is appended again
 * through the `__admin_client` client id. Then the partition's leader dies and the new leader's
 * load stops at that record, with the broker's own lines. The runbook recovers the group through
 * the CLI (offsets, plan, seed, verify) and KIP-848 consumers resume on the new group with
 * nothing lost and nothing replayed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { diagnoseCoordinators } from '../../../../lambdas/core/workflow/diagnosis.ts';
import type { RecoveryRequest } from '../../../../lambdas/core/workflow/documents.ts';
import { createKafkaPort } from '../../../../lambdas/kafka/index.ts';
import type { KafkaPort } from '../../../../lambdas/core/ports.ts';
import type { RealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import type { RealBrokerLogEntry } from '../../../../local/real-kafka/broker-log-file.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { runCliInProcess, type CliRun } from '../../../support/run-cli.ts';
import { createTopic } from '../../kafka/helpers.ts';
import { appendAsAdminClient, staleAssignment, type StaleAssignment } from './kip848-stale-assignment.ts';
import { clientFor, confluentKafkaPython, describeRealKafka, liveBootstrap, untilAccepted } from './support.ts';
import { messageValues, produceToEachPartition } from '../../../support/produce.ts';
import { cliRequest } from '../../../support/cli-request.ts';
import { brokerLogFindings, killShardLeaderUntilLoadFails, startThreeBrokers, storedOffsets, targetOnHealthyShard } from './incident-scene.ts';
import { tempDirForSuite } from '../../../support/temp-dir.ts';

const VERSION = REAL_KAFKA_RELEASES.vulnerable41;
const OFFSETS_PARTITIONS = 6;
const TOPIC = 'payments';
const GROUP = 'payments-kip848';
const PARTITIONS = 3;
const BEFORE = 10; // per partition, consumed and committed before the failure
const DURING = 5; // per partition, produced while the group is stuck
const COMMITTED = { partitions: PARTITIONS, prefix: 'payment', from: 0, count: BEFORE };
const ARRIVED_DURING = { partitions: PARTITIONS, prefix: 'payment', from: BEFORE, count: DURING };


describeRealKafka(
  VERSION,
  'the KIP-848 epoch conflict (KAFKA-19862) on real brokers',
  () => {
    let real: RealKafka;
    let port: KafkaPort;
    let failedPartition: number;
    let failingBroker: number;
    let failureLine: RealBrokerLogEntry;
    let stale: StaleAssignment;
    let appendedAt: bigint;
    let members: string[];
    let consumers: ChildProcess | null = null;
    const dir = tempDirForSuite('kip848-incident-');

    beforeAll(async () => {
      real = await startThreeBrokers(VERSION, OFFSETS_PARTITIONS);
      const kafka = clientFor(real.bootstrapServers);
      await createTopic(kafka, TOPIC, PARTITIONS, 3);
      await produceToEachPartition(kafka, TOPIC, COMMITTED);
      try {
        const started = await startConsumers(real.bootstrapServers.join(','));
        consumers = started.child;
        members = started.members;
        expect(started.committed).toEqual({ '0': BEFORE, '1': BEFORE, '2': BEFORE });

        failedPartition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
        port = createKafkaPort({ brokers: real.bootstrapServers, clientId: 'kip848-recovery' });
        stale = await staleAssignment(port, failedPartition, GROUP);
        appendedAt = await untilAccepted('appending the stale assignment', () => appendAsAdminClient(real.bootstrapServers, failedPartition, stale.key, stale.value));
        await port.close();
        // The leader dies, the members still in the group; another replica takes the shard over and replays it.
        failureLine = await killShardLeaderUntilLoadFails(real, failedPartition);
        failingBroker = failureLine.brokerId;
      } finally {
        await stopConsumers();
      }
      await produceToEachPartition(clientFor(liveBootstrap(real)), TOPIC, ARRIVED_DURING);
      port = createKafkaPort({ brokers: liveBootstrap(real), clientId: 'kip848-recovery' });
    }, 240_000);

    afterAll(async () => {
      await stopConsumers();
      await port?.close();
      await real?.stop();
    });

    async function stopConsumers(): Promise<void> {
      const child = consumers;
      consumers = null;
      if (child === null || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }

    it('stops the load at the stale assignment with Kafka\'s own line, naming the record, its offset, the topic id, the partition and both epochs', () => {
      const conflict = `Cannot set the epoch of ${stale.topicId}-${stale.partition} to ${stale.memberEpoch} because the partition is still owned at epoch ${stale.ownerEpoch}`;
      const record =
        `CoordinatorRecord(key=ConsumerGroupCurrentMemberAssignmentKey(groupId='${GROUP}', memberId='${stale.memberId}'), ` +
        `value=ApiMessageAndVersion(ConsumerGroupCurrentMemberAssignmentValue(memberEpoch=${stale.memberEpoch}, `;
      // Both assignments are the two confluent-kafka members' own, as the coordinator wrote them.
      expect([stale.memberId, stale.ownerMemberId].sort()).toEqual([...members].sort());
      // 4.1.1 prints the replay failure twice: the loader's own line (its logger is in `kafka.coordinator.group`), then quoted in the runtime's.
      const replaying = real.logEntries(failingBroker).filter((e) => e.text.includes('Replaying record'));
      expect(replaying.map((e) => e.logger)).toEqual(['kafka.coordinator.group.CoordinatorLoaderImpl', failureLine.logger]);
      expect(replaying[0]!.level).toBe('ERROR');
      expect(replaying[0]!.text).toContain(`Replaying record ${record}`);
      expect(replaying[0]!.text).toContain(`from __consumer_offsets-${failedPartition} at offset ${appendedAt} with producer id -1 and producer epoch 0 failed due to: ${conflict}.`);
      expect(failureLine.level).toBe('ERROR');
      expect(failureLine.logger).toBe('org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime');
      expect(failureLine.line).toMatch(
        new RegExp(
          `^\\[[^\\]]+\\] ERROR \\[GroupCoordinator id=${failingBroker}\\] Failed to load metadata from __consumer_offsets-${failedPartition} with epoch \\d+ due to ` +
            `java\\.lang\\.RuntimeException: Replaying record ${escape(record)}.* at version 0\\)\\) from __consumer_offsets-${failedPartition} at offset ${appendedAt} ` +
            `with producer id -1 and producer epoch 0 failed due to: ${escape(conflict)}\\. \\(org\\.apache\\.kafka\\.coordinator\\.common\\.runtime\\.CoordinatorRuntime\\)$`,
        ),
      );
    });

    it('is diagnosed COORDINATOR_FAILED from the real log lines and the live checks', async () => {
      await expect(port.fetchCommittedOffsets(GROUP, [TOPIC])).rejects.toMatchObject({ details: { kafkaErrorName: 'NOT_COORDINATOR' } });
      const findings = brokerLogFindings(real, 'payments-real');
      expect(findings.map((f) => [f.partition, f.brokerId, f.phrase])).toEqual([[failedPartition, failingBroker, 'FAILED_TO_LOAD_METADATA']]);
      // The record and the conflict quoted in the line reach the evidence.
      expect(findings[0]!.replaying).toEqual([
        { topicPartition: `__consumer_offsets-${failedPartition}`, offset: String(appendedAt), conflictPartition: `${stale.topicId}-${stale.partition}`, requestedEpoch: stale.memberEpoch, ownedEpoch: stale.ownerEpoch },
      ]);
      const diagnosis = await diagnoseCoordinators(port, request(), findings, { confirmDelayMs: 200 });
      expect(diagnosis).toMatchObject({ verdict: 'COORDINATOR_FAILED', failedShards: [failedPartition], failingBrokers: [failingBroker], groups: [GROUP] });
    });

    it('is recovered through the CLI: offsets from the raw log, the KIP-848 subscription checked, plan, seed after approval, verify; KIP-848 consumers resume exactly', async () => {
      const offsets = await cli(['offsets', GROUP, '--json']);
      expect({ code: offsets.code, err: offsets.err }).toEqual({ code: 0, err: '' });
      const document = JSON.parse(offsets.out) as { offsets: { offsets: Record<string, Record<string, { offset: string }>>; subscription: { source: string; topics: string[] } }; completeness: { complete: boolean } };
      expect(Object.fromEntries(Object.entries(document.offsets.offsets[TOPIC]!).map(([p, o]) => [p, o.offset]))).toEqual({ '0': '10', '1': '10', '2': '10' });
      expect(document.offsets.subscription).toMatchObject({ source: 'window', topics: [TOPIC] });
      expect(document.completeness.complete).toBe(true);

      const target = await targetOnHealthyShard(port, real, { group: GROUP, infix: 'recovered', failingBroker, offsetsPartitions: OFFSETS_PARTITIONS });
      const planFile = join(dir, 'plan.json');
      const plan = await cli(['plan', GROUP, '--target', target, '--out', planFile]);
      expect(plan.code, plan.err).toBe(0);
      expect(await storedOffsets(port, target, TOPIC)).toEqual([]);
      const seed = await cli(['seed', '--plan', planFile, '--yes', '--approved-by', 'kip848-suite']);
      expect(seed.code, seed.err).toBe(0);
      const verify = await cli(['verify', '--plan', planFile]);
      expect(verify.code, verify.out + verify.err).toBe(0);

      const resumed = await resume(target, PARTITIONS * DURING);
      expect(resumed.errors).toEqual([]);
      expect([...resumed.values].sort()).toEqual(messageValues(ARRIVED_DURING).sort());
    }, 120_000);

    async function startConsumers(bootstrap: string): Promise<{ child: ChildProcess; members: string[]; committed: Record<string, number> }> {
      const script = fileURLToPath(new URL('./kip848-consumers.py', import.meta.url));
      const child = spawn(confluentKafkaPython(), [script, bootstrap, GROUP, TOPIC, String(PARTITIONS)], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
      const line = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout! });
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`the confluent-kafka consumers exited (${code}) before committing: ${stderr}`)));
      });
      const result = JSON.parse(line) as { members?: string[]; committed?: Record<string, number>; error?: string };
      if (result.error !== undefined) throw new Error(`${result.error}: ${stderr}`);
      return { child, members: result.members!, committed: result.committed! };
    }

    async function resume(group: string, count: number): Promise<{ values: string[]; errors: string[] }> {
      const script = fileURLToPath(new URL('./kip848-resume.py', import.meta.url));
      const child = spawn(confluentKafkaPython(), [script, liveBootstrap(real).join(','), group, TOPIC, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      if (code !== 0) throw new Error(`the resuming consumer exited ${code}: ${err}`);
      return JSON.parse(out) as { values: string[]; errors: string[] };
    }

    function cli(args: string[]): Promise<CliRun> {
      return runCliInProcess([...args, '--bootstrap', liveBootstrap(real).join(',')]);
    }
  },
  { needsConfluentKafka: true },
);

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function request(): RecoveryRequest {
  return cliRequest('payments-real', [GROUP], 'kip848');
}
