import { describe, expect, it } from 'vitest';
import { invokeLikeLambda } from '../../../../local/stepfunctions/lambda-runtime.ts';
import { runDefinition, STATE_PAYLOAD_LIMIT_BYTES } from '../../../../local/stepfunctions/run-definition.ts';
import type { AslDefinition } from '../../../../local/stepfunctions/asl.ts';

const LAMBDA = 'arn:aws:states:::lambda:invoke';

/** A Task whose every error goes to `Caught`, as the runbook's steps go to their failure path. */
function caughtTask(): AslDefinition {
  return {
    StartAt: 'Step',
    States: {
      Step: {
        Type: 'Task',
        Resource: LAMBDA,
        Parameters: { FunctionName: 'step', 'Payload.$': '$' },
        OutputPath: '$.Payload',
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught', ResultPath: '$.error' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  } as unknown as AslDefinition;
}

describe('the local runner and Step Functions\' payload limit', () => {
  it('fails the run past every Catch when a Lambda returns more than 256 KiB (invokeLikeLambda defers to the runner)', async () => {
    const oversized = async (): Promise<unknown> => ({ rows: 'x'.repeat(STATE_PAYLOAD_LIMIT_BYTES) });
    const run = runDefinition(caughtTask(), {}, { tasks: { Step: (event) => invokeLikeLambda(oversized, event) } });
    const outcome = await run.done;
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(run.states).not.toContain('Caught');
    expect(run.payload.maxBytes).toBeGreaterThan(STATE_PAYLOAD_LIMIT_BYTES);
  });

  it('still lets a Catch handle what the handler itself throws', async () => {
    const failing = async (): Promise<unknown> => {
      const error = new Error('broker gone');
      error.name = 'RecoveryError.KAFKA_ERROR';
      throw error;
    };
    const run = runDefinition(caughtTask(), {}, { tasks: { Step: (event) => invokeLikeLambda(failing, event) } });
    expect(await run.done).toMatchObject({ status: 'SUCCEEDED' });
    expect(run.states).toContain('Caught');
  });

  // Each bulky value exists only inside a Map item or a Parallel branch, behind a Choice, and is dropped before
  // the state that contains it ends: only a runner that measures those transitions sees it.
  function hiddenBulk(bytes: number, where: 'map' | 'parallel'): AslDefinition {
    const inner = {
      StartAt: 'Route',
      States: {
        Route: { Type: 'Choice', Choices: [{ Variable: '$.bulky', BooleanEquals: true, Next: 'MakeBulk' }], Default: 'Small' },
        MakeBulk: { Type: 'Pass', Result: 'x'.repeat(bytes), ResultPath: '$.bulk', Next: 'DropBulk' },
        DropBulk: { Type: 'Pass', Parameters: { done: true }, End: true },
        Small: { Type: 'Pass', Parameters: { done: true }, End: true },
      },
    };
    const outer =
      where === 'map'
        ? { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...inner }, ResultPath: null, End: true }
        : { Type: 'Parallel', Branches: [inner, { StartAt: 'Other', States: { Other: { Type: 'Pass', End: true } } }], ResultPath: null, End: true };
    return { StartAt: 'Outer', States: { Outer: outer } } as unknown as AslDefinition;
  }

  for (const where of ['map', 'parallel'] as const) {
    it(`measures the transitions inside a ${where === 'map' ? 'Map item' : 'Parallel branch'} (maxBytes, and the limit)`, async () => {
      const input = where === 'map' ? { items: [{ bulky: false }, { bulky: true }] } : { bulky: true };
      const under = runDefinition(hiddenBulk(40 * 1024, where), input, { tasks: {} });
      expect(await under.done).toMatchObject({ status: 'SUCCEEDED' });
      expect(under.payload.maxBytes).toBeGreaterThan(40 * 1024);
      expect(['MakeBulk', 'DropBulk']).toContain(under.payload.state);

      const over = runDefinition(hiddenBulk(STATE_PAYLOAD_LIMIT_BYTES, where), input, { tasks: {} });
      expect(await over.done).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    });
  }
});
