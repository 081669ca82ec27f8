/**
 * The README's AWS sections are instructions people paste into a terminal during an incident;
 * these checks keep every name and sample in them true to the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APPROVAL_REJECTED_ERROR } from '../../../lambdas/core/workflow/documents.ts';
import { EXECUTION_INPUT_KEYS, validateExecutionInput } from '../../../lambdas/core/workflow/input.ts';
import { parseApprovalDecision } from '../../../lambdas/core/workflow/step-inputs.ts';
import { COORDINATOR_FAILURE_PHRASES } from '../../../lambdas/core/workflow/log-phrases.ts';
import { CONTEXT_PREFIX, EXAMPLE_CONFIG } from '../../../lib/config.ts';
import { STATE } from '../../../lib/recovery-state-machine.ts';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const CDK_JSON = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  expect(start, `README has a "${title}" section`).toBeGreaterThan(0);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

/** The single-quoted argument of `flag` in a shell command of the section. */
function quotedArgument(text: string, flag: string): string {
  const match = new RegExp(`${flag} '([^']+)'`).exec(text);
  expect(match, `${flag} '...' in the README`).not.toBeNull();
  return match![1]!;
}

describe('README "Deploy on AWS"', () => {
  const deploy = section('Deploy on AWS');
  const rows = [...deploy.matchAll(/^\| `(recovery:[A-Za-z]+)` \| (.+?) \|/gm)].map((m) => ({ key: m[1]!, example: m[2]! }));

  it('documents exactly the context keys the stack reads', () => {
    const keys = [...Object.keys(EXAMPLE_CONFIG), 'scramSecretArn', 'scramSecretKmsKeyArn', 'tlsClientCertificateSecretArn', 'tlsClientCertificateSecretKmsKeyArn', 'stackName'].map((key) => CONTEXT_PREFIX + key);
    expect(rows.map((row) => row.key).sort()).toEqual(keys.sort());
  });

  it('shows the example values cdk.json ships, which are the stack\'s example configuration', () => {
    for (const [key, value] of Object.entries(EXAMPLE_CONFIG)) {
      const row = rows.find((r) => r.key === CONTEXT_PREFIX + key)!;
      const shown = row.example.replace(/^`|`$/g, '');
      expect(shown, row.key).toBe(typeof value === 'string' ? value : JSON.stringify(value));
      if (CDK_JSON.context[CONTEXT_PREFIX + key] !== undefined) expect(CDK_JSON.context[CONTEXT_PREFIX + key], `cdk.json ${row.key}`).toEqual(value);
    }
  });
});

describe('README "Start a recovery"', () => {
  const start = section('Start a recovery');

  it('has a start-execution sample whose input the runbook accepts', () => {
    expect(start).toContain('aws stepfunctions start-execution');
    expect(start).toMatch(/--state-machine-arn arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:CoordinatorRecovery-runbook/);
    const input = JSON.parse(quotedArgument(start, '--input')) as unknown;
    const request = validateExecutionInput(input, {
      executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:CoordinatorRecovery-runbook:incident-4711',
      startTime: new Date().toISOString(),
      defaults: { clusterArn: EXAMPLE_CONFIG.clusterArn, authMode: EXAMPLE_CONFIG.authMode, targetGroupPattern: EXAMPLE_CONFIG.targetGroupPattern },
    });
    expect(request.groups.length).toBeGreaterThan(0);
  });

  it('names every input field', () => {
    for (const key of EXECUTION_INPUT_KEYS) expect(start, key).toContain(`\`${key}\``);
  });
});

describe('README "Detect"', () => {
  const detect = section('Detect');

  it('names the alarm phrases, both alarms and the run names the trigger uses', () => {
    for (const phrase of COORDINATOR_FAILURE_PHRASES) expect(detect.replace(/\s+/g, ' ')).toContain(phrase);
    expect(detect).toContain('`<stack>-coordinator-load-failures`');
    expect(detect).toContain('`<stack>-failed-shards`');
    expect(detect).toContain('`recovery:canaryRate`');
    expect(detect).toContain('`alarm-<yyyy-mm-ddThh>`');
  });
});

describe('README "Approve or reject"', () => {
  const approve = section('Approve or reject');

  it('approves with a --task-output SeedOffsets accepts and rejects with the error the runbook treats as a decision', () => {
    const decision = parseApprovalDecision(JSON.parse(quotedArgument(approve, '--task-output')));
    expect(decision).toMatchObject({ approved: true, channel: 'cli' });
    expect(/--error (\S+)/.exec(approve)?.[1]).toBe(APPROVAL_REJECTED_ERROR);
    expect(approve).toContain(`(\`${STATE.notApproved}\`)`);
    expect(approve).toContain(`(\`${STATE.failed}\`)`);
  });

  it('documents the signed CLI with the flags it takes and the approvers\' policy the stack creates', () => {
    expect(approve).toMatch(/coordinator-recovery approve --execution arn:aws:states:\S+ \\\n\s+--plan-sha256 \S+ --url https:\/\/\S+\.lambda-url\.[a-z0-9-]+\.on\.aws\//);
    expect(approve).toMatch(/coordinator-recovery reject +--execution .* --reason /);
    for (const action of ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction', 'lambda:InvokedViaFunctionUrl', 'lambda:FunctionUrlAuthType']) expect(approve).toContain(action);
    for (const key of ['recovery:approvalMode', 'recovery:approvalsRequired', 'recovery:approvalEndpointConcurrency']) expect(approve).toContain(key);
  });
});

describe('README "What the report says"', () => {
  it('lists every outcome and the failure a partial recovery ends with', () => {
    const report = section('What the report says');
    for (const outcome of ['RECOVERED', 'PARTIALLY_RECOVERED', 'NOT_RECOVERED', 'NOTHING_TO_RECOVER']) expect(report).toContain(`\`${outcome}\``);
    expect(report).toContain(`\`${STATE.incomplete}\``);
  });
});

describe('README sections the code points to', () => {
  it('exist, so an error message or acknowledgement never sends someone to a missing section', () => {
    const roots = ['../../../lib/', '../../../bin/'].map((dir) => new URL(dir, import.meta.url));
    const files = roots.flatMap((root) => readdirSync(root).filter((name) => name.endsWith('.ts')).map((name) => readFileSync(new URL(name, root), 'utf8')));
    const pointers = [...new Set(files.flatMap((text) => [...text.matchAll(/README "([^"]+)"/g)].map((m) => m[1]!)))];
    expect(pointers.length).toBeGreaterThan(0);
    for (const title of pointers) expect(README, title).toContain(`\n## ${title}\n`);
  });
});
