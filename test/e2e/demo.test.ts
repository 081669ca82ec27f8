/**
 * `npm run demo`, checked: runDemo with a recording reporter on the --yes path and on the
 * reject path (no terminal to ask), and the real `npm run demo -- --yes` as a child process.
 */
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import { RecordingReporter } from '../support/recording-reporter.ts';
import { OFFSETS_PARTITIONS } from '../../local/incident/environment.ts';
import { GROUP, runDemo } from '../../local/demo/scenario.ts';
import { TerminalReporter } from '../../local/demo/terminal-reporter.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const OPTIONS = { assumeYes: false, json: false, keep: false, kafka: { kind: 'local' }, rehearsal: null, lambdaTimeoutSeconds: null } as const;

describe('npm run demo', () => {
  it('--yes: diagnoses the failed shard, plans a healthy target, seeds, verifies, and the target resumes with nothing lost or replayed', async () => {
    const reporter = new RecordingReporter();
    const result = await runDemo({ ...OPTIONS, assumeYes: true }, reporter);
    const failedShard = partitionForGroup(GROUP, OFFSETS_PARTITIONS);

    expect(reporter.questions).toBe(0);
    expect(result).toMatchObject({ ok: true, outcome: 'RECOVERED', verdict: 'COORDINATOR_FAILED', failedShards: [failedShard], failedShard, approved: true, seeded: true, verified: true, reportOutcome: 'RECOVERED' });
    expect(result.targetGroup).toMatch(/^orders-service-recovered-\d+$/);
    expect(result.targetShard).toBe(partitionForGroup(result.targetGroup, OFFSETS_PARTITIONS));
    expect(result.targetShard).not.toBe(failedShard);

    // Before the runbook: the group is stuck, its neighbour on the same broker is not, the broker log says why.
    const [stuck] = reporter.of('stuck-consumer');
    expect(stuck).toMatchObject({ assigned: false, offsetFetchError: 'NOT_COORDINATOR', findCoordinator: { brokerId: result.failedBroker } });
    expect(stuck!.groupErrors).toContainEqual(expect.objectContaining({ api: 'JoinGroup', error: 'NOT_COORDINATOR' }));
    const [neighbour] = reporter.of('neighbour-group');
    expect(neighbour).toMatchObject({ brokerId: result.failedBroker, committed: true });
    expect(neighbour!.partition).not.toBe(failedShard);
    expect(reporter.of('broker-log')[0]!.events.map((e) => e.message).join('\n')).toContain(`Failed to load metadata from __consumer_offsets-${failedShard} `);

    // The runbook as it ran: every step shown, the plan and the approval mail the approver gets.
    const states = reporter.of('runbook-state').map((e) => e.state);
    expect(states).toEqual(expect.arrayContaining(['Diagnose', 'BlastRadius', 'ReadOffsets', 'PlanTarget', 'AwaitApproval', 'SeedOffsets', 'Verify', 'Report', 'Done']));
    expect(reporter.of('blast-radius')).toEqual([expect.objectContaining({ brokerId: result.failedBroker, partition: failedShard, groupsToRecover: [GROUP], topics: ['orders'] })]);
    const [recovered] = reporter.of('recovered-offsets');
    expect(recovered!.complete).toBe(true);
    expect(Object.fromEntries(recovered!.partitions.map((p) => [String(p.partition), Number(p.offset)]))).toEqual(result.committedOffsets);
    const [plan] = reporter.of('plan');
    expect(plan).toMatchObject({ sourceGroup: GROUP, targetGroup: result.targetGroup, blocked: false });
    const [mail] = reporter.of('approval-request');
    expect(mail!.message).toMatch(/https?:\/\/\S+signature=/);
    // Decisions go through the signed link (or signed CLI calls): no task token travels by mail.
    expect(mail!.message).not.toMatch(/task-token|send-task-success/);
    expect(mail!.message).toContain(plan!.planSha256);
    const order = reporter.events.map((e) => e.type);
    expect(order.indexOf('plan')).toBeLessThan(order.indexOf('approval-request'));
    expect(order.indexOf('approval-request')).toBeLessThan(order.indexOf('seeded'));

    // The proof: exactly what was produced after the last commit, per partition.
    const resume = result.resume!;
    expect(resume).toMatchObject({ ok: true, lost: 0, replayed: 0, duplicated: 0 });
    expect(resume.received).toBe(resume.expected);
    // 20 per partition before the failure, 5 during it, minus the 8, 10, ..., 18 committed.
    expect(resume.expected).toBe(6 * 25 - (8 + 10 + 12 + 14 + 16 + 18));
    for (const p of resume.partitions) expect(p.firstReceivedOffset).toBe(result.committedOffsets[String(p.partition)]);
    expect(reporter.events.at(-1)).toEqual({ type: 'stopping' });
  }, 120_000);

  it('without --yes and without a terminal: the plan is rejected and nothing is written', async () => {
    const out = new PassThrough();
    const text: string[] = [];
    out.on('data', (chunk: Buffer) => text.push(chunk.toString('utf8')));
    // A PassThrough is no TTY, as stdin is under CI or a pipe.
    const reporter = new TerminalReporter({ out, input: new PassThrough() });
    const result = await runDemo(OPTIONS, reporter);

    expect(result).toMatchObject({ ok: true, outcome: 'NOT_APPROVED', approved: false, nothingWritten: true, seeded: null, verified: null, resume: null, verdict: 'COORDINATOR_FAILED' });
    const story = text.join('');
    expect(story).toContain('Rejected by demo (no terminal to ask and no --yes)');
    expect(story).toContain('The run ended in NotApproved (ApprovalRejected');
    expect(story).toContain(`Nothing was written: SeedOffsets never ran and '${result.targetGroup}' has no committed offsets`);
    expect(story).not.toContain('-> SeedOffsets');
  }, 120_000);
});

describe('npm run demo -- --yes, as a child process', () => {
  let child: ReturnType<typeof spawn> | undefined;
  afterEach(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  });

  it('exits 0 after printing the story, bounded in time', async () => {
    child = spawn('npm', ['run', '--silent', 'demo', '--', '--yes'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not finish within 100 s:\n${stdout}\n${stderr}`)), 100_000);
      child!.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(code, stderr).toBe(0);
    for (const line of [
      '3. The coordinator shard of \'orders-service\' fails',
      'OffsetFetch: NOT_COORDINATOR',
      'verdict COORDINATOR_FAILED',
      'The approver gets this message (SNS):',
      'Approved by demo --yes',
      'Resumed exactly where the failed group stopped: 72 of 72 orders, nothing lost, nothing replayed.',
      '7. Stopping the cluster, the stand-ins and every client',
    ]) {
      expect(stdout).toContain(line);
    }
    expect(stdout).toMatch(/Demo done in \d+\.\d s: orders-service recovered into orders-service-recovered-\d+/);
  }, 120_000);

  it('--kafka real:VERSION without the release\'s jars: exit 2, naming --kafka and the fetch command', async () => {
    child = spawn('npm', ['run', '--silent', 'demo', '--', '--yes', '--kafka', 'real:9.9.9'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child!.on('exit', resolve));
    expect(code).toBe(2);
    // Without a JDK the same flag is named with the other fix; either way nothing started.
    expect(stderr).toMatch(/^--kafka: real:9\.9\.9 needs (the jars of Apache Kafka 9\.9\.9, which are not cached\. Fetch them once with `npm run -s real-kafka -- fetch 9\.9\.9`|a JDK 17)/);
  }, 60_000);
});
