/**
 * The Kafka 3.x incident through the synthesized runbook on the local runner: the local cluster
 * plays 3.9, whose failed load logs "Error loading offsets" and serves the shard with billing's
 * offsets gone. Diagnose says OFFSETS_LOST_ON_LOAD from the broker logs and the live comparison,
 * the execution input asks to restore in place, and after approval billing itself takes its
 * offsets back: its consumers restart unchanged and read exactly what they had not.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import type { DiagnoseOutput, PlanTargetOutput, RecoveryPlan, ReportOutput, SeedOffsetsOutput, SeedResultDocument } from '../../lambdas/core/workflow/documents.ts';
import { approvalMail, committedOffsets, consumeAndLeave, invocationOutput, OFFSETS_PARTITIONS, produce, readUntilAll, startIncident, storedDocument, type Incident } from './incident.ts';

const GROUP = 'billing';
const EARLY = Array.from({ length: 30 }, (_, i) => `early-${i}`);
const LATE = Array.from({ length: 10 }, (_, i) => `late-${i}`);

let incident: Incident;
let shard: number;

beforeAll(async () => {
  // Restoring in place writes to the source group, so the stack must be allowed to write to it.
  incident = await startIncident({ kafkaVersion: '3.9', config: { targetGroupPattern: 'billing*' } });
  await produce(incident.producer, EARLY);
  await consumeAndLeave(incident.kafka, GROUP, EARLY.length);
  shard = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
  await incident.local.faults.failCoordinator(shard);
  expect(Object.values(await committedOffsets(incident.kafka, GROUP))).toEqual(['-1', '-1', '-1']);
  await produce(incident.producer, LATE);
}, 90_000);

afterAll(async () => {
  await incident?.stop();
});

it('an input that asks for both a target name and restoreInPlace fails Diagnose naming the field', async () => {
  const execution = incident.runbook.start({ groups: [GROUP], restoreInPlace: true, targetNames: { [GROUP]: 'billing-recovered-1' } }, { name: 'contradictory-run' });
  const outcome = await execution.done;
  expect(outcome).toMatchObject({ status: 'FAILED' });
  expect(JSON.stringify(outcome)).toContain('restoreInPlace: is true, but targetNames gives');
  expect(execution.invocations.map((i) => i.state)).not.toContain('SeedOffsets');
}, 60_000);

it('diagnoses OFFSETS_LOST_ON_LOAD, restores billing in place after approval, and billing resumes exactly', async () => {
  const execution = incident.runbook.start({ groups: [GROUP], restoreInPlace: true, comment: 'INC-39' }, { name: 'in-place-run' });
  const mail = await approvalMail(incident.aws, execution);
  expect(mail.subject).toBe(`Approve offset recovery: 1 group(s) -> ${GROUP} (in place)`);
  expect(mail.message).toContain(`Group ${GROUP}, restored in place (the same group)`);
  const diagnosis = invocationOutput<DiagnoseOutput>(execution, 'Diagnose');
  expect(diagnosis.verdict).toBe('OFFSETS_LOST_ON_LOAD');
  expect(diagnosis.findings.map((f) => [f.partition, f.phrase])).toEqual([[shard, 'ERROR_LOADING_OFFSETS']]);
  expect(diagnosis.lostOffsets?.map((g) => [g.groupId, g.differences.length])).toEqual([[GROUP, 3]]);
  expect(Object.values(await committedOffsets(incident.kafka, GROUP))).toEqual(['-1', '-1', '-1']); // nothing before approval

  // The approver decides as from the console: SendTaskSuccess with the plan's hash.
  const planned = invocationOutput<PlanTargetOutput>(execution, 'PlanTarget');
  const sfn = new SFNClient(incident.aws.clientConfig('sfn'));
  const approval = { approved: true, planSha256: planned.planSha256, approvedBy: 'dana', approvedAt: new Date().toISOString(), channel: 'console', approvalId: null, comment: 'restore in place' };
  await sfn.send(new SendTaskSuccessCommand({ taskToken: execution.taskToken, output: JSON.stringify(approval) }));
  sfn.destroy();
  const outcome = await execution.done;
  expect(outcome.status, JSON.stringify(outcome)).toBe('SUCCEEDED');
  expect((outcome as { output: ReportOutput }).output.outcome).toBe('RECOVERED');

  const plan = storedDocument<RecoveryPlan>(incident.aws, invocationOutput<PlanTargetOutput>(execution, 'PlanTarget').plan);
  expect(plan.groups).toEqual([expect.objectContaining({ sourceGroup: GROUP, targetGroup: GROUP, restore: 'IN_PLACE', blocked: false })]);
  const seed = invocationOutput<SeedOffsetsOutput>(execution, 'SeedOffsets');
  expect(seed.groups).toEqual({ seeded: 1, partial: 0, failed: 0, skippedBlocked: 0 });
  // Counts in the state, every group's result in seed-result.json.
  const seeded = storedDocument<SeedResultDocument>(incident.aws, seed.fullResult);
  expect(seeded.groups).toEqual([expect.objectContaining({ targetGroup: GROUP, status: 'SEEDED', committed: 3 })]);
  const report = await incident.aws.sns.waitForMessage((m) => m.subject === 'Coordinator recovery: RECOVERED');
  expect(report.message).toContain(`${GROUP} (restored in place): 3 partition(s)`);
  expect(report.message).toContain(`next: restart the consumers of ${GROUP} unchanged`);

  // billing's consumers restart as they were (fromBeginning): a lost offset would replay the early messages.
  const values = await readUntilAll(incident.kafka, GROUP, LATE);
  expect([...values].sort()).toEqual([...LATE].sort());
}, 90_000);
