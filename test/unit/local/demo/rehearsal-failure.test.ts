import { describe, expect, it } from 'vitest';
import { failedStateOf } from '../../../../local/demo/rehearsal.ts';
import type { TaskInvocation } from '../../../../local/stepfunctions/index.ts';

const notice = (state: string): TaskInvocation => ({ state: 'NotifyFailure', handler: 'notify-failure', input: { executionArn: 'arn', state, error: { Error: 'States.Timeout' } }, output: { notified: true } });

describe('the rehearsal names the state a failed run stopped in', () => {
  it('the Lambda task that failed', () => {
    const invocations: TaskInvocation[] = [
      { state: 'Diagnose', handler: 'diagnose', input: {}, output: {} },
      { state: 'MergeSegments', handler: 'blast-radius', input: {}, error: { name: 'Sandbox.Timedout', cause: 'Task timed out after 6.00 seconds' } },
      notice('BlastRadius'),
    ];
    expect(failedStateOf(invocations)).toBe('MergeSegments');
  });

  it('the step the failure path was told of when no Lambda failed (a Map\'s own States.Timeout)', () => {
    expect(failedStateOf([{ state: 'Diagnose', handler: 'diagnose', input: {}, output: {} }, notice('BlastRadius')])).toBe('BlastRadius');
  });

  it('none when nothing says', () => {
    expect(failedStateOf([{ state: 'Diagnose', handler: 'diagnose', input: {}, output: {} }])).toBeNull();
  });
});
