import { describe, expect, it } from 'vitest';
import { RecoveryError } from '../../../../lambdas/core/errors.ts';
import { parseRecoveryRequest, validateExecutionInput, type ExecutionInputContext } from '../../../../lambdas/core/workflow/input.ts';
import { CLUSTER_ARN, EXECUTION_ARN } from './fixtures.ts';

const NOW = Date.parse('2026-11-24T22:00:00Z');
const context: ExecutionInputContext = { executionArn: EXECUTION_ARN, startTime: '2026-11-24T21:30:00Z', defaults: { authMode: 'iam' }, now: () => NOW };

function fieldOf(raw: unknown, ctx: ExecutionInputContext = context): { field: unknown; message: string } {
  try {
    validateExecutionInput(raw, ctx);
  } catch (error) {
    expect(error).toBeInstanceOf(RecoveryError);
    return { field: (error as RecoveryError).details['field'], message: (error as RecoveryError).message };
  }
  throw new Error('expected the input to be rejected');
}

describe('validateExecutionInput', () => {
  it('normalizes a complete input', () => {
    const request = validateExecutionInput(
      {
        clusterArn: CLUSTER_ARN,
        groups: ['payments', 'billing', 'billing'],
        since: '2026-11-24T20:00:00Z',
        until: 1_795_554_000_000,
        targetNames: { billing: 'billing-v2' },
        overwriteExistingTargetOffsets: true,
        authMode: 'scram',
        trigger: { source: 'cli' },
        comment: 'INC-42',
      },
      { ...context, defaults: {} },
    );
    expect(request).toEqual({
      clusterArn: CLUSTER_ARN,
      region: 'us-east-1',
      groups: ['billing', 'payments'],
      window: { since: Date.parse('2026-11-24T20:00:00Z'), until: 1_795_554_000_000 },
      targetNames: { billing: 'billing-v2' },
      overwriteExistingTargetOffsets: true,
      restoreInPlace: false,
      authMode: 'scram',
      executionArn: EXECUTION_ARN,
      trigger: { source: 'cli', alarmName: null, alarmTime: null },
      comment: 'INC-42',
    });
  });

  it('fills defaults: cluster from the stack, window ending at the execution start, overwrite off', () => {
    const request = validateExecutionInput({}, { ...context, defaults: { clusterArn: CLUSTER_ARN, authMode: 'tls', lookbackMinutes: 30 } });
    expect(request.clusterArn).toBe(CLUSTER_ARN);
    expect(request.authMode).toBe('tls');
    expect(request.window).toEqual({ since: Date.parse('2026-11-24T21:00:00Z'), until: Date.parse('2026-11-24T21:30:00Z') });
    expect(request.overwriteExistingTargetOffsets).toBe(false);
    expect(request.groups).toEqual([]);
  });

  it('keeps the stack\'s auth mode: the input may repeat it but never name another', () => {
    expect(validateExecutionInput({ clusterArn: CLUSTER_ARN, authMode: 'iam' }, context).authMode).toBe('iam');
    const refused = fieldOf({ clusterArn: CLUSTER_ARN, authMode: 'plaintext' }, context);
    expect(refused.field).toBe('authMode');
    expect(refused.message).toBe(
      'authMode: "plaintext" is not this stack\'s auth mode ("iam"); the stack\'s permissions and credentials are for "iam" only. Leave authMode out of the input, or redeploy the stack with -c recovery:authMode=<mode>',
    );
  });

  it('derives the alarm window from until and lookbackMinutes', () => {
    const request = validateExecutionInput(
      { clusterArn: CLUSTER_ARN, until: '2026-11-24T21:10:00Z', lookbackMinutes: 60, trigger: { source: 'alarm', alarmName: 'coordinator-failed', alarmTime: '2026-11-24T21:10:00Z' } },
      context,
    );
    expect(request.window).toEqual({ since: Date.parse('2026-11-24T20:10:00Z'), until: Date.parse('2026-11-24T21:10:00Z') });
    expect(request.trigger).toEqual({ source: 'alarm', alarmName: 'coordinator-failed', alarmTime: '2026-11-24T21:10:00Z' });
  });

  it.each<[string, unknown, string, RegExp]>([
    ['missing cluster', {}, 'clusterArn', /is missing.*Example/],
    ['malformed cluster', { clusterArn: 'arn:aws:kafka:us-east-1:1:cluster/x' }, 'clusterArn', /not an MSK cluster ARN.*list-clusters-v2/],
    ['groups not an array', { clusterArn: CLUSTER_ARN, groups: 'billing' }, 'groups', /must be an array/],
    ['a bad group id', { clusterArn: CLUSTER_ARN, groups: ['ok', 'has space'] }, 'groups[1]', /not a usable group id/],
    ['since and lookback', { clusterArn: CLUSTER_ARN, since: '2026-11-24T20:00:00Z', lookbackMinutes: 5 }, 'lookbackMinutes', /either since/],
    ['epoch seconds', { clusterArn: CLUSTER_ARN, since: 1_795_550_000 }, 'since', /epoch seconds/],
    ['a non-time', { clusterArn: CLUSTER_ARN, since: 'yesterday' }, 'since', /not a time/],
    ['until in the future', { clusterArn: CLUSTER_ARN, until: '2027-01-01T00:00:00Z', lookbackMinutes: 5 }, 'until', /in the future/],
    ['since after until', { clusterArn: CLUSTER_ARN, since: '2026-11-24T21:40:00Z' }, 'since', /not before its end/],
    ['negative lookback', { clusterArn: CLUSTER_ARN, lookbackMinutes: -5 }, 'lookbackMinutes', /positive number/],
    ['a huge window', { clusterArn: CLUSTER_ARN, lookbackMinutes: 60 * 24 * 60 }, 'lookbackMinutes', /more than 31 days/],
    ['target map not an object', { clusterArn: CLUSTER_ARN, targetNames: ['x'] }, 'targetNames', /JSON object/],
    ['target is the source', { clusterArn: CLUSTER_ARN, targetNames: { billing: 'billing' } }, 'targetNames.billing', /broken group itself/],
    ['two sources one target', { clusterArn: CLUSTER_ARN, targetNames: { a: 'new', b: 'new' } }, 'targetNames.b', /also the target of "a"/],
    ['target for an unrequested group', { clusterArn: CLUSTER_ARN, groups: ['a'], targetNames: { b: 'b2' } }, 'targetNames.b', /not in groups/],
    ['restoreInPlace as a string', { clusterArn: CLUSTER_ARN, restoreInPlace: 'yes' }, 'restoreInPlace', /true or false/],
    ['restoreInPlace with a target name', { clusterArn: CLUSTER_ARN, groups: ['billing'], restoreInPlace: true, targetNames: { billing: 'billing-v2' } }, 'restoreInPlace', /targetNames gives "billing" a new group\. Drop targetNames/],
    ['overwrite as a string', { clusterArn: CLUSTER_ARN, overwriteExistingTargetOffsets: 'yes' }, 'overwriteExistingTargetOffsets', /true or false/],
    ['unknown auth mode', { clusterArn: CLUSTER_ARN, authMode: 'sasl' }, 'authMode', /iam, scram, tls/],
    ['a typo', { clusterArn: CLUSTER_ARN, group: ['a'] }, 'group', /Did you mean "groups"/],
    ['bad trigger source', { clusterArn: CLUSTER_ARN, trigger: { source: 'pager' } }, 'trigger.source', /"console", "cli" or "alarm"/],
    ['not an object', ['a'], 'input', /JSON object/],
  ])('names the field for %s', (_, raw, field, message) => {
    const found = fieldOf(raw);
    expect(found.field).toBe(field);
    expect(found.message.startsWith(`${field}:`)).toBe(true);
    expect(found.message).toMatch(message);
  });

  it('refuses a cluster other than the one the stack serves', () => {
    const other = CLUSTER_ARN.replace('orders', 'payments');
    const found = fieldOf({ clusterArn: other }, { ...context, defaults: { clusterArn: CLUSTER_ARN, authMode: 'iam' } });
    expect(found.field).toBe('clusterArn');
    expect(found.message).toMatch(/this stack serves/);
  });

  it('refuses target names outside the stack\'s target group pattern, naming the field and a name that fits', () => {
    const guarded = { ...context, defaults: { authMode: 'iam' as const, targetGroupPattern: '*-recovered-*' } };
    const found = fieldOf({ clusterArn: CLUSTER_ARN, targetNames: { billing: 'billing-v2' } }, guarded);
    expect(found.field).toBe('targetNames.billing');
    expect(found.message).toMatch(/recovery:targetGroupPattern "\*-recovered-\*".*"billing-recovered-1"/);
    expect(validateExecutionInput({ clusterArn: CLUSTER_ARN, targetNames: { billing: 'billing-recovered-7' } }, guarded).targetNames).toEqual({ billing: 'billing-recovered-7' });
    const single = { ...context, defaults: { authMode: 'iam' as const, targetGroupPattern: 'billing-r?' } };
    expect(validateExecutionInput({ clusterArn: CLUSTER_ARN, targetNames: { billing: 'billing-r2' } }, single).targetNames).toEqual({ billing: 'billing-r2' });
    expect(fieldOf({ clusterArn: CLUSTER_ARN, targetNames: { billing: 'billing-r22' } }, single).field).toBe('targetNames.billing');
  });

  it('restores in place only when asked, and only groups the stack may write to', () => {
    expect(validateExecutionInput({ clusterArn: CLUSTER_ARN, groups: ['billing'] }, context).restoreInPlace).toBe(false);
    expect(validateExecutionInput({ clusterArn: CLUSTER_ARN, groups: ['billing'], restoreInPlace: true }, context).restoreInPlace).toBe(true);
    const guarded = { ...context, defaults: { authMode: 'iam' as const, targetGroupPattern: '*-recovered-*' } };
    const found = fieldOf({ clusterArn: CLUSTER_ARN, groups: ['billing'], restoreInPlace: true }, guarded);
    expect(found.field).toBe('restoreInPlace');
    expect(found.message).toMatch(/would write to "billing", outside .*recovery:targetGroupPattern "\*-recovered-\*"/);
    const open = { ...context, defaults: { authMode: 'iam' as const, targetGroupPattern: 'billing*' } };
    expect(validateExecutionInput({ clusterArn: CLUSTER_ARN, groups: ['billing'], restoreInPlace: true }, open).restoreInPlace).toBe(true);
    // Carried between steps as Diagnose wrote it.
    expect(parseRecoveryRequest({ ...validateExecutionInput({ clusterArn: CLUSTER_ARN, restoreInPlace: true }, context) }).restoreInPlace).toBe(true);
  });

  it('asks for an auth mode when the stack sets none', () => {
    expect(fieldOf({ clusterArn: CLUSTER_ARN }, { ...context, defaults: {} }).field).toBe('authMode');
  });
});

describe('parseRecoveryRequest', () => {
  it('accepts what validateExecutionInput produced and rejects a tampered copy', () => {
    const request = validateExecutionInput({ clusterArn: CLUSTER_ARN, groups: ['a'] }, context);
    expect(parseRecoveryRequest(JSON.parse(JSON.stringify(request)))).toEqual(request);
    expect(() => parseRecoveryRequest({ ...request, window: { since: 5, until: 1 } })).toThrow(/^request\.window:/);
    expect(() => parseRecoveryRequest({ ...request, groups: ['bad id'] })).toThrow(/^request\.groups\[0\]:/);
    expect(() => parseRecoveryRequest(undefined)).toThrow(/^request:/);
  });
});
