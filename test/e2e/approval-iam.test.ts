/**
 * Approvals bound to an identity, end to end: the synthesized state machine with
 * recovery:approvalMode both and two approvers, the approval endpoint behind the local AWS_IAM
 * function URL (SigV4 verified against a table of test credentials), and the built
 * `coordinator-recovery approve|reject` signing with the SDK's default credential chain.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import type { ApprovalDecision, ReportOutput } from '../../lambdas/core/workflow/documents.ts';
import { STATE } from '../../lib/recovery-state-machine.ts';
import type { TestPrincipal } from '../../local/stepfunctions/index.ts';
import { createLocalRunbook } from '../../local/stepfunctions/index.ts';
import { BUILT_CLI } from '../support/build-cli.ts';
import { approvalMail, approvalMailParts, consumeAndLeave, OFFSETS_PARTITIONS, produce, startIncident, storedDocument, submitOnLink, type Incident } from './incident.ts';
import { partitionForGroup } from '../../lambdas/core/hash.ts';

const ANN: TestPrincipal = { accessKeyId: 'AKIALOCALANN0000001', secretAccessKey: 'ann-secret-'.repeat(4), principalArn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_KafkaOnCall_0a1b/ann@example.com' };
const BO: TestPrincipal = { accessKeyId: 'AKIALOCALBO00000002', secretAccessKey: 'bo-secret-'.repeat(4), principalArn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_KafkaOnCall_0a1b/bo@example.com' };
const GROUP = 'ledger';

let incident: Incident;

beforeAll(async () => {
  incident = await startIncident({ config: { approvalMode: 'both', approvalsRequired: 2 }, approvers: [ANN, BO] });
  await produce(incident.producer, ['a', 'b', 'c']);
  // A group with commits on a shard that then fails.
  await consumeAndLeave(incident.kafka, GROUP, 3);
  await incident.local.faults.failCoordinator(partitionForGroup(GROUP, OFFSETS_PARTITIONS), { group: GROUP });
}, 60_000);

afterAll(async () => {
  await incident?.stop();
});

/** The built CLI with one principal's credentials and nothing else of the machine's AWS setup. */
function cli(principal: TestPrincipal, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: '/nonexistent', AWS_ACCESS_KEY_ID: principal.accessKeyId, AWS_SECRET_ACCESS_KEY: principal.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUILT_CLI, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('IAM approvals through the local runbook', () => {
  it('waits for a second, different approver; records both verified caller ARNs in approval.json and the report', async () => {
    const execution = incident.runbook.start({ groups: [GROUP] }, { name: 'two-approvers' });
    const mail = await approvalMail(incident.aws, execution);
    expect(mail.message).not.toContain(execution.taskToken);
    const { approve, link } = approvalMailParts(mail);
    expect(approve, mail.message).not.toBeNull();
    expect(approve).toContain(incident.runbook.approvalIamEndpointUrl);

    const first = await cli(ANN, ['approve', ...approve!]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'WAITING_FOR_APPROVER', principalArn: ANN.principalArn });
    const again = await cli(ANN, ['approve', ...approve!]);
    expect(again.code, again.stderr).toBe(3); // refused: the same principal twice does not count
    expect(again.stderr).toContain('the same principal twice does not count');
    // The link cannot approve when two IAM approvers are required.
    const viaLink = await submitOnLink(link, { decision: 'approve', approver: 'Mallory' });
    expect(viaLink.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(execution.states.at(-1)).toBe(STATE.awaitApproval);

    const second = await cli(BO, ['approve', ...approve!]);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'APPROVED', principalArn: BO.principalArn });
    const outcome = await execution.done;
    expect(outcome.status, JSON.stringify(outcome)).toBe('SUCCEEDED');
    const report = (outcome as { output: ReportOutput }).output;
    expect(report.outcome).toBe('RECOVERED');
    const name = execution.executionArn.split(':');
    const approval = storedDocument<ApprovalDecision>(incident.aws, { bucket: incident.runbook.artifactsBucket, key: `executions/${name[6]}/${name[7]}/approval.json` });
    expect(approval).toMatchObject({ channel: 'iam', approvedBy: `${ANN.principalArn} and ${BO.principalArn}` });
    expect(approval.approvers!.map((a) => a.principalArn)).toEqual([ANN.principalArn, BO.principalArn]);
    const reportMail = incident.aws.sns.messages.find((m) => m.message.startsWith('Coordinator recovery report') && m.message.includes(execution.executionArn));
    expect(reportMail?.message).toContain(`Approved by ${ANN.principalArn} and ${BO.principalArn}`);
  }, 90_000);

  it('answers unsigned and badly signed requests with 403 before the function runs', async () => {
    const url = incident.runbook.approvalIamEndpointUrl;
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toEqual({ Message: 'Forbidden' });
    const host = new URL(url).host;
    const sign = (secretAccessKey: string, body: string) =>
      new SignatureV4({ credentials: { accessKeyId: ANN.accessKeyId, secretAccessKey }, region: incident.aws.region, service: 'lambda', sha256: Hash.bind(null, 'sha256') }).sign({
        method: 'POST', protocol: 'http:', hostname: '127.0.0.1', path: '/', headers: { host, 'content-type': 'application/json' }, body,
      });
    const wrongKey = await sign('not-the-secret', '{}');
    expect((await fetch(url, { method: 'POST', headers: wrongKey.headers as Record<string, string>, body: '{}' })).status).toBe(403);
    // A body changed after signing fails the signature too.
    const signed = await sign(ANN.secretAccessKey, '{"decision":"reject"}');
    expect((await fetch(url, { method: 'POST', headers: signed.headers as Record<string, string>, body: '{"decision":"approve"}' })).status).toBe(403);
    const good = await fetch(url, { method: 'POST', headers: signed.headers as Record<string, string>, body: '{"decision":"reject"}' });
    expect(good.status).toBe(400); // reached the function: it names the missing --execution
    expect(await good.json()).toMatchObject({ field: '--execution' });
  });

  it('still asks for approval after RequestApproval\'s Publish was throttled (the state\'s retry policy)', async () => {
    // More throttles than the SDK's own three attempts: the handler fails, the state retries it.
    incident.aws.sns.injectThrottling(3);
    const execution = incident.runbook.start({ groups: [GROUP] }, { name: 'throttled-publish' });
    const mail = await approvalMail(incident.aws, execution);
    expect(execution.invocations.filter((i) => i.state === STATE.awaitApproval).map((i) => i.error?.name ?? 'ok')).toEqual(['RetryableError', 'ok']);
    const { reject } = approvalMailParts(mail);
    const rejected = await cli(BO, ['reject', ...reject!.slice(0, -1), 'not today']);
    expect(rejected.code, rejected.stderr).toBe(0);
    const outcome = await execution.done;
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected', cause: `Rejected by ${BO.principalArn}: not today` });
  }, 90_000);

  it('refuses a link decision when the stack is in iam mode, and shows the plan with the commands', async () => {
    const iamOnly = await createLocalRunbook({ aws: incident.aws, config: { approvalMode: 'iam' }, approvers: [ANN] });
    try {
      const execution = iamOnly.start({ groups: [GROUP] }, { name: 'iam-mode' });
      const mail = await approvalMail(incident.aws, execution);
      const { link, approve, reject } = approvalMailParts(mail);
      const page = await fetch(link);
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).not.toContain('<form');
      expect(html).toContain(`coordinator-recovery approve ${approve!.join(' ')}`);
      for (const decision of ['approve', 'reject'] as const) {
        const post = await submitOnLink(link, { decision, approver: 'Mallory' });
        expect(post.status).toBe(403);
        expect(await post.text()).toContain('recovery:approvalMode is iam');
      }
      const rejected = await cli(ANN, ['reject', ...reject!]);
      expect(rejected.code, rejected.stderr).toBe(0);
      expect(await execution.done).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected' });
    } finally {
      await iamOnly.close();
    }
  }, 90_000);
});
