import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeClusterV2Command } from '@aws-sdk/client-kafka';
import { SFNServiceException, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalDecision, BlastRadiusOutput, DiagnoseOutput, GroupRecovery, PlanTargetOutput, ReadOffsetsResults, RecoveryPlan, RecoveryReport, SeedResultDocument } from '../../../lambdas/core/workflow/documents.ts';
import { createHandler as approvalEndpoint } from '../../../lambdas/handlers/approval-endpoint.ts';
import { createHandler as blastRadius } from '../../../lambdas/handlers/blast-radius.ts';
import { createHandler as diagnose } from '../../../lambdas/handlers/diagnose.ts';
import { createHandler as notifyFailure } from '../../../lambdas/handlers/notify-failure.ts';
import { createHandler as planTarget } from '../../../lambdas/handlers/plan-target.ts';
import { createHandler as readOffsets } from '../../../lambdas/handlers/read-offsets.ts';
import { createHandler as report } from '../../../lambdas/handlers/report.ts';
import { createHandler as requestApproval } from '../../../lambdas/handlers/request-approval.ts';
import { createHandler as seedOffsets } from '../../../lambdas/handlers/seed-offsets.ts';
import { createHandler as verify } from '../../../lambdas/handlers/verify.ts';
import { groupMetadata, offsetCommit } from '../../support/offsets-records.ts';
import { EXECUTION_ARN, healthyDiagnosis } from '../core/workflow/fixtures.ts';
import { NOW, TOPIC_ARN, mocks, setUp, urlEvent, type Harness } from './harness.ts';

const SHARD = 4;
let h: Harness;
let source: string;

beforeEach(() => {
  h = setUp();
  h.kafka.createTopic('orders', 2);
  h.kafka.setOffsets('orders', 0, 0n, 15000n);
  h.kafka.setOffsets('orders', 1, 0n, 15004n);
  source = h.kafka.groupOnShard(SHARD, 'billing');
  const writer = h.kafka.offsetsLog(SHARD);
  writer.record(groupMetadata(source, { members: [['orders']], generation: 7 }));
  writer.record(offsetCommit({ group: source, topic: 'orders', partition: 0, offset: 14000n }));
  writer.record(offsetCommit({ group: source, topic: 'orders', partition: 0, offset: 14921n }));
  writer.record(offsetCommit({ group: source, topic: 'orders', partition: 1, offset: 15004n }));
  h.kafka.failedShards.add(SHARD);
  const broker = h.kafka.leaderOf(SHARD);
  mocks.logs.on(FilterLogEventsCommand).resolvesOnce({ events: [], nextToken: 'n1' }).resolvesOnce({
    events: [
      {
        eventId: 'e1',
        logStreamName: `orders-Broker-${broker}`,
        timestamp: Date.parse('2026-11-24T21:00:05Z'),
        message: `ERROR [GroupCoordinator id=${broker}] Failed to load metadata from __consumer_offsets-${SHARD} with epoch 12 due to java.lang.RuntimeException`,
      },
    ],
  });
});

async function runToPlan(): Promise<{ diagnosis: DiagnoseOutput; plan: PlanTargetOutput; shards: BlastRadiusOutput[] }> {
  const diagnosis = await diagnose(h.deps)({
    input: { lookbackMinutes: 120, trigger: { source: 'alarm', alarmName: 'coordinator-failed' } },
    executionArn: EXECUTION_ARN,
    startTime: NOW.toISOString(),
  });
  const shards = await Promise.all(diagnosis.shards.map((shard) => blastRadius(h.deps)({ request: diagnosis.request, shard })));
  const done = shards.map((s) => {
    if (s.status !== 'DONE') throw new Error(`shard ${s.partition} did not finish in one invocation`);
    return s;
  });
  const groups = await readOffsetsMap(diagnosis);
  const plan = await planTarget(h.deps)({ request: diagnosis.request, diagnosis: { failingBrokers: diagnosis.failingBrokers, failedShards: diagnosis.failedShards }, groups });
  return { diagnosis, plan, shards: done };
}

/**
 * The ReadOffsets Distributed Map as Step Functions runs it: one item per object under the run's
 * group-results prefix (ItemReader s3:listObjectsV2), each item's result or error written by the
 * ResultWriter as a manifest and result files (Input and Output as JSON strings).
 */
async function readOffsetsMap(diagnosis: DiagnoseOutput): Promise<ReadOffsetsResults> {
  const listed = [...h.objects.keys()].filter((k) => k.startsWith(`artifacts/${diagnosis.artifactPrefixes.groupResults}`)).map((k) => k.slice('artifacts/'.length)).sort();
  const succeeded: unknown[] = [];
  const failed: unknown[] = [];
  for (const [index, key] of listed.entries()) {
    const input = { request: diagnosis.request, groupResultKey: key };
    const execution = { ExecutionArn: `${EXECUTION_ARN}/map/${index}`, Name: String(index), Input: JSON.stringify(input), StateMachineArn: 'arn:sm' };
    try {
      succeeded.push({ ...execution, Status: 'SUCCEEDED', Output: JSON.stringify(await readOffsets(h.deps)(input)) });
    } catch (error) {
      const e = error as Error;
      failed.push({ ...execution, Status: 'FAILED', Error: e.name, Cause: JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }) });
    }
  }
  const prefix = `${diagnosis.artifactPrefixes.readOffsetsResults}/run-id`;
  const files: Record<string, { Key: string; Size: number }[]> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  for (const [status, entries] of [['SUCCEEDED', succeeded], ['FAILED', failed]] as const) {
    if (entries.length === 0) continue;
    const key = `${prefix}/${status}_0.json`;
    h.objects.set(`artifacts/${key}`, JSON.stringify(entries));
    files[status]!.push({ Key: key, Size: 1 });
  }
  h.objects.set(`artifacts/${prefix}/manifest.json`, JSON.stringify({ DestinationBucket: 'artifacts', MapRunArn: 'arn:maprun', ResultFiles: files }));
  return { MapRunArn: 'arn:maprun', ResultWriterDetails: { Bucket: 'artifacts', Key: `${prefix}/manifest.json` } };
}

function storedPlan(plan: PlanTargetOutput): RecoveryPlan {
  return JSON.parse(h.objects.get(`${plan.plan.bucket}/${plan.plan.key}`)!) as RecoveryPlan;
}

describe('the runbook through its handlers', () => {
  it('diagnoses, maps, reads, plans, asks, is approved by link, seeds, verifies and reports', async () => {
    const { diagnosis, plan, shards } = await runToPlan();
    expect(diagnosis.verdict).toBe('COORDINATOR_FAILED');
    expect(diagnosis.cluster).toMatchObject({ clusterName: 'orders', kafkaVersion: '3.9.x', brokerLogGroup: 'msk/broker-logs/orders', offsetsPartitionCount: 12 });
    expect(diagnosis.cluster.brokers.map((b) => b.brokerId)).toEqual([1, 2, 3]);
    expect(diagnosis.findings).toHaveLength(1);
    expect(diagnosis.logSearch.pages).toBe(2);
    expect(diagnosis.request.trigger).toEqual({ source: 'alarm', alarmName: 'coordinator-failed', alarmTime: null });
    expect(diagnosis.evidence.filter((e) => e.kind === 'METADATA')).toEqual([]);
    expect(h.connections[0]).toEqual({ brokers: ['b-1.orders:9098', 'b-2.orders:9098'], ssl: true, sasl: { mechanism: 'aws-msk-iam', region: 'us-east-1' } });

    const document = storedPlan(plan);
    expect(plan.planSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.plan.key).toBe('executions/CoordinatorRecovery/run-1/plan.json');
    expect(document.groups.map((g) => [g.sourceGroup, g.offsets.map((o) => `${o.topic}-${o.partition}@${o.offset}`)])).toEqual([[source, ['orders-0@14921', 'orders-1@15004']]]);
    expect(h.kafka.calls).not.toContain('commitOffsets'); // nothing is written before approval

    await requestApproval(h.deps)({ request: diagnosis.request, plan, taskToken: 'TOKEN-123', incident: { diagnosis, blastRadius: shards } });
    const published = mocks.sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(published.TopicArn).toBe(TOPIC_ARN);
    // The token stays in the encrypted bucket; the mail has the link only (approvalMode link).
    expect(published.Message).not.toContain('TOKEN-123');
    const link = /https:\/\/approve\.lambda-url\.us-east-1\.on\.aws\/\?\S+/.exec(published.Message!)![0];
    const query = new URL(link).search.slice(1);

    const endpoint = approvalEndpoint(h.deps);
    const page = await endpoint(urlEvent('GET', query));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<tr><td>orders</td><td class="n">0</td><td class="n">14921</td>');
    // The blast radius the state machine passed along: the failing broker, its shard, the group.
    const shard = shards.find((s) => s.partition === SHARD)!;
    for (const node of [`broker ${shard.brokerId}`, `__consumer_offsets-${shard.partition}`, source]) expect(page.body).toContain(`<title>${node}</title>`);
    expect(page.body).toContain(diagnosis.evidence[0]!.message.replace(/"/g, '&quot;'));
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0); // GET never acts

    const approved = await endpoint(urlEvent('POST', query, 'decision=approve&approver=Ann+Oncall&comment=go'));
    expect(approved.statusCode).toBe(200);
    const success = mocks.sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input;
    expect(success.taskToken).toBe('TOKEN-123');
    const approval = JSON.parse(success.output!) as ApprovalDecision;
    expect(approval).toMatchObject({ approved: true, planSha256: plan.planSha256, approvedBy: 'Ann Oncall', channel: 'link', comment: 'go' });
    const decisionKey = [...h.objects.keys()].find((k) => k.includes('approval-decision-'))!;
    expect(JSON.parse(h.objects.get(decisionKey)!)).toMatchObject({ decision: 'approve', approvedBy: 'Ann Oncall', sourceIp: '203.0.113.9', at: NOW.toISOString() });
    expect((await endpoint(urlEvent('POST', query, 'decision=approve&approver=Mallory'))).statusCode).toBe(409);
    expect((await endpoint(urlEvent('GET', query))).statusCode).toBe(409);

    const seed = await seedOffsets(h.deps)({ request: diagnosis.request, plan, approval });
    expect(seed.ok).toBe(true);
    const target = document.groups[0]!.targetGroup;
    // Counts in the state, every group's result in seed-result.json.
    expect(seed.groups).toEqual({ seeded: 1, partial: 0, failed: 0, skippedBlocked: 0 });
    const seedDocument = JSON.parse(h.objects.get(`artifacts/${seed.fullResult.key}`)!) as SeedResultDocument;
    expect(seedDocument.groups).toEqual([expect.objectContaining({ sourceGroup: source, targetGroup: target, status: 'SEEDED', committed: 2 })]);
    expect(JSON.parse(h.objects.get(`artifacts/${seed.approvalRecord.key}`)!)).toMatchObject({ approvedBy: 'Ann Oncall' });
    const again = await seedOffsets(h.deps)({ request: diagnosis.request, plan, approval });
    expect(again.ok).toBe(true);

    const verified = await verify(h.deps)({ request: diagnosis.request, plan, seed });
    expect(verified).toEqual({
      ok: true,
      groups: { verified: 1, failed: 0 },
      fullResult: expect.objectContaining({ key: 'executions/CoordinatorRecovery/run-1/verify-result.json' }),
    });
    expect(JSON.parse(h.objects.get(`artifacts/${verified.fullResult.key}`)!)).toEqual({ ok: true, groups: [{ targetGroup: target, ok: true, matched: 2, mismatches: [], error: null }] });
    expect(seed.fullResult?.key).toBe('executions/CoordinatorRecovery/run-1/seed-result.json');

    const done = await report(h.deps)({ request: diagnosis.request, diagnosis, blastRadius: shards, plan, approval, seed, verify: verified });
    expect(done.outcome).toBe('RECOVERED');
    // The affected groups and topics come from the shard scan stored in S3, not from the state.
    expect(JSON.parse(h.objects.get(`artifacts/${done.result.key}`)!)).toMatchObject({ affectedGroups: [source], affectedTopics: ['orders'], unreadGroups: [] });
    expect(done.result.key).toBe('executions/CoordinatorRecovery/run-1/result.json');
    expect(JSON.parse(h.objects.get(`artifacts/${done.result.key}`)!)).toMatchObject({ outcome: 'RECOVERED', verdict: 'COORDINATOR_FAILED' });
    expect(mocks.sns.commandCalls(PublishCommand).at(-1)!.args[0].input.Subject).toBe('Coordinator recovery: RECOVERED');
  });

  it('rejects by link: SendTaskFailure with ApprovalRejected and the reason, nothing seeded', async () => {
    const { diagnosis, plan } = await runToPlan();
    await requestApproval(h.deps)({ request: diagnosis.request, plan, taskToken: 'TOKEN-9' });
    const link = /https:\/\/approve\S+/.exec(mocks.sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!)![0];
    const response = await approvalEndpoint(h.deps)(urlEvent('POST', new URL(link).search.slice(1), 'decision=reject&approver=Bo&comment=wrong+window'));
    expect(response.statusCode).toBe(200);
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toEqual({ taskToken: 'TOKEN-9', error: 'ApprovalRejected', cause: 'Rejected by Bo: wrong window' });
    expect(h.kafka.calls).not.toContain('commitOffsets');
  });

  it('gives the link back when Step Functions does not take the decision, so the second press approves', async () => {
    const { diagnosis, plan } = await runToPlan();
    await requestApproval(h.deps)({ request: diagnosis.request, plan, taskToken: 'TOKEN-7' });
    const query = new URL(/https:\/\/approve\S+/.exec(mocks.sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!)![0]).search.slice(1);
    const unavailable = new SFNServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'try later', $metadata: { httpStatusCode: 503 } });
    mocks.sfn.on(SendTaskSuccessCommand).rejectsOnce(unavailable).resolves({});
    const endpoint = approvalEndpoint(h.deps);

    const first = await endpoint(urlEvent('POST', query, 'decision=approve&approver=Ann'));
    expect(first.statusCode).toBe(503);
    expect(first.body).toContain('the link still works');
    expect([...h.objects.keys()].filter((k) => k.includes('approval-consumed') || k.includes('approval-decision-'))).toEqual([]);

    const second = await endpoint(urlEvent('POST', query, 'decision=approve&approver=Ann'));
    expect(second.statusCode).toBe(200);
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(2);
    expect([...h.objects.keys()].some((k) => k.includes('approval-decision-'))).toBe(true);
    expect((await endpoint(urlEvent('POST', query, 'decision=approve&approver=Ann'))).statusCode).toBe(409);
  });

  it('refuses tampered, expired and superseded links', async () => {
    const { diagnosis, plan } = await runToPlan();
    await requestApproval(h.deps)({ request: diagnosis.request, plan, taskToken: 'T' });
    const first = new URL(/https:\/\/approve\S+/.exec(mocks.sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!)![0]);
    const tampered = new URLSearchParams(first.search);
    tampered.set('expires', String(Number(tampered.get('expires')) + 3600));
    expect((await approvalEndpoint(h.deps)(urlEvent('GET', tampered.toString()))).statusCode).toBe(403);

    const later = { ...h.deps, now: () => new Date(NOW.getTime() + 2 * 86_400_000) };
    expect((await approvalEndpoint(later)(urlEvent('POST', first.search.slice(1), 'decision=approve&approver=Ann'))).statusCode).toBe(410);

    await requestApproval(h.deps)({ request: diagnosis.request, plan, taskToken: 'T2' }); // a retried request sends a new link
    expect((await approvalEndpoint(h.deps)(urlEvent('POST', first.search.slice(1), 'decision=approve&approver=Ann'))).statusCode).toBe(410);
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect((await approvalEndpoint(h.deps)(urlEvent('PUT', first.search.slice(1)))).statusCode).toBe(405);
    const otherMachine = { ...h.deps, env: { ...h.deps.env, STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:Other' } };
    expect((await approvalEndpoint(otherMachine)(urlEvent('GET', first.search.slice(1)))).statusCode).toBe(403);
  });

  it('approves from the CLI output and refuses an approval of another plan', async () => {
    const { diagnosis, plan } = await runToPlan();
    const wrong = { approved: true, planSha256: '0'.repeat(64), approvedBy: 'ann' };
    await expect(seedOffsets(h.deps)({ request: diagnosis.request, plan, approval: wrong })).rejects.toMatchObject({
      name: 'RecoveryError.INVALID_INPUT',
      message: expect.stringMatching(/^approval\.planSha256:/),
    });
    const seed = await seedOffsets(h.deps)({ request: diagnosis.request, plan, approval: { approved: true, planSha256: plan.planSha256, approvedBy: 'ann', channel: 'cli' } });
    expect(seed.ok).toBe(true);
  });

  it('notes a cluster that is not ACTIVE in the evidence', async () => {
    mocks.msk.on(DescribeClusterV2Command).resolves({
      ClusterInfo: {
        ClusterType: 'PROVISIONED',
        State: 'REBOOTING_BROKER',
        Provisioned: { BrokerNodeGroupInfo: undefined, NumberOfBrokerNodes: 3, LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true, LogGroup: 'g' } } } },
      },
    });
    const diagnosis = await diagnose(h.deps)({ input: {}, executionArn: EXECUTION_ARN, startTime: NOW.toISOString() });
    expect(diagnosis.evidence[0]).toEqual({ kind: 'METADATA', message: 'The cluster is REBOOTING_BROKER, not ACTIVE; coordinators move while brokers restart', partition: null, brokerId: null });
  });

  it('presents the client certificate from its secret for tls on a cluster with TLS client authentication, and names a malformed secret', async () => {
    const certificate = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const privateKey = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
    mocks.secrets.on(GetSecretValueCommand, { SecretId: 'arn:cert' }).resolves({ SecretString: JSON.stringify({ certificate, privateKey }) });
    h.deps.env = { ...h.deps.env, AUTH_MODE: 'tls', TLS_CLIENT_CERTIFICATE_SECRET_ARN: 'arn:cert' };
    await runToPlan();
    expect(h.connections[0]).toEqual({ brokers: ['b-1.orders:9094'], ssl: { cert: certificate, key: privateKey } });

    mocks.logs.on(FilterLogEventsCommand).resolves({ events: [] });
    mocks.secrets.on(GetSecretValueCommand, { SecretId: 'arn:cert' }).resolves({ SecretString: JSON.stringify({ certificate }) });
    await expect(diagnose(h.deps)({ input: {}, executionArn: EXECUTION_ARN })).rejects.toMatchObject({
      name: 'RecoveryError.CONFIGURATION',
      message: expect.stringMatching(/^Secret arn:cert is not a TLS client certificate: it must be JSON \{"certificate"/),
    });

    h.deps.env = { ...h.deps.env, TLS_CLIENT_CERTIFICATE_SECRET_ARN: '' };
    h.connections.length = 0;
    await diagnose(h.deps)({ input: {}, executionArn: EXECUTION_ARN });
    expect(h.connections[0]).toEqual({ brokers: ['b-1.orders:9094'], ssl: true });
  });

  it('uses the SCRAM secret for scram and says how to turn broker logs on when they are off', async () => {
    h.deps.env = { ...h.deps.env, AUTH_MODE: 'scram' };
    await runToPlan();
    expect(h.connections[0]).toEqual({ brokers: ['b-1.orders:9096'], ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'recovery', password: 'pw' } });

    mocks.msk.on(DescribeClusterV2Command).resolves({ ClusterInfo: { ClusterType: 'PROVISIONED', State: 'ACTIVE', Provisioned: { BrokerNodeGroupInfo: undefined, NumberOfBrokerNodes: 3 } } });
    await expect(diagnose(h.deps)({ input: {}, executionArn: EXECUTION_ARN })).rejects.toMatchObject({ name: 'RecoveryError.CONFIGURATION', message: expect.stringMatching(/update-monitoring/) });
  });

  it('keeps large ReadOffsets results in S3 and PlanTarget reads them back', async () => {
    const diagnosis = await diagnose(h.deps)({ input: { lookbackMinutes: 120 }, executionArn: EXECUTION_ARN, startTime: NOW.toISOString() });
    h.kafka.createTopic('wide', 3000);
    const writer = h.kafka.offsetsLog(SHARD);
    for (let p = 0; p < 3000; p += 100) {
      writer.batch(Array.from({ length: 100 }, (_, i) => offsetCommit({ group: source, topic: 'wide', partition: p + i, offset: BigInt(p + i), metadata: 'm'.repeat(40) })));
    }
    const shard = await blastRadius(h.deps)({ request: diagnosis.request, shard: diagnosis.shards[0]! });
    expect(shard).toMatchObject({ status: 'DONE', partition: SHARD });
    const output = await readOffsets(h.deps)({ request: diagnosis.request, groupId: source, partition: SHARD });
    expect(output).toEqual({ artifact: expect.objectContaining({ bucket: 'artifacts', key: expect.stringContaining('read-offsets/') }) });
    const stored = JSON.parse(h.objects.get(`artifacts/${(output as { artifact: { key: string } }).artifact.key}`)!) as GroupRecovery;
    expect(Object.keys(stored.offsets.offsets['wide']!)).toHaveLength(3000);
    const plan = await planTarget(h.deps)({ request: diagnosis.request, diagnosis, groups: [[output]] });
    expect(plan.summary).toMatchObject({ groups: 1, partitions: 3002 });
  });

  it('a group that cannot be read fails only its item: the plan and the report name it, the others are recovered', async () => {
    const diagnosis = await diagnose(h.deps)({ input: { lookbackMinutes: 120 }, executionArn: EXECUTION_ARN, startTime: NOW.toISOString() });
    const other = h.kafka.groupOnShard(SHARD, 'search');
    h.kafka.offsetsLog(SHARD).record(offsetCommit({ group: other, topic: 'orders', partition: 0, offset: 77n }));
    const shard = await blastRadius(h.deps)({ request: diagnosis.request, shard: diagnosis.shards[0]! });
    if (shard.status !== 'DONE') throw new Error('the shard did not finish in one invocation');
    expect(shard).toMatchObject({ groupCount: 2, affectedGroupCount: 2, topicCount: 1 });
    // The stored result of one group is damaged after the scan.
    const damaged = `artifacts/${diagnosis.artifactPrefixes.groupResults}partition-${SHARD}/${encodeURIComponent(other)}.json`;
    expect(h.objects.has(damaged)).toBe(true);
    h.objects.set(damaged, '{ not json');

    const plan = await planTarget(h.deps)({ request: diagnosis.request, diagnosis, groups: await readOffsetsMap(diagnosis) });
    expect(plan.summary).toMatchObject({ groups: 1, unreadGroups: 1 });
    const document = storedPlan(plan);
    expect(document.groups.map((g) => g.sourceGroup)).toEqual([source]);
    expect(document.unreadGroups).toEqual([{ groupId: other, partition: SHARD, error: 'RecoveryError.CORRUPT_DATA', cause: expect.stringContaining('is not valid JSON') }]);
    expect(document.warnings.some((w) => w.includes(`could not be read and are not in this plan (${other})`))).toBe(true);

    const approval = { approved: true, planSha256: plan.planSha256, approvedBy: 'ann', channel: 'cli' };
    const seed = await seedOffsets(h.deps)({ request: diagnosis.request, plan, approval });
    const verified = await verify(h.deps)({ request: diagnosis.request, plan, seed });
    const done = await report(h.deps)({ request: diagnosis.request, diagnosis, blastRadius: [shard], plan, approval: { ...approval, approvedAt: NOW.toISOString(), approvalId: null, comment: null }, seed, verify: verified });
    expect(done.outcome).toBe('PARTIALLY_RECOVERED');
    expect(done.summary).toContain(`${other} (__consumer_offsets-${SHARD}): RecoveryError.CORRUPT_DATA`);
    const stored = JSON.parse(h.objects.get(`artifacts/${done.result.key}`)!) as RecoveryReport;
    expect(stored.unreadGroups.map((g) => g.groupId)).toEqual([other]);
    const mail = mocks.sns.commandCalls(PublishCommand).at(-1)!.args[0].input;
    expect(mail.Subject).toBe('Coordinator recovery: PARTIALLY_RECOVERED');
    expect(mail.Message).toContain(`${other} (__consumer_offsets-${SHARD}): RecoveryError.CORRUPT_DATA`);
  });
});

describe('report on the nothing-to-recover path', () => {
  it('reports a healthy diagnosis with only request and diagnosis', async () => {
    h = setUp();
    const diagnosis = healthyDiagnosis();
    const done = await report(h.deps)({ request: diagnosis.request, diagnosis });
    expect(done.outcome).toBe('NOTHING_TO_RECOVER');
    expect(done.summary).toContain('Coordinator recovery report: NOTHING_TO_RECOVER');
    expect(JSON.parse(h.objects.get(`artifacts/${done.result.key}`)!).text).toContain('The coordinators answer normally; nothing to recover.');
  });
});

describe('notify-failure', () => {
  it('publishes the reason from a Lambda error and says nothing was written', async () => {
    h = setUp();
    const result = await notifyFailure(h.deps)({
      executionArn: EXECUTION_ARN,
      state: 'SeedOffsets',
      error: { Error: 'RecoveryError.KAFKA_ERROR', Cause: JSON.stringify({ errorType: 'RecoveryError.KAFKA_ERROR', errorMessage: 'NOT_COORDINATOR on target', trace: ['x'] }) },
    });
    expect(result).toEqual({
      notified: true,
      messageId: 'msg-1',
      reason: 'NOT_COORDINATOR on target',
      failureRecord: expect.objectContaining({ bucket: 'artifacts', key: 'executions/CoordinatorRecovery/run-1/failure.json' }),
    });
    // The audit trail of a run that ends without a report.
    expect(JSON.parse(h.objects.get('artifacts/executions/CoordinatorRecovery/run-1/failure.json')!)).toMatchObject({
      executionArn: EXECUTION_ARN,
      state: 'SeedOffsets',
      error: 'RecoveryError.KAFKA_ERROR',
      reason: 'NOT_COORDINATOR on target',
      summary: 'failed in SeedOffsets: RecoveryError.KAFKA_ERROR',
      notifiedAt: NOW.toISOString(),
    });
    const input = mocks.sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.Subject).toBe('Coordinator recovery failed in SeedOffsets: RecoveryError.KAFKA_ERROR');
    expect(input.Message).toContain('Reason: NOT_COORDINATOR on target');
    expect(input.Message).toContain('console.aws.amazon.com/states/home?region=us-east-1');
  });

  it('words rejection and approval timeout as decisions', async () => {
    h = setUp({ FAILURE_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:failures' });
    await notifyFailure(h.deps)({ executionArn: EXECUTION_ARN, state: 'AwaitApproval', error: { Error: 'States.Timeout', Cause: 'timed out' } });
    await notifyFailure(h.deps)({ executionArn: EXECUTION_ARN, error: { Error: 'ApprovalRejected', Cause: 'Rejected by Bo' } });
    const calls = mocks.sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.TopicArn)).toEqual(['arn:aws:sns:us-east-1:123456789012:failures', 'arn:aws:sns:us-east-1:123456789012:failures']);
    expect(calls[0]!.Subject).toBe('Coordinator recovery no approval before the timeout; nothing was written');
    expect(calls[1]!.Subject).toBe('Coordinator recovery rejected by the approver; nothing was written');

    h = setUp({ ARTIFACTS_BUCKET: '' });
    const withoutBucket = await notifyFailure(h.deps)({ executionArn: EXECUTION_ARN, error: { Error: 'ApprovalRejected', Cause: 'Rejected by Bo' } });
    expect(withoutBucket).toMatchObject({ notified: true, failureRecord: null });
    expect(mocks.s3.calls()).toHaveLength(0);
  });
});
