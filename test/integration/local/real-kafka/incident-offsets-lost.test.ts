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
import { readUntilAll } from '../../../support/consume.ts';
import { waitFor } from '../../../support/wait.ts';
import { createTopic } from '../../kafka/helpers.ts';
import { expectSameBehaviour } from './conformance-assertions.ts';
import { KCAT_GROUP, playScenario, SCENARIO_TOPIC } from './conformance-scenario.ts';
import { clientFor, describeRealKafka, untilAccepted } from './support.ts';
import { messageValues, produceToEachPartition } from '../../../support/produce.ts';
import { cliRequest } from '../../../support/cli-request.ts';
import { brokerLogFindings, consumeAndCommit } from './incident-scene.ts';
import { appendUnreplayableCommit } from '../../../../local/real-kafka/unreplayable-record.ts';

const VERSION = REAL_KAFKA_RELEASES.classic39;
const OFFSETS_PARTITIONS = 12;
const TOPIC = 'payments';
const GROUP = 'payments-service';
const PARTITIONS = 2;
const BEFORE = 6;
const DURING = 4;
const COMMITTED = { partitions: PARTITIONS, prefix: 'payment', from: 0, count: BEFORE };
const ARRIVED_AFTER = { partitions: PARTITIONS, prefix: 'payment', from: BEFORE, count: DURING };

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
    await createTopic(kafka, TOPIC, PARTITIONS, 1);
    await produceToEachPartition(kafka, TOPIC, COMMITTED);
    await consumeAndCommit(kafka, GROUP, TOPIC, BEFORE);
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
    const findings = brokerLogFindings(real, 'payments-real');
    expect(findings.map((f) => [f.partition, f.brokerId, f.phrase])).toEqual([[failedPartition, 1, 'ERROR_LOADING_OFFSETS']]);
    const diagnosis = await diagnoseCoordinators(port, request(), findings, { confirmDelayMs: 0 });
    expect(diagnosis.verdict).toBe('OFFSETS_LOST_ON_LOAD');
    expect(diagnosis.lostOffsets).toEqual([
      { groupId: GROUP, partition: failedPartition, differences: [0, 1].map((p) => ({ topic: TOPIC, partition: p, logOffset: String(BEFORE), fetchedOffset: null, logRecordOffset: expect.any(String) })) },
    ]);
    expect(diagnosis.shards).toEqual([{ partition: failedPartition, brokerId: 1, groups: [GROUP] }]);
  });

  it('recovers the group into a new one with nothing lost or replayed', async () => {
    await produceToEachPartition(kafka, TOPIC, ARRIVED_AFTER);

    const recovered = await readCommittedOffsets(port, GROUP);
    const completeness = await checkCompleteness(port, recovered);
    expect(completeness.complete).toBe(true);
    const plan = await planTargets(port, { request: request(), failedShards: [failedPartition], failingBrokers: [], recoveries: [{ groupId: GROUP, offsets: recovered, completeness }], planId: 'oracle-39', now: new Date() });
    const target = plan.groups[0]!;
    expect(target.blocked).toBe(false);
    expect(partitionForGroup(target.targetGroup, OFFSETS_PARTITIONS)).not.toBe(failedPartition);
    expect((await seedPlan(port, plan)).map((r) => r.status)).toEqual(['SEEDED']);
    expect((await verifyPlan(port, plan)).ok).toBe(true);

    // What arrived after the last commit, nothing before it.
    const received = await readUntilAll(kafka, target.targetGroup, TOPIC, messageValues(ARRIVED_AFTER));
    expect([...received].sort()).toEqual(messageValues(ARRIVED_AFTER).sort());
  }, 120_000);

  function request(): RecoveryRequest {
    return cliRequest('payments-real', [], 'oracle-39');
  }
});
