/**
 * The incident on real Apache Kafka 4.x: an unreplayable record in a group's
 * `__consumer_offsets` partition, then the partition's leader dies, the new leader's load stops
 * at the record and the shard is FAILED (every group call NOT_COORDINATOR), with the broker's
 * own log line. Then the runbook's toolkit recovers the group on those brokers: Diagnose from
 * the real log lines and live checks, the offsets read from the raw log (library and CLI),
 * a plan on a healthy coordinator, the approved seeding, verification, and consumers on the
 * new group that get exactly the messages after the last commit.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { checkCompleteness, readCommittedOffsets } from '../../../../lambdas/core/operations/index.ts';
import { diagnoseCoordinators } from '../../../../lambdas/core/workflow/diagnosis.ts';
import type { RecoveryRequest } from '../../../../lambdas/core/workflow/documents.ts';
import { planTargets } from '../../../../lambdas/core/workflow/planning.ts';
import { seedPlan } from '../../../../lambdas/core/workflow/seeding.ts';
import { verifyPlan } from '../../../../lambdas/core/workflow/verification.ts';
import { createKafkaPort } from '../../../../lambdas/kafka/index.ts';
import type { KafkaPort } from '../../../../lambdas/core/ports.ts';
import type { RealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import type { RealBrokerLogEntry } from '../../../../local/real-kafka/broker-log-file.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { readUntilAll } from '../../../support/consume.ts';
import { runCliInProcess } from '../../../support/run-cli.ts';
import { createTopic } from '../../kafka/helpers.ts';
import { clientFor, copyIntoSink, describeRealKafka, liveBootstrap, untilAccepted } from './support.ts';
import { messageValues, produceToEachPartition } from '../../../support/produce.ts';
import { cliRequest } from '../../../support/cli-request.ts';
import {
  brokerLogFindings,
  consumeAndCommit,
  killShardLeaderUntilLoadFails,
  startThreeBrokers,
  storedOffsets,
  targetOnHealthyShard,
} from './incident-scene.ts';
import { startAwsStandins } from '../../../../local/aws/index.ts';
import { BrokerLogSink } from '../../../../local/kafka/index.ts';
import { createLocalRunbook } from '../../../../local/stepfunctions/index.ts';
import { approvalMail, approvalMailParts, submitOnLink } from '../../../e2e/incident.ts';
import { appendUnreplayableCommit } from '../../../../local/real-kafka/unreplayable-record.ts';

const VERSION = REAL_KAFKA_RELEASES.newest;
const OFFSETS_PARTITIONS = 12;
const TOPIC = 'orders';
const GROUP = 'orders-service';
const PARTITIONS = 3;
const BEFORE = 10; // per partition, consumed and committed before the failure
const DURING = 5; // per partition, produced while the group is stuck
const COMMITTED = { partitions: PARTITIONS, prefix: 'order', from: 0, count: BEFORE };
const ARRIVED_DURING = { partitions: PARTITIONS, prefix: 'order', from: BEFORE, count: DURING };

describeRealKafka(VERSION, 'the FAILED shard incident on real brokers', () => {
  let real: RealKafka;
  let port: KafkaPort;
  let failedPartition: number;
  let failingBroker: number;
  let failureLine: RealBrokerLogEntry;
  let live: Kafka;

  beforeAll(async () => {
    real = await startThreeBrokers(VERSION, OFFSETS_PARTITIONS);
    const kafka = clientFor(real.bootstrapServers);
    await createTopic(kafka, TOPIC, PARTITIONS, 3);
    await produceToEachPartition(kafka, TOPIC, COMMITTED);
    await consumeAndCommit(kafka, GROUP, TOPIC, BEFORE);

    failedPartition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
    await untilAccepted('appending the unreplayable record', () => appendUnreplayableCommit(real.bootstrapServers, { group: GROUP, topic: TOPIC, partition: 0, offsetsPartition: failedPartition }));
    failureLine = await killShardLeaderUntilLoadFails(real, failedPartition);
    failingBroker = failureLine.brokerId;

    live = clientFor(liveBootstrap(real));
    await produceToEachPartition(live, TOPIC, ARRIVED_DURING);
    port = createKafkaPort({ brokers: liveBootstrap(real), clientId: 'oracle-recovery' });
  }, 240_000);

  afterAll(async () => {
    await port?.close();
    await real?.stop();
  });

  it('prints Kafka\'s own load-failure line, from the coordinator runtime, naming the record it could not read', () => {
    expect(failureLine.level).toBe('ERROR');
    expect(failureLine.logger).toBe('org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime');
    expect(failureLine.line).toMatch(
      new RegExp(`^\\[[^\\]]+\\] ERROR \\[GroupCoordinator id=${failingBroker}\\] Failed to load metadata from __consumer_offsets-${failedPartition} with epoch \\d+ due to Deserializing record DefaultRecord\\(offset=\\d+, .*\\) from __consumer_offsets-${failedPartition} failed\\.\\. \\(org\\.apache\\.kafka\\.coordinator\\.common\\.runtime\\.CoordinatorRuntime\\)$`),
    );
  });

  it('answers NOT_COORDINATOR to group calls for the group while FindCoordinator still names the failing broker', async () => {
    const where = await port.findCoordinator(GROUP);
    expect(where.nodeId).toBe(failingBroker);
    await expect(port.describeGroup(GROUP)).rejects.toMatchObject({ details: { kafkaErrorName: 'NOT_COORDINATOR' } });
    await expect(port.fetchCommittedOffsets(GROUP, [TOPIC])).rejects.toMatchObject({ details: { kafkaErrorName: 'NOT_COORDINATOR' } });
  });

  it('is diagnosed COORDINATOR_FAILED from the real log lines and the live checks', async () => {
    const findings = brokerLogFindings(real, 'orders-real');
    expect(findings.map((f) => [f.partition, f.brokerId, f.phrase])).toEqual([[failedPartition, failingBroker, 'FAILED_TO_LOAD_METADATA']]);
    const diagnosis = await diagnoseCoordinators(port, request(), findings, { confirmDelayMs: 200 });
    expect(diagnosis.verdict).toBe('COORDINATOR_FAILED');
    expect(diagnosis.failedShards).toEqual([failedPartition]);
    expect(diagnosis.failingBrokers).toEqual([failingBroker]);
    expect(diagnosis.groups).toEqual([GROUP]);
  });

  it('reads the last commits from the raw log through the CLI, skipping the unreadable record', async () => {
    const { code, out, err } = await runCliInProcess(['offsets', GROUP, '--bootstrap', liveBootstrap(real).join(','), '--json']);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const document = JSON.parse(out) as { offsets: { offsets: Record<string, Record<string, { offset: string }>>; scan: { skipped: Record<string, number> } } };
    expect(Object.fromEntries(Object.entries(document.offsets.offsets[TOPIC]!).map(([p, o]) => [p, o.offset]))).toEqual({ '0': '10', '1': '10', '2': '10' });
    expect(Object.values(document.offsets.scan.skipped).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('recovers the group into a new one on a healthy coordinator: nothing written before approval, then consumers resume exactly', async () => {
    const recovered = await readCommittedOffsets(port, GROUP);
    const completeness = await checkCompleteness(port, recovered);
    expect(completeness.complete).toBe(true);
    const plan = await planTargets(port, { request: request(), failedShards: [failedPartition], failingBrokers: [failingBroker], recoveries: [{ groupId: GROUP, offsets: recovered, completeness }], planId: 'oracle-plan', now: new Date() });
    const [group] = plan.groups;
    expect(group?.blocked).toBe(false);
    expect(group!.target.brokerId).not.toBe(failingBroker);
    // Planning wrote nothing: the target still has no offsets.
    expect(await storedOffsets(port, group!.targetGroup, TOPIC)).toEqual([]);

    const [seeded] = await seedPlan(port, plan);
    expect(seeded).toMatchObject({ status: 'SEEDED', committed: PARTITIONS, errors: [] });
    const verification = await verifyPlan(port, plan);
    expect(verification.groups.map((g) => ({ ok: g.ok, matched: g.matched, mismatches: g.mismatches }))).toEqual([{ ok: true, matched: PARTITIONS, mismatches: [] }]);

    // What arrived during the incident, nothing before it.
    const received = await readUntilAll(live, group!.targetGroup, TOPIC, messageValues(ARRIVED_DURING));
    expect([...received].sort()).toEqual(messageValues(ARRIVED_DURING).sort());
  });

  it('is recovered by the synthesized state machine on the local runner, Diagnose reading the real broker lines from the CloudWatch Logs stand-in', async () => {
    const sink = new BrokerLogSink();
    for (const entry of real.logEntries()) copyIntoSink(sink, entry);
    const brokers = real.brokers.filter((b) => b.running).map((b) => ({ brokerId: b.id, host: b.host, port: b.port }));
    const aws = await startAwsStandins({ cluster: { brokers, logs: sink }, clusterName: 'orders-real' });
    try {
      const runbook = await createLocalRunbook({ aws });
      try {
        // A target the plan accepts: its shard is led by a broker that is up and not failing.
        const target = await targetOnHealthyShard(port, real, { group: GROUP, infix: 'recovered-sfn', failingBroker, offsetsPartitions: OFFSETS_PARTITIONS });
        const execution = runbook.start({ groups: [GROUP], targetNames: { [GROUP]: target }, comment: 'real brokers' }, { name: 'real-brokers' });
        const mail = await approvalMail(aws, execution, 120_000);
        expect(await storedOffsets(port, target, TOPIC)).toEqual([]);
        const { link } = approvalMailParts(mail);
        const decision = await submitOnLink(link, { decision: 'approve', approver: 'oracle', comment: 'real' });
        expect(decision.status).toBe(200);
        const outcome = await execution.done;
        const steps = execution.invocations.filter((i) => ['PlanTarget', 'SeedOffsets', 'Verify'].includes(i.state)).map((i) => ({ state: i.state, output: i.output, error: i.error }));
        expect(outcome.status, JSON.stringify({ outcome, steps })).toBe('SUCCEEDED');
        expect((outcome as { output: { outcome: string } }).output.outcome).toBe('RECOVERED');
        const diagnose = execution.invocations.find((i) => i.state === 'Diagnose')?.output as { verdict: string; failedShards: number[]; findings: { partition: number; phrase: string }[] };
        expect(diagnose).toMatchObject({ verdict: 'COORDINATOR_FAILED', failedShards: [failedPartition], findings: [{ partition: failedPartition, phrase: 'FAILED_TO_LOAD_METADATA' }] });
        expect(await storedOffsets(port, target, TOPIC)).toEqual([[0, BigInt(BEFORE)], [1, BigInt(BEFORE)], [2, BigInt(BEFORE)]]);
      } finally {
        await runbook.close();
      }
    } finally {
      await aws.stop();
    }
  }, 240_000);

  function request(): RecoveryRequest {
    return cliRequest('orders-real', [GROUP], 'oracle');
  }
});
