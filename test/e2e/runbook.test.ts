/**
 * The whole incident on one machine: a consumer group's coordinator shard FAILED on the local
 * cluster, the runbook CDK synthesizes run by the local runner with every handler against the
 * AWS stand-ins, a human decision through the real channels (the signed link, the CLI's
 * SendTaskFailure), and a consumer on the target group that resumes exactly where the failed
 * group stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import type { BlastRadiusOutput, DiagnoseOutput, PlanTargetOutput, RecoveryPlan, RecoveryReport, ReportOutput, SeedOffsetsOutput, SeedResultDocument, VerifyOutput, VerifyResultDocument } from '../../lambdas/core/workflow/documents.ts';
import { suggestedName } from '../../lambdas/core/workflow/planning.ts';
import { STATE } from '../../lib/recovery-state-machine.ts';
import type { LocalRunbook } from '../../local/stepfunctions/index.ts';
import {
  approvalMail,
  approvalMailParts,
  committedOffsets,
  consumeAndLeave,
  groupOnAnotherShard,
  invocationOutput,
  OFFSETS_PARTITIONS,
  plannedTarget,
  produce,
  readUntilAll,
  startIncident,
  storedDocument,
  storedTaskToken,
  submitOnLink,
  type Incident,
} from './incident.ts';

const GROUP = 'billing';
/** A second group on billing's shard, with commits before the failure (the per-group failure test). */
let SECOND: string;
const EARLY = Array.from({ length: 30 }, (_, i) => `early-${i}`);
const LATE = Array.from({ length: 10 }, (_, i) => `late-${i}`);

let incident: Incident;
let runbook: LocalRunbook;
let failedShard: number;

beforeAll(async () => {
  incident = await startIncident();
  runbook = incident.runbook;

  // Before the incident: billing consumed everything there was and committed it.
  await produce(incident.producer, EARLY);
  await consumeAndLeave(incident.kafka, GROUP, EARLY.length);
  const committed = await committedOffsets(incident.kafka, GROUP);
  const ends = incident.local.cluster.topic('orders')!.partitions.map((p) => String(p.log.logEndOffset));
  expect(Object.values(committed)).toEqual(ends);

  // The incident: the shard fails; what arrives afterwards is what billing has not consumed.
  failedShard = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
  SECOND = Array.from({ length: 10_000 }, (_, i) => `audit-${i}`).find((g) => partitionForGroup(g, OFFSETS_PARTITIONS) === failedShard)!;
  await consumeAndLeave(incident.kafka, SECOND, EARLY.length);
  await incident.local.faults.failCoordinator(failedShard, { group: GROUP });
  await produce(incident.producer, LATE);
}, 60_000);

afterAll(async () => {
  await incident?.stop();
});

async function expectNoOffsets(groupId: string): Promise<void> {
  expect(Object.values(await committedOffsets(incident.kafka, groupId)).every((offset) => offset === '-1')).toBe(true);
}

/** A consumer on `groupId` reads exactly what billing had not consumed when its shard failed. */
async function expectResumesWhereBillingStopped(groupId: string): Promise<void> {
  const values = await readUntilAll(incident.kafka, groupId, LATE);
  // Per partition the old messages come first (fromBeginning), so a replay would show before the late ones.
  expect(values.filter((v) => v.startsWith('early-'))).toEqual([]);
  expect([...values].sort()).toEqual([...LATE].sort());
}

describe('the coordinator recovery runbook, run locally end to end', () => {
  it('ends with nothing written when an operator rejects with the task token kept in the bucket', async () => {
    const execution = runbook.start({ groups: [GROUP], comment: 'INC-1 rehearsal' }, { name: 'rejected-run' });
    const mail = await approvalMail(incident.aws, execution);
    expect(mail.topicArn).toBe(runbook.approvalTopicArn);
    // The token never travels by mail; it lives where RequestApproval stored it.
    expect(mail.message).not.toContain(execution.taskToken);
    const taskToken = storedTaskToken(incident, execution.executionArn, runbook.artifactsBucket);
    expect(taskToken).toBe(execution.taskToken);

    // What `aws stepfunctions send-task-failure` sends.
    const sfn = new SFNClient(incident.aws.clientConfig('sfn'));
    await sfn.send(new SendTaskFailureCommand({ taskToken: taskToken ?? execution.taskToken, error: 'ApprovalRejected', cause: 'Rejected by bob: wrong window' }));
    sfn.destroy();

    const outcome = await execution.done;
    expect(outcome).toEqual({ status: 'FAILED', error: 'ApprovalRejected', cause: 'Rejected by bob: wrong window' });
    expect(execution.states.slice(-3)).toEqual([STATE.notifyFailure, STATE.failureKind, STATE.notApproved]);
    expect(execution.invocations.map((i) => i.state)).not.toContain('SeedOffsets');
    await expectNoOffsets(plannedTarget(incident.aws, execution, GROUP));
    const notice = await incident.aws.sns.waitForMessage((m) => m.message.includes('rejected by the approver') && m.message.includes(execution.executionArn));
    expect(notice.message).toContain('Rejected by bob: wrong window');
    // The audit trail: the plan that was shown, and why the run ended without a report.
    const prefix = `executions/${runbook.stateMachineArn.split(':').at(-1)}/rejected-run/`;
    expect(incident.aws.s3.keys(runbook.artifactsBucket).filter((k) => k.startsWith(prefix))).toEqual(expect.arrayContaining([`${prefix}plan.json`, `${prefix}failure.json`]));
    expect(storedDocument(incident.aws, { bucket: runbook.artifactsBucket, key: `${prefix}failure.json` })).toMatchObject({
      state: STATE.awaitApproval,
      error: 'ApprovalRejected',
      reason: 'Rejected by bob: wrong window',
      input: { groups: [GROUP], comment: 'INC-1 rehearsal' },
    });
  }, 60_000);

  it('diagnoses, maps, reads, plans, waits for the link approval, seeds, verifies and reports; the target group resumes where billing stopped', async () => {
    const execution = runbook.start({ groups: [GROUP], comment: 'INC-1' }, { name: 'approved-run' });
    const { link } = approvalMailParts(await approvalMail(incident.aws, execution));

    // The approver opens the link (GET changes nothing), then submits the form.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(GROUP);
    expect(execution.invocations.map((i) => i.state)).not.toContain('SeedOffsets');
    const decision = await submitOnLink(link, { decision: 'approve', approver: 'alice', comment: 'go' });
    expect(decision.status).toBe(200);
    expect(await decision.text()).toContain('Approved');

    const outcome = await execution.done;
    expect(outcome.status, JSON.stringify(outcome)).toBe('SUCCEEDED');
    expect((outcome as { output: ReportOutput }).output.outcome).toBe('RECOVERED');
    expect(execution.states.at(-1)).toBe(STATE.succeeded);

    const diagnosis = invocationOutput<DiagnoseOutput>(execution, 'Diagnose');
    expect(diagnosis.verdict).toBe('COORDINATOR_FAILED');
    expect(diagnosis.failedShards).toEqual([failedShard]);
    expect(diagnosis.findings.map((f) => f.partition)).toContain(failedShard);
    expect(diagnosis.findings[0]!.logStream).toMatch(/^orders-local-Broker-\d+$/);
    expect(diagnosis.liveChecks.find((c) => c.groupId === GROUP)?.groupCall).toBe('NOT_COORDINATOR');
    // Counts in the state; the group's offsets are in S3, where ReadOffsets listed its one item.
    expect(invocationOutput<BlastRadiusOutput>(execution, STATE.mergeSegments)).toMatchObject({ status: 'DONE', groupCount: 1 });
    expect(execution.invocations.filter((i) => i.state === STATE.readGroupOffsets).map((i) => (i.input as { groupResultKey: string }).groupResultKey)).toEqual([
      `${diagnosis.artifactPrefixes.groupResults}partition-${failedShard}/${GROUP}.json`,
    ]);
    // The failed shard was read once, in one segment (it is small): ReadOffsets took its group from the shard scan in S3.
    expect(execution.invocations.filter((i) => i.state === STATE.blastRadiusShard)).toHaveLength(1);
    expect(invocationOutput<{ segments: number }>(execution, STATE.planSegments).segments).toBe(1);
    expect(execution.payload.maxBytes).toBeGreaterThan(0);
    expect(execution.payload.maxBytes).toBeLessThan(32 * 1024);

    const plan = storedDocument<RecoveryPlan>(incident.aws, invocationOutput<PlanTargetOutput>(execution, 'PlanTarget').plan);
    const groupPlan = plan.groups.find((g) => g.sourceGroup === GROUP)!;
    expect(groupPlan.blocked).toBe(false);
    expect(partitionForGroup(groupPlan.targetGroup, OFFSETS_PARTITIONS)).not.toBe(failedShard);
    const seed = invocationOutput<SeedOffsetsOutput>(execution, 'SeedOffsets');
    expect(seed.ok).toBe(true);
    expect(seed.groups).toEqual({ seeded: 1, partial: 0, failed: 0, skippedBlocked: 0 });
    const seeded = storedDocument<SeedResultDocument>(incident.aws, seed.fullResult);
    expect(seeded.groups).toEqual([expect.objectContaining({ sourceGroup: GROUP, targetGroup: groupPlan.targetGroup, status: 'SEEDED', committed: 3 })]);
    const verified = invocationOutput<VerifyOutput>(execution, 'Verify');
    expect(verified).toMatchObject({ ok: true, groups: { verified: 1, failed: 0 } });
    expect(storedDocument<VerifyResultDocument>(incident.aws, verified.fullResult)).toMatchObject({ ok: true, groups: [{ targetGroup: groupPlan.targetGroup, ok: true, matched: 3 }] });

    const report = await incident.aws.sns.waitForMessage((m) => m.subject === 'Coordinator recovery: RECOVERED');
    expect(report.message).toContain(groupPlan.targetGroup);
    const prefix = `executions/${runbook.stateMachineArn.split(':').at(-1)}/approved-run/`;
    const stored = incident.aws.s3.keys(runbook.artifactsBucket).filter((k) => k.startsWith(prefix));
    expect(stored).toEqual(expect.arrayContaining([`${prefix}plan.json`, `${prefix}approval.json`, `${prefix}result.json`]));
    expect(storedDocument(incident.aws, { bucket: runbook.artifactsBucket, key: `${prefix}approval.json` })).toMatchObject({ approvedBy: 'alice', channel: 'link' });

    // The restarted consumers: fromBeginning would replay everything if the seed were missing.
    await expectResumesWhereBillingStopped(groupPlan.targetGroup);
  }, 60_000);

  it('an approval that never comes ends the run at the timeout, notified, with nothing written', async () => {
    const execution = runbook.start({ groups: [GROUP] }, { name: 'unanswered-run', approvalTimeoutMs: 300 });
    await approvalMail(incident.aws, execution);
    const target = plannedTarget(incident.aws, execution, GROUP);
    const outcome = await execution.done;
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(execution.states.at(-1)).toBe(STATE.notApproved);
    expect(execution.invocations.map((i) => i.state)).not.toContain('SeedOffsets');
    await expectNoOffsets(target);
    await incident.aws.sns.waitForMessage((m) => m.message.includes('no approval before the timeout') && m.message.includes(execution.executionArn));
  }, 60_000);

  it('a group on a healthy shard: nothing to recover, no approval asked, the report says so', async () => {
    const healthy = groupOnAnotherShard('shipping', GROUP);
    const execution = runbook.start({ groups: [healthy] }, { name: 'healthy-run' });
    const outcome = await execution.done;
    expect(outcome.status, JSON.stringify(outcome)).toBe('SUCCEEDED');
    expect((outcome as { output: ReportOutput }).output.outcome).toBe('NOTHING_TO_RECOVER');
    expect(execution.invocations.map((i) => i.state)).toEqual(['Diagnose', 'Report']);
    expect(execution.states).toContain(STATE.nothingToRecover);
  }, 60_000);

  it('an operator\'s send-task-success with the stored token and the README\'s output works too, into a fresh target', async () => {
    const execution = runbook.start({ groups: [GROUP] }, { name: 'cli-approved-run' });
    const mail = await approvalMail(incident.aws, execution);
    const target = plannedTarget(incident.aws, execution, GROUP);
    // The suggestion skips groups that already hold offsets (the earlier run's target).
    expect(Object.values(await committedOffsets(incident.kafka, target)).every((offset) => offset === '-1')).toBe(true);
    const planSha256 = /sha256 ([0-9a-f]{64})/.exec(mail.message)?.[1];
    expect(planSha256, mail.message).toBeDefined();
    const taskOutput = JSON.stringify({ approved: true, planSha256, approvedBy: 'carol', channel: 'cli' });
    const sfn = new SFNClient(incident.aws.clientConfig('sfn'));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: storedTaskToken(incident, execution.executionArn, runbook.artifactsBucket), output: taskOutput }));
    sfn.destroy();
    const outcome = await execution.done;
    expect(outcome.status, JSON.stringify(outcome)).toBe('SUCCEEDED');
    expect((outcome as { output: ReportOutput }).output.outcome).toBe('RECOVERED');
    const seed = invocationOutput<SeedOffsetsOutput>(execution, 'SeedOffsets');
    expect(seed.groups).toEqual({ seeded: 1, partial: 0, failed: 0, skippedBlocked: 0 });
    const seeded = storedDocument<SeedResultDocument>(incident.aws, seed.fullResult);
    expect(seeded.groups[0]).toMatchObject({ targetGroup: target, status: 'SEEDED' });
    await expectResumesWhereBillingStopped(target);
  }, 60_000);

  it('one group whose stored offsets cannot be read fails only its item: the other is recovered, the report and its mail say PARTIALLY_RECOVERED and why', async () => {
    // The second group's stored scan result is damaged as it is written (the stand-in's fault injection).
    const stop = incident.aws.s3.damageWrites(runbook.artifactsBucket, (key) => key.includes('/partial-run/groups/') && key.endsWith(`/${SECOND}.json`));
    try {
      const execution = runbook.start({ groups: [GROUP, SECOND], comment: 'INC-3' }, { name: 'partial-run' });
      const mail = await approvalMail(incident.aws, execution);
      // The approver is told before deciding that a group is missing from the plan.
      expect(mail.message).toContain(`1 group(s) could not be read and are not in this plan (${SECOND})`);
      const decision = await submitOnLink(approvalMailParts(mail).link, { decision: 'approve', approver: 'dana' });
      expect(decision.status).toBe(200);
      const outcome = await execution.done;
      // The run goes on to the report and ends red, with the report's summary as the cause.
      expect(outcome).toMatchObject({ status: 'FAILED', error: 'RecoveryIncomplete' });
      expect((outcome as { cause: string }).cause).toContain(`${SECOND} (__consumer_offsets-${failedShard}): RecoveryError.CORRUPT_DATA`);
      expect(execution.states).toContain(STATE.report);
      expect(execution.payload.maxBytes).toBeLessThan(32 * 1024);

      const reads = execution.invocations.filter((i) => i.state === STATE.readGroupOffsets);
      expect(reads.map((i) => i.error?.name ?? 'ok').sort()).toEqual(['RecoveryError.CORRUPT_DATA', 'ok']);
      const report = invocationOutput<ReportOutput>(execution, STATE.report);
      expect(report.outcome).toBe('PARTIALLY_RECOVERED');
      const stored = storedDocument<RecoveryReport>(incident.aws, report.result);
      expect(stored.unreadGroups).toEqual([{ groupId: SECOND, partition: failedShard, error: 'RecoveryError.CORRUPT_DATA', cause: expect.stringContaining('is not valid JSON') }]);
      expect(stored.groups).toEqual([expect.objectContaining({ sourceGroup: GROUP, seeded: 'SEEDED', verified: true })]);
      const notice = await incident.aws.sns.waitForMessage((m) => m.subject === 'Coordinator recovery: PARTIALLY_RECOVERED' && m.message.includes(execution.executionArn));
      expect(notice.message).toContain(`${SECOND} (__consumer_offsets-${failedShard}): RecoveryError.CORRUPT_DATA`);
    } finally {
      stop();
    }
  }, 60_000);

  it('a failed shard that holds no groups: the Maps yield empty lists, the report says nothing to recover, no approval asked', async () => {
    // A shard neither billing nor the targets the runs above planned hash to, led by another broker than billing's
    // shard (the probes of a failing broker's other shards must not find billing).
    const leaderOf = (partition: number): number => incident.local.cluster.partition('__consumer_offsets', partition)!.leader;
    const used = new Set([GROUP, ...Array.from({ length: 5 }, (_, i) => suggestedName(GROUP, i + 1))].map((g) => partitionForGroup(g, OFFSETS_PARTITIONS)));
    const empty = Array.from({ length: OFFSETS_PARTITIONS }, (_, p) => p).find((p) => !used.has(p) && leaderOf(p) !== leaderOf(failedShard));
    expect(empty, 'an unused shard on another broker').toBeDefined();
    // The window opens after billing's failure, so only this shard's log lines are in it.
    const since = Date.now() - 1;
    await incident.local.faults.failCoordinator(empty!);
    try {
      const execution = runbook.start({ since }, { name: 'empty-shard-run' });
      const outcome = await execution.done;
      expect(outcome.status, JSON.stringify(outcome)).toBe('SUCCEEDED');
      expect((outcome as { output: ReportOutput }).output.outcome).toBe('NOTHING_TO_RECOVER');
      expect(invocationOutput<DiagnoseOutput>(execution, 'Diagnose')).toMatchObject({ verdict: 'COORDINATOR_FAILED', failedShards: [empty] });
      expect(invocationOutput<BlastRadiusOutput>(execution, STATE.mergeSegments)).toMatchObject({ partition: empty, groupCount: 0 });
      expect(execution.invocations.map((i) => i.state)).toEqual(['Diagnose', STATE.planSegments, STATE.blastRadiusShard, STATE.mergeSegments, 'PlanTarget', 'Report']);
      expect(execution.invocations.find((i) => i.state === 'PlanTarget')!.input).toMatchObject({ groups: { ResultWriterDetails: { Bucket: runbook.artifactsBucket } } });
      expect(execution.states).toEqual(expect.arrayContaining([STATE.readOffsets, STATE.nothingToApprove]));
      expect(execution.states).not.toContain(STATE.awaitApproval);
    } finally {
      await incident.local.faults.healCoordinator(empty!);
    }
  }, 60_000);
});
