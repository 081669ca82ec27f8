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
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../../../bin/cli/run.ts';
import type { CliIo } from '../../../../bin/cli/command.ts';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { diagnoseCoordinators } from '../../../../lambdas/core/workflow/diagnosis.ts';
import type { RecoveryRequest } from '../../../../lambdas/core/workflow/documents.ts';
import { aggregateFindings } from '../../../../lambdas/aws/broker-log-lines.ts';
import { createKafkaPort } from '../../../../lambdas/kafka/index.ts';
import type { KafkaPort } from '../../../../lambdas/core/ports.ts';
import { startRealKafka, type RealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import type { RealBrokerLogEntry } from '../../../../local/real-kafka/broker-log-file.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { appendAsAdminClient, staleAssignment, type StaleAssignment } from './kip848-stale-assignment.ts';
import { clientFor, confluentKafkaPython, describeRealKafka, liveBootstrap, untilAccepted } from './support.ts';

const VERSION = REAL_KAFKA_RELEASES.vulnerable41;
const OFFSETS_PARTITIONS = 6;
const TOPIC = 'payments';
const GROUP = 'payments-kip848';
const PARTITIONS = 3;
const BEFORE = 10; // per partition, consumed and committed before the failure
const DURING = 5; // per partition, produced while the group is stuck

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
    const dir = mkdtempSync(join(tmpdir(), 'kip848-incident-'));

    beforeAll(async () => {
      real = await startRealKafka({ version: VERSION, brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, overrides: { 'auto.leader.rebalance.enable': false } });
      const kafka = clientFor(real.bootstrapServers);
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
        for (let p = 0; p < PARTITIONS; p++) {
          await untilAccepted('producing to the topic', () => producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: BEFORE }, (_, i) => ({ partition: p, value: `payment-${p}-${i}` })) }));
        }
        const started = await startConsumers(real.bootstrapServers.join(','));
        consumers = started.child;
        members = started.members;
        expect(started.committed).toEqual({ '0': BEFORE, '1': BEFORE, '2': BEFORE });

        failedPartition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
        port = createKafkaPort({ brokers: real.bootstrapServers, clientId: 'kip848-recovery' });
        stale = await staleAssignment(port, failedPartition, GROUP);
        appendedAt = await untilAccepted('appending the stale assignment', () => appendAsAdminClient(real.bootstrapServers, failedPartition, stale.key, stale.value));
        const metadata = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
        const leader = metadata.topics[0]!.partitions.find((p) => p.partitionId === failedPartition)!.leader;
        await producer.disconnect();
        await admin.disconnect();
        await port.close();
        // The leader dies; another replica takes the partition over and replays it.
        await real.killBroker(leader);
        failureLine = await real.waitForLog(new RegExp(`Failed to load metadata from __consumer_offsets-${failedPartition}\\b`), { timeoutMs: 60_000 });
        failingBroker = failureLine.brokerId;
      } catch (error) {
        await producer.disconnect().catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
        throw error;
      } finally {
        await stopConsumers();
      }
      const live = clientFor(liveBootstrap(real));
      const during = live.producer({ allowAutoTopicCreation: false });
      await during.connect();
      for (let p = 0; p < PARTITIONS; p++) {
        await untilAccepted('producing to the topic', () => during.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: DURING }, (_, i) => ({ partition: p, value: `payment-${p}-${BEFORE + i}` })) }));
      }
      await during.disconnect();
      port = createKafkaPort({ brokers: liveBootstrap(real), clientId: 'kip848-recovery' });
    }, 240_000);

    afterAll(async () => {
      await stopConsumers();
      await port?.close();
      await real?.stop();
      rmSync(dir, { recursive: true, force: true });
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
      const events = real.logEntries().map((entry) => ({ logStreamName: `payments-real-Broker-${entry.brokerId}`, timestamp: Date.parse(entry.time), message: entry.text }));
      const findings = aggregateFindings(events);
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

      const target = await healthyTarget();
      const planFile = join(dir, 'plan.json');
      const plan = await cli(['plan', GROUP, '--target', target, '--out', planFile]);
      expect(plan.code, plan.err).toBe(0);
      expect((await port.fetchCommittedOffsets(target, [TOPIC])).filter((e) => e.offset >= 0n)).toEqual([]);
      const seed = await cli(['seed', '--plan', planFile, '--yes', '--approved-by', 'kip848-suite']);
      expect(seed.code, seed.err).toBe(0);
      const verify = await cli(['verify', '--plan', planFile]);
      expect(verify.code, verify.out + verify.err).toBe(0);

      const resumed = await resume(target, PARTITIONS * DURING);
      expect(resumed.errors).toEqual([]);
      const expected = Array.from({ length: PARTITIONS }, (_, p) => Array.from({ length: DURING }, (_, i) => `payment-${p}-${BEFORE + i}`)).flat();
      expect([...resumed.values].sort()).toEqual([...expected].sort());
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

    /** A target group whose shard is led by a live broker other than the failing one. */
    async function healthyTarget(): Promise<string> {
      const leaders = new Map((await port.metadata(['__consumer_offsets'])).topics[0]!.partitions.map((p) => [p.partition, p.leader]));
      const healthy = (name: string): boolean => {
        const leader = leaders.get(partitionForGroup(name, OFFSETS_PARTITIONS)) ?? -1;
        return leader !== failingBroker && real.brokers.some((b) => b.running && b.id === leader);
      };
      return Array.from({ length: 50 }, (_, i) => `${GROUP}-recovered-${i}`).find(healthy)!;
    }

    async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
      let out = '';
      let err = '';
      const io: CliIo = {
        stdout: { write: (text: string) => (out += text) },
        stderr: { write: (text: string) => (err += text) },
        interactive: false,
        stdin: Readable.from([]),
        env: {},
        now: () => Date.now(),
        readFile: (path) => readFileSync(path),
        createPort: (config) => createKafkaPort(config),
      };
      const code = await runCli([...args, '--bootstrap', liveBootstrap(real).join(',')], io);
      return { code, out, err };
    }
  },
  { needsConfluentKafka: true },
);

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function request(): RecoveryRequest {
  return {
    clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments-real/0a1b2c3d-real',
    region: 'eu-west-1',
    groups: [GROUP],
    window: { since: 0, until: Date.now() + 60_000 },
    targetNames: {},
    overwriteExistingTargetOffsets: false,
    restoreInPlace: false,
    authMode: 'iam',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:runbook:kip848',
    trigger: { source: 'cli', alarmName: null, alarmTime: null },
    comment: null,
  };
}
