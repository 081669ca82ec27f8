import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SFNServiceException, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalDecision, PlanTargetOutput } from '../../../lambdas/core/workflow/documents.ts';
import { approvalUrl } from '../../../lambdas/core/workflow/approval-link.ts';
import { serializeDocument, sha256Hex } from '../../../lambdas/aws/artifacts.ts';
import { createHandler as approvalEndpoint } from '../../../lambdas/handlers/approval-endpoint.ts';
import { createHandler as requestApproval } from '../../../lambdas/handlers/request-approval.ts';
import { createHandler as seedOffsets } from '../../../lambdas/handlers/seed-offsets.ts';
import { EXECUTION_ARN, request } from '../core/workflow/fixtures.ts';
import { pagePlan } from './approval-page-fixtures.ts';
import { NOW, SIGNING_KEY, iamEvent, mocks, setUp, urlEvent, type Harness } from './harness.ts';

const ANN = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_KafkaOnCall_0a1b/ann@example.com';
const BO = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_KafkaOnCall_0a1b/bo@example.com';
const IAM_URL = 'https://iam-approve.lambda-url.us-east-1.on.aws/';

let h: Harness;
let plan: PlanTargetOutput;

function storePlan(harness: Harness): PlanTargetOutput {
  const text = serializeDocument({ ...pagePlan(), clusterArn: request().clusterArn, executionArn: EXECUTION_ARN });
  const key = 'executions/CoordinatorRecovery/run-1/plan.json';
  harness.objects.set(`artifacts/${key}`, text);
  const sha256 = sha256Hex(text);
  return { plan: { bucket: 'artifacts', key, bytes: Buffer.byteLength(text), sha256 }, planSha256: sha256, summary: { groups: 1, blockedGroups: 0, partitions: 2, warnings: 0 } as never };
}

async function asked(env: Record<string, string>): Promise<{ mail: string; link: string | null }> {
  h = setUp({ APPROVAL_IAM_ENDPOINT_URL: IAM_URL, ...env });
  plan = storePlan(h);
  await requestApproval(h.deps)({ request: request(), plan, taskToken: 'TOKEN-IAM' });
  const mail = mocks.sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
  return { mail, link: /https:\/\/approve\.lambda-url\S+/.exec(mail)?.[0] ?? null };
}

function decision(kind: 'approve' | 'reject', overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { decision: kind, executionArn: EXECUTION_ARN, planSha256: plan.planSha256, ...overrides };
}

function bodyOf(response: { body: string }): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

describe('IAM approvals', () => {
  it('records the verified caller ARN in the decision, approval.json and the mail carries no task token', async () => {
    const { mail, link } = await asked({ APPROVAL_MODE: 'iam' });
    expect(mail).not.toContain('TOKEN-IAM');
    expect(mail).toContain(`coordinator-recovery approve --execution ${EXECUTION_ARN} --plan-sha256 ${plan.planSha256} --url ${IAM_URL}`);
    expect(link).not.toBeNull(); // the page still shows the plan
    const stored = JSON.parse(h.objects.get('artifacts/executions/CoordinatorRecovery/run-1/approval-request.json')!) as { taskToken: string };
    expect(stored.taskToken).toBe('TOKEN-IAM');

    const response = await approvalEndpoint(h.deps)(iamEvent(ANN, decision('approve', { reason: 'checked lag' })));
    expect(response.statusCode, response.body).toBe(200);
    expect(bodyOf(response)).toMatchObject({ status: 'APPROVED', principalArn: ANN });
    const success = mocks.sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input;
    expect(success.taskToken).toBe('TOKEN-IAM');
    const approval = JSON.parse(success.output!) as ApprovalDecision;
    expect(approval).toMatchObject({ approved: true, channel: 'iam', approvedBy: ANN, planSha256: plan.planSha256, comment: 'checked lag', approvers: [{ principalArn: ANN, at: NOW.toISOString(), comment: 'checked lag' }] });

    // SeedOffsets keeps the identity in approval.json.
    h.kafka.createTopic('orders', 2);
    const seed = await seedOffsets(h.deps)({ request: request(), plan, approval });
    expect(JSON.parse(h.objects.get(`artifacts/${seed.approvalRecord.key}`)!)).toMatchObject({ channel: 'iam', approvedBy: ANN, approvers: [{ principalArn: ANN }] });
  });

  it('with two required, waits for a second, different principal; the same one twice does not count', async () => {
    await asked({ APPROVAL_MODE: 'both', APPROVALS_REQUIRED: '2' });
    const endpoint = approvalEndpoint(h.deps);
    const first = await endpoint(iamEvent(ANN, decision('approve')));
    expect(first.statusCode, first.body).toBe(202);
    expect(bodyOf(first)).toMatchObject({ status: 'WAITING_FOR_APPROVER' });
    const again = await endpoint(iamEvent(ANN, decision('approve')));
    expect(again.statusCode).toBe(409);
    expect(String(bodyOf(again)['message'])).toContain('the same principal twice does not count');
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);

    const second = await endpoint(iamEvent(BO, decision('approve')));
    expect(second.statusCode, second.body).toBe(200);
    const approval = JSON.parse(mocks.sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!) as ApprovalDecision;
    expect(approval.approvers!.map((a) => a.principalArn)).toEqual([ANN, BO]);
    expect(approval.approvedBy).toBe(`${ANN} and ${BO}`);
    expect((await endpoint(iamEvent('arn:aws:iam::123456789012:user/carol', decision('approve')))).statusCode).toBe(409);
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it('with two required, the link can reject but not approve, and a reject by anyone rejects', async () => {
    const { link } = await asked({ APPROVAL_MODE: 'both', APPROVALS_REQUIRED: '2' });
    const query = new URL(link!).search.slice(1);
    const page = await approvalEndpoint(h.deps)(urlEvent('GET', query));
    expect(page.body).not.toContain('value="approve"');
    expect(page.body).toContain('value="reject"');
    const refused = await approvalEndpoint(h.deps)(urlEvent('POST', query, 'decision=approve&approver=Ann'));
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('recovery:approvalsRequired is 2');
    await approvalEndpoint(h.deps)(iamEvent(ANN, decision('approve')));
    const rejected = await approvalEndpoint(h.deps)(iamEvent(BO, decision('reject', { reason: 'wrong target' })));
    expect(rejected.statusCode).toBe(200);
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toEqual({ taskToken: 'TOKEN-IAM', error: 'ApprovalRejected', cause: `Rejected by ${BO}: wrong target` });
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('refuses another plan hash or execution, naming the flag, and IAM decisions when the mode is link', async () => {
    await asked({ APPROVAL_MODE: 'iam' });
    const wrongHash = await approvalEndpoint(h.deps)(iamEvent(ANN, decision('approve', { planSha256: 'a'.repeat(64) })));
    expect(wrongHash.statusCode).toBe(409);
    expect(bodyOf(wrongHash)).toMatchObject({ status: 'REFUSED', field: '--plan-sha256' });
    expect(String(bodyOf(wrongHash)['message'])).toMatch(/^--plan-sha256: a{64} is not the plan awaiting approval/);
    const otherMachine = await approvalEndpoint(h.deps)(iamEvent(ANN, decision('approve', { executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Other:run-1' })));
    expect(bodyOf(otherMachine)).toMatchObject({ field: '--execution' });
    const malformed = await approvalEndpoint(h.deps)(iamEvent(ANN, decision('approve', { planSha256: 'abc' })));
    expect(bodyOf(malformed)).toMatchObject({ field: '--plan-sha256' });
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);

    await asked({ APPROVAL_MODE: 'link' });
    const linkOnly = await approvalEndpoint(h.deps)(iamEvent(ANN, decision('approve')));
    expect(linkOnly.statusCode).toBe(403);
    expect(String(bodyOf(linkOnly)['message'])).toContain('recovery:approvalMode is link');
  });

  it('in iam mode the link shows the plan and the commands, and a POST on it is refused', async () => {
    const { link } = await asked({ APPROVAL_MODE: 'iam' });
    const query = new URL(link!).search.slice(1);
    const page = await approvalEndpoint(h.deps)(urlEvent('GET', query));
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<form');
    expect(page.body).toContain('coordinator-recovery approve --execution');
    for (const kind of ['approve', 'reject']) {
      const response = await approvalEndpoint(h.deps)(urlEvent('POST', query, `decision=${kind}&approver=Ann`));
      expect(response.statusCode).toBe(403);
      expect(response.body).toContain('recovery:approvalMode is iam');
    }
    expect(mocks.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(mocks.sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });

  it('gives the slot back when Step Functions does not take the approval, so the same command works again', async () => {
    await asked({ APPROVAL_MODE: 'iam' });
    mocks.sfn.on(SendTaskSuccessCommand).rejectsOnce(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
    const endpoint = approvalEndpoint(h.deps);
    const failed = await endpoint(iamEvent(ANN, decision('approve')));
    expect(failed.statusCode, failed.body).toBe(503);
    expect([...h.objects.keys()].filter((k) => k.includes('/approvals/'))).toEqual([]);
    expect((await endpoint(iamEvent(ANN, decision('approve')))).statusCode).toBe(200);
  });
});

describe('the link endpoint under abuse', () => {
  beforeEach(async () => {
    await asked({});
  });

  it('answers a bad or expired link from memory once the key is cached: no AWS call', async () => {
    const endpoint = approvalEndpoint(h.deps);
    const { link } = { link: /https:\/\/approve\.lambda-url\S+/.exec(mocks.sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!)![0] };
    expect((await endpoint(urlEvent('GET', new URL(link).search.slice(1)))).statusCode).toBe(200);
    for (const mock of Object.values(mocks)) mock.resetHistory();

    const forged = new URL(link);
    forged.searchParams.set('signature', 'A'.repeat(43));
    expect((await endpoint(urlEvent('GET', forged.search.slice(1)))).statusCode).toBe(403);
    expect((await endpoint(urlEvent('POST', forged.search.slice(1), 'decision=approve&approver=Mallory'))).statusCode).toBe(403);
    const expired = new URL(link);
    expired.searchParams.set('expires', String(Math.floor(NOW.getTime() / 1000) - 1));
    expect((await endpoint(urlEvent('POST', expired.search.slice(1), 'decision=approve&approver=Mallory'))).statusCode).toBe(410);
    const calls = Object.values(mocks).reduce((sum, mock) => sum + mock.calls().length, 0);
    expect(calls).toBe(0);
  });

  it('accepts a link signed with the previous key version during a rotation', async () => {
    const previousKey = 'previous-key-'.repeat(4);
    mocks.secrets.on(GetSecretValueCommand, { SecretId: 'arn:signing', VersionStage: 'AWSPREVIOUS' }).resolves({ SecretString: previousKey });
    const expiresAt = Math.floor(NOW.getTime() / 1000) + 3600;
    const oldLink = new URL(approvalUrl('https://approve.lambda-url.us-east-1.on.aws/', { executionArn: EXECUTION_ARN, approvalId: approvalIdOf(), expiresAt }, previousKey));
    const response = await approvalEndpoint(h.deps)(urlEvent('GET', oldLink.search.slice(1)));
    expect(response.statusCode).toBe(200);
    const unknownKey = new URL(approvalUrl('https://approve.lambda-url.us-east-1.on.aws/', { executionArn: EXECUTION_ARN, approvalId: approvalIdOf(), expiresAt }, 'x'.repeat(48)));
    expect((await approvalEndpoint(h.deps)(urlEvent('GET', unknownKey.search.slice(1)))).statusCode).toBe(403);
    expect(SIGNING_KEY).not.toBe(previousKey);
  });
});

function approvalIdOf(): string {
  return (JSON.parse(h.objects.get('artifacts/executions/CoordinatorRecovery/run-1/approval-request.json')!) as { approvalId: string }).approvalId;
}
