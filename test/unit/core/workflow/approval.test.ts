import { describe, expect, it } from 'vitest';
import {
  approvalUrl,
  checkApprovalLink,
  consumeApprovalLink,
  parseApprovalLink,
  signApprovalLink,
  type ApprovalLink,
  type ApprovalMarkerStore,
} from '../../../../lambdas/core/workflow/approval-link.ts';
import { cliCommands, renderApprovalMessage } from '../../../../lambdas/core/workflow/approval-message.ts';
import { SNS_MESSAGE_LIMIT_BYTES, fitSnsMessage } from '../../../../lambdas/aws/notifications.ts';
import { planTargets } from '../../../../lambdas/core/workflow/planning.ts';
import { EXECUTION_ARN, ShardFailingKafka, recovery, request } from './fixtures.ts';

const KEY = 'k'.repeat(48);
const link: ApprovalLink = { executionArn: EXECUTION_ARN, approvalId: 'a-1', expiresAt: 2_000_000_000 };

function memoryMarkers(): ApprovalMarkerStore & { records: Map<string, unknown> } {
  const records = new Map<string, unknown>();
  return {
    records,
    createIfAbsent: async (l, record) => {
      const key = `${l.executionArn}/${l.approvalId}`;
      if (records.has(key)) return false;
      records.set(key, record);
      return true;
    },
    release: async (l) => {
      records.delete(`${l.executionArn}/${l.approvalId}`);
    },
  };
}

describe('approval links', () => {
  it('round-trips through a URL and verifies', () => {
    const url = new URL(approvalUrl('https://abc.lambda-url.us-east-1.on.aws/', link, KEY));
    const parsed = parseApprovalLink(Object.fromEntries(url.searchParams));
    expect(parsed.link).toEqual(link);
    expect(checkApprovalLink(parsed.link, parsed.signature, KEY, link.expiresAt - 1)).toBeNull();
  });

  it('rejects a changed execution, approval id or expiry, another key, and an expired link', () => {
    const signature = signApprovalLink(link, KEY);
    expect(checkApprovalLink({ ...link, executionArn: `${EXECUTION_ARN}x` }, signature, KEY, 0)).toBe('BAD_SIGNATURE');
    expect(checkApprovalLink({ ...link, approvalId: 'a-2' }, signature, KEY, 0)).toBe('BAD_SIGNATURE');
    expect(checkApprovalLink({ ...link, expiresAt: link.expiresAt + 3600 }, signature, KEY, 0)).toBe('BAD_SIGNATURE');
    expect(checkApprovalLink(link, signature, 'z'.repeat(48), 0)).toBe('BAD_SIGNATURE');
    expect(checkApprovalLink(link, 'short', KEY, 0)).toBe('BAD_SIGNATURE');
    expect(checkApprovalLink(link, signature, KEY, link.expiresAt)).toBe('EXPIRED');
  });

  it('refuses a short signing key', () => {
    expect(() => signApprovalLink(link, 'short')).toThrow(/32 characters/);
  });

  it('names the missing parameter', () => {
    expect(() => parseApprovalLink({ execution: 'x', approval: 'a', expires: '5' })).toThrow(/^signature:/);
    expect(() => parseApprovalLink({ execution: 'x', approval: 'a', expires: 'soon', signature: 's' })).toThrow(/^expires:/);
  });

  it('is single use: only the first consumer wins, a bad link never consumes', async () => {
    const markers = memoryMarkers();
    const signature = signApprovalLink(link, KEY);
    expect(await consumeApprovalLink(markers, link, 'forged', KEY, 0, { by: 'eve' })).toEqual({ consumed: false, problem: 'BAD_SIGNATURE' });
    expect(markers.records.size).toBe(0);
    const results = await Promise.all([consumeApprovalLink(markers, link, signature, KEY, 0, { by: 'ann' }), consumeApprovalLink(markers, link, signature, KEY, 0, { by: 'bob' })]);
    expect(results.filter((r) => r.consumed)).toHaveLength(1);
    expect(results.filter((r) => !r.consumed)).toEqual([{ consumed: false, problem: 'ALREADY_USED' }]);
  });
});

describe('approval message', () => {
  it('shows groups, targets, offsets with lag and warnings, and the exact CLI commands', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    kafka.createTopic('orders', 1);
    kafka.failedShards.add(4);
    const source = kafka.groupOnShard(4, 'billing');
    const plan = await planTargets(kafka, {
      request: request({ groups: [source] }),
      failedShards: [4],
      failingBrokers: [kafka.leaderOf(4)],
      recoveries: [recovery(source, 4, [{ topic: 'orders', partition: 0, offset: 14921n, logEnd: 15000n }], [
        { kind: 'MISSING_PARTITION', topic: 'orders', partition: 1, offset: null, logStartOffset: null, logEndOffset: null, message: 'orders-1 has no recovered offset' },
      ])],
      planId: 'plan-1',
      now: new Date('2026-11-24T22:00:00Z'),
    });
    const iamUrl = 'https://xyz.lambda-url.us-east-1.on.aws/';
    const commands = cliCommands({ executionArn: EXECUTION_ARN, planSha256: 'f'.repeat(64), url: iamUrl });
    const render = (mode: { approvalUrl: string | null; commands: typeof commands | null; linkDecisions?: ('approve' | 'reject')[]; approvalsRequired?: number }) =>
      renderApprovalMessage({
        plan,
        planSha256: 'f'.repeat(64),
        planLocation: 's3://artifacts/executions/x/plan.json',
        executionArn: EXECUTION_ARN,
        expiresAt: '2026-11-25T22:00:00.000Z',
        ...mode,
      });
    const message = render({ approvalUrl: 'https://abc.lambda-url.us-east-1.on.aws/?execution=x', commands });
    const target = plan.groups[0]!.targetGroup;
    expect(message.subject).toBe(`Approve offset recovery: 1 group(s) -> ${target}`);
    expect(message.text).toContain(`Group ${source} -> ${target} (suggested name)`);
    expect(message.text).toMatch(/orders\s+0\s+14921\s+0\s+15000\s+79\s+OK/);
    expect(message.text).toContain('WARNING: orders-1 has no recovered offset');
    expect(message.text).toContain('https://abc.lambda-url.us-east-1.on.aws/?execution=x');
    expect(message.text).toContain(commands.approve);
    expect(message.text).toContain(commands.reject);
    expect(commands.approve).toBe(`coordinator-recovery approve --execution ${EXECUTION_ARN} --plan-sha256 ${'f'.repeat(64)} --url ${iamUrl}`);
    expect(commands.reject).toBe(`coordinator-recovery reject --execution ${EXECUTION_ARN} --plan-sha256 ${'f'.repeat(64)} --url ${iamUrl} --reason REASON`);
    // The task token never travels by mail, whatever the mode.
    for (const text of [message.text, render({ approvalUrl: 'https://abc/?x', commands: null }).text, render({ approvalUrl: null, commands }).text]) {
      expect(text).not.toMatch(/task-token|send-task-success/);
    }
    expect(render({ approvalUrl: 'https://abc/?x', commands: null }).text).not.toContain('coordinator-recovery approve');
    expect(render({ approvalUrl: 'https://abc/?x', commands, linkDecisions: [] }).text).toContain('the page only shows it; decide with the commands below');
    expect(render({ approvalUrl: 'https://abc/?x', commands, linkDecisions: ['reject'], approvalsRequired: 2 }).text).toContain('2 different IAM principals must approve');
  });

  it('keeps the link and the CLI commands when SNS cuts the mail of a plan with hundreds of groups', async () => {
    const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
    kafka.createTopic('orders', 24);
    kafka.failedShards.add(4);
    const sources = Array.from({ length: 300 }, (_, i) => kafka.groupOnShard(4, `settlement-worker-${i}-`));
    const offsets = Array.from({ length: 24 }, (_, partition) => ({ topic: 'orders', partition, offset: 14921n, logEnd: 15000n }));
    const plan = await planTargets(kafka, {
      request: request({ groups: sources }),
      failedShards: [4],
      failingBrokers: [kafka.leaderOf(4)],
      recoveries: sources.map((source) => recovery(source, 4, offsets)),
      planId: 'plan-big',
      now: new Date('2026-11-24T22:00:00Z'),
    });
    const approvalUrl = 'https://abc.lambda-url.us-east-1.on.aws/?execution=big';
    const commands = cliCommands({ executionArn: EXECUTION_ARN, planSha256: 'e'.repeat(64), url: 'https://xyz.lambda-url.us-east-1.on.aws/' });
    const message = renderApprovalMessage({
      plan,
      planSha256: 'e'.repeat(64),
      planLocation: 's3://artifacts/executions/big/plan.json',
      executionArn: EXECUTION_ARN,
      approvalUrl,
      commands,
      expiresAt: '2026-11-25T22:00:00.000Z',
    });
    expect(Buffer.byteLength(message.text)).toBeGreaterThan(SNS_MESSAGE_LIMIT_BYTES);
    const mailed = fitSnsMessage(message.text, 's3://artifacts/executions/big/plan.json');
    expect(mailed).toContain('[... cut to fit SNS; the full text is in s3://artifacts/executions/big/plan.json]');
    expect(mailed).toContain(approvalUrl);
    expect(mailed).toContain(commands.approve);
    expect(mailed).toContain(commands.reject);
  });
});
