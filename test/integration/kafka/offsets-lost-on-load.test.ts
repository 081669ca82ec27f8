/**
 * The 3.x incident on the local cluster's 3.9 profile: a shard whose load fails is logged
 * ("Error loading offsets from __consumer_offsets-N") and served with nothing loaded, so its
 * groups' consumers are served and silently lose their offsets. Diagnose must call that
 * OFFSETS_LOST_ON_LOAD, with each group's difference as evidence, and the plan must put the
 * recovered offsets into a group on another shard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { aggregateFindings } from '../../../lambdas/aws/broker-log-lines.ts';
import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import { checkCompleteness, readCommittedOffsets } from '../../../lambdas/core/operations/index.ts';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import { diagnoseCoordinators } from '../../../lambdas/core/workflow/diagnosis.ts';
import type { RecoveryRequest } from '../../../lambdas/core/workflow/documents.ts';
import { planTargets } from '../../../lambdas/core/workflow/planning.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import { startLocalCluster, type LocalCluster } from '../../../local/kafka/index.ts';
import { cliRequest } from '../../support/cli-request.ts';
import { OFFSETS_PARTITIONS, consumeAll, createTopic, produce, realClient } from './helpers.ts';

const TOPIC = 'payments';
const GROUP = 'payments-service';
const OTHER = 'audit-service';

function request(groups: string[]): RecoveryRequest {
  return cliRequest('payments', groups, 'lost');
}

describe('offsets lost on load (local cluster, Kafka 3.9 profile)', () => {
  let local: LocalCluster;
  let kafka: Kafka;
  let port: KafkaPort;
  const partition = partitionForGroup(GROUP, OFFSETS_PARTITIONS);

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, kafkaVersion: '3.9' });
    kafka = realClient(local);
    await createTopic(kafka, TOPIC, 2);
    await produce(kafka, TOPIC, 2, 5);
    await (await consumeAll(kafka, GROUP, TOPIC, 10)).disconnect();
    expect(partitionForGroup(OTHER, OFFSETS_PARTITIONS)).not.toBe(partition);
    await (await consumeAll(kafka, OTHER, TOPIC, 10)).disconnect();
    await local.faults.failCoordinator(partition);
    port = createKafkaPort({ brokers: local.bootstrapServers, clientId: 'lost-on-load' });
  });

  afterAll(async () => {
    await port?.close();
    await local?.stop();
  });

  it('logs the classic coordinator\'s line and keeps serving the group, with its offsets gone', async () => {
    const lines = local.logs.lines().filter((l) => l.level === 'ERROR');
    expect(lines.map((l) => [l.logger, l.message.split('\n')[0]])).toEqual([
      ['kafka.coordinator.group.GroupMetadataManager', `[GroupMetadataManager brokerId=${lines[0]?.brokerId}] Error loading offsets from __consumer_offsets-${partition}`],
    ]);
    await expect(port.describeGroup(GROUP)).resolves.toMatchObject({ groupId: GROUP });
    const fetched = await port.fetchCommittedOffsets(GROUP, [TOPIC]);
    expect(fetched.map((e) => e.offset)).toEqual([-1n, -1n]);
    expect((await port.fetchCommittedOffsets(OTHER, [TOPIC])).map((e) => e.offset)).toEqual([5n, 5n]);
  });

  it('is diagnosed OFFSETS_LOST_ON_LOAD with the group\'s difference per partition as evidence', async () => {
    const findings = aggregateFindings(local.logs.lines().map((l) => ({ logStreamName: `payments-Broker-${l.brokerId}`, timestamp: l.timestamp, message: l.message })));
    const diagnosis = await diagnoseCoordinators(port, request([]), findings, { confirmDelayMs: 0 });
    expect(diagnosis.verdict).toBe('OFFSETS_LOST_ON_LOAD');
    expect(diagnosis.lostOffsets).toEqual([
      {
        groupId: GROUP,
        partition,
        differences: [0, 1].map((p) => ({ topic: TOPIC, partition: p, logOffset: '5', fetchedOffset: null, logRecordOffset: expect.any(String) })),
      },
    ]);
    expect(diagnosis.failedShards).toEqual([partition]);
    expect(diagnosis.failingBrokers).toEqual([]);
    expect(diagnosis.shards).toEqual([{ partition, brokerId: expect.any(Number), groups: [GROUP] }]);
    expect(diagnosis.evidence.map((e) => e.message)).toContainEqual(expect.stringMatching(new RegExp(`^Group ${GROUP} lost offsets on the load of __consumer_offsets-${partition}: 2 partition\\(s\\) missing, 0 behind the log`)));
  });

  it('names a requested group whose offsets survived as not recovered, and a HEALTHY cluster without the log line', async () => {
    const findings = aggregateFindings(local.logs.lines().map((l) => ({ logStreamName: `payments-Broker-${l.brokerId}`, timestamp: l.timestamp, message: l.message })));
    const intact = await diagnoseCoordinators(port, request([OTHER]), findings, { confirmDelayMs: 0 });
    expect(intact.lostOffsets).toEqual([]);
    expect(intact.verdict).toBe('HEALTHY');
    const quiet = await diagnoseCoordinators(port, request([GROUP]), [], { confirmDelayMs: 0 });
    expect(quiet.verdict).toBe('HEALTHY');
  });

  it('plans the recovered offsets into a group on another shard', async () => {
    const recovered = await readCommittedOffsets(port, GROUP);
    const completeness = await checkCompleteness(port, recovered);
    const plan = await planTargets(port, { request: request([GROUP]), failedShards: [partition], failingBrokers: [], recoveries: [{ groupId: GROUP, offsets: recovered, completeness }], planId: 'lost', now: new Date() });
    expect(plan.groups[0]).toMatchObject({ blocked: false, offsets: [{ topic: TOPIC, partition: 0, offset: '5' }, { topic: TOPIC, partition: 1, offset: '5' }] });
    expect(partitionForGroup(plan.groups[0]!.targetGroup, OFFSETS_PARTITIONS)).not.toBe(partition);
  });
});
