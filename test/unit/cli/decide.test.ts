import { describe, expect, it } from 'vitest';
import { runCli } from '../../../bin/cli/run.ts';
import { fakeIo } from './fake-io.ts';

const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:CoordinatorRecovery-runbook:incident-4711';
const HASH = 'a'.repeat(64);

describe('approve and reject', () => {
  it.each([
    [['approve', '--plan-sha256', HASH, '--url', 'https://x.lambda-url.eu-west-1.on.aws/'], '--execution: is missing'],
    [['approve', '--execution', 'incident-4711', '--plan-sha256', HASH, '--url', 'https://x.lambda-url.eu-west-1.on.aws/'], '--execution: "incident-4711" is not a Step Functions execution ARN'],
    [['approve', '--execution', EXECUTION, '--plan-sha256', 'abc', '--url', 'https://x.lambda-url.eu-west-1.on.aws/'], '--plan-sha256: "abc" is not a sha256'],
    [['reject', '--execution', EXECUTION, '--plan-sha256', HASH], '--url: is missing'],
    [['reject', '--execution', EXECUTION, '--plan-sha256', HASH, '--url', 'http://approvals.example.com/'], '--url: "http://approvals.example.com/" is not https'],
  ])('%j names the flag to fix and contacts nothing (exit 2)', async (argv, message) => {
    const io = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toContain(message);
  });

  it('takes the URL from COORDINATOR_RECOVERY_APPROVAL_URL', async () => {
    const io = fakeIo({ env: { COORDINATOR_RECOVERY_APPROVAL_URL: 'ftp://nowhere/' } });
    expect(await runCli(['approve', '--execution', EXECUTION, '--plan-sha256', HASH], io)).toBe(2);
    expect(io.err()).toContain('--url: "ftp://nowhere/" is not https');
  });
});
