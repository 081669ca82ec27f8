/**
 * The 3.x incident on real Apache Kafka 3.9 (the classic GroupMetadataManager): an unreplayable
 * record in a group's `__consumer_offsets` partition, then a restart. The load fails with
 * "Error loading offsets from __consumer_offsets-N", yet the partition is served with nothing
 * loaded: the group's consumers would be served and start over from `auto.offset.reset`.
 * Diagnose must call it OFFSETS_LOST_ON_LOAD, and the toolkit recovers the group into a new one
 * with nothing lost or replayed. The same broker first plays the differential scenario against
 * the local cluster's 3.9 profile.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { aggregateFindings } from '../../../../lambdas/aws/broker-log-lines.ts';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { checkCompleteness, readCommittedOffsets } from '../../../../lambdas/core/operations/index.ts';
import type { KafkaPort } from '../../../../lambdas/core/ports.ts';
import { diagnoseCoordinators } from '../../../../lambdas/core/workflow/diagnosis.ts';
import type { RecoveryRequest } from '../../../../lambdas/core/workflow/documents.ts';
import { planTargets } from '../../../../lambdas/core/workflow/planning.ts';
import { seedPlan } from '../../../../lambdas/core/workflow/seeding.ts';
import { verifyPlan } from '../../../../lambdas/core/workflow/verification.ts';
import { createKafkaPort } from '../../../../lambdas/kafka/index.ts';
import { startLocalCluster } from '../../../../local/kafka/index.ts';
import type { RealBrokerLogEntry } from '../../../../local/real-kafka/broker-log-file.ts';
import { startRealKafka, type RealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { killChildren } from '../kafka/helpers.ts';
import { waitFor } from '../../kafka/helpers.ts';
import { expectSameBehaviour } from './conformance-assertions.ts';
import { KCAT_GROUP, playScenario, SCENARIO_TOPIC } from './conformance-scenario.ts';
import { clientFor, describeRealKafka, untilAccepted } from './support.ts';
import { appendUnreplayableCommit } from '../../../../local/real-kafka/unreplayable-record.ts';

const VERSION = REAL_KAFKA_RELEASES.classic39;
const OFFSETS_PARTITIONS = 12;
const TOPIC = 'payments';
const GROUP = 'payments-service';
const PARTITIONS = 2;
const BEFORE = 6;
const DURING = 4;

describeRealKafka(VERSION, 'offsets lost on load on real brokers', () => {
  let real: RealKafka;
  let kafka: Kafka;
  let port: KafkaPort;
  let failedPartition: number;
  let failureLine: RealBrokerLogEntry;

  beforeAll(async () => {
    real = await startRealKafka({ version: VERSION, brokers: 1, offsetsPartitions: OFFSETS_PARTITIONS });
    kafka = clientFor(real.bootstrapServers);
  }, 180_000);

  afterAll(async () => {
    killChildren();
    await port?.close();
    await real?.stop();
  });

  it('matches the local cluster\'s 3.9 profile record for record (the scenario of conformance.test.ts)', async () => {
    const local = await startLocalCluster({ brokers: 1, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 1, kafkaVersion: '3.9' });
    try {
      const [fromLocal, fromReal] = await Promise.all([playScenario(local.bootstrapServers, OFFSETS_PARTITIONS), playScenario(real.bootstrapServers, OFFSETS_PARTITIONS)]);
      expectSameBehaviour(fromLocal, fromReal, VERSION);
      // 3.x writes no GroupMetadata before the first generation, and commits as v3.
      expect(fromReal.records[KCAT_GROUP]![0]).toMatchObject({ kind: 'group-metadata', generation: 1 });
      expect(fromReal.records[KCAT_GROUP]).toContainEqual(expect.objectContaining({ kind: 'offset-commit', topic: SCENARIO_TOPIC, valueVersion: 3 }));
    } finally {
      await local.stop();
    }
  }, 120_000);

  it('logs "Error loading offsets" after a restart and serves the group with its offsets gone', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      for (let p = 0; p < PARTITIONS; p++) await untilAccepted('producing to the topic', () => producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: BEFORE }, (_, i) => ({ partition: p, value: `payment-${p}-${i}` })) }));
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ autoCommitThreshold: 1, eachMessage: async () => undefined });
      await waitFor('the group to commit every message', async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }).catch(() => []);
        return offsets?.partitions.every((p) => p.offset === String(BEFORE)) ? true : undefined;
      }, 60_000);
      await consumer.disconnect();
    } finally {
      await admin.disconnect();
    }
    failedPartition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
    await untilAccepted('appending the unreplayable record', () => appendUnreplayableCommit(real.bootstrapServers, { group: GROUP, topic: TOPIC, partition: 0, offsetsPartition: failedPartition }));
    await real.killBroker(1);
    await real.startBroker(1);
    failureLine = await real.waitForLog(new RegExp(`Error loading offsets from __consumer_offsets-${failedPartition}\\b`), { timeoutMs: 60_000 });
    expect(failureLine.line).toMatch(new RegExp(`^\\[[^\\]]+\\] ERROR \\[GroupMetadataManager brokerId=1\\] Error loading offsets from __consumer_offsets-${failedPartition} \\(kafka\\.coordinator\\.group\\.GroupMetadataManager\\)$`));

    port = createKafkaPort({ brokers: real.bootstrapServers, clientId: 'oracle-recovery' });
    const fetched = await waitFor('the coordinator to serve the partition again', async () => {
      try {
        return await port.fetchCommittedOffsets(GROUP, [TOPIC]);
      } catch {
        return undefined;
      }
    }, 30_000);
    expect(fetched.map((e) => e.offset)).toEqual([-1n, -1n]);
    await expect(port.describeGroup(GROUP)).resolves.toMatchObject({ groupId: GROUP, state: 'Dead' });
  }, 120_000);

  it('is diagnosed OFFSETS_LOST_ON_LOAD from the real log line, with the group\'s difference as evidence', async () => {
    const findings = aggregateFindings(real.logEntries().map((e) => ({ logStreamName: `payments-real-Broker-${e.brokerId}`, timestamp: Date.parse(e.time), message: e.text })));
    expect(findings.map((f) => [f.partition, f.brokerId, f.phrase])).toEqual([[failedPartition, 1, 'ERROR_LOADING_OFFSETS']]);
    const diagnosis = await diagnoseCoordinators(port, request(), findings, { confirmDelayMs: 0 });
    expect(diagnosis.verdict).toBe('OFFSETS_LOST_ON_LOAD');
    expect(diagnosis.lostOffsets).toEqual([
      { groupId: GROUP, partition: failedPartition, differences: [0, 1].map((p) => ({ topic: TOPIC, partition: p, logOffset: String(BEFORE), fetchedOffset: null, logRecordOffset: expect.any(String) })) },
    ]);
    expect(diagnosis.shards).toEqual([{ partition: failedPartition, brokerId: 1, groups: [GROUP] }]);
  });

  it('recovers the group into a new one with nothing lost or replayed', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let p = 0; p < PARTITIONS; p++) await untilAccepted('producing to the topic', () => producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: DURING }, (_, i) => ({ partition: p, value: `payment-${p}-${BEFORE + i}` })) }));
    await producer.disconnect();

    const recovered = await readCommittedOffsets(port, GROUP);
    const completeness = await checkCompleteness(port, recovered);
    expect(completeness.complete).toBe(true);
    const plan = await planTargets(port, { request: request(), failedShards: [failedPartition], failingBrokers: [], recoveries: [{ groupId: GROUP, offsets: recovered, completeness }], planId: 'oracle-39', now: new Date() });
    const target = plan.groups[0]!;
    expect(target.blocked).toBe(false);
    expect(partitionForGroup(target.targetGroup, OFFSETS_PARTITIONS)).not.toBe(failedPartition);
    expect((await seedPlan(port, plan)).map((r) => r.status)).toEqual(['SEEDED']);
    expect((await verifyPlan(port, plan)).ok).toBe(true);

    const received: string[] = [];
    const consumer = kafka.consumer({ groupId: target.targetGroup, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push(message.value!.toString()) });
      await waitFor('the recovered group to read what arrived after the last commit', () => (received.length >= PARTITIONS * DURING ? true : undefined), 60_000);
    } finally {
      await consumer.disconnect();
    }
    const expected = Array.from({ length: PARTITIONS }, (_, p) => Array.from({ length: DURING }, (_, i) => `payment-${p}-${BEFORE + i}`)).flat();
    expect([...received].sort()).toEqual([...expected].sort());
  }, 120_000);

  function request(): RecoveryRequest {
    return {
      clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/payments-real/0a1b2c3d-real',
      region: 'eu-west-1',
      groups: [],
      window: { since: 0, until: Date.now() + 60_000 },
      targetNames: {},
      overwriteExistingTargetOffsets: false,
      restoreInPlace: false,
      authMode: 'iam',
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:runbook:oracle-39',
      trigger: { source: 'cli', alarmName: null, alarmTime: null },
      comment: null,
    };
  }
});
