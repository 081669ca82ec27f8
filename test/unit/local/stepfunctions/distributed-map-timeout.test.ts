import { afterEach, describe, expect, it, vi } from 'vitest';
import { runDefinition, type AslDefinition } from '../../../../local/stepfunctions/index.ts';

// A Distributed Map has no time limit of its own: its segments may run for hours.
function slowMap(): AslDefinition {
  return {
    StartAt: 'Segments',
    States: {
      Segments: {
        Type: 'Map',
        ItemsPath: '$.items',
        MaxConcurrency: 1,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Work',
          States: { Work: { Type: 'Task', Resource: 'arn:aws:states:::local:work', TimeoutSeconds: 900, End: true } },
        },
        ResultPath: '$.map',
        End: true,
      },
    },
  } as unknown as AslDefinition;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the local runner\'s Distributed Map', () => {
  it('waits for children that together take longer than a minute (no 60 s task timeout)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const work = (event: unknown): Promise<unknown> => new Promise((resolve) => setTimeout(() => resolve({ done: event }), 50_000));
    const execution = runDefinition(slowMap(), { items: [1, 2] }, {
      tasks: { Work: work },
      context: { Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:Runbook:e1', Name: 'e1' }, StateMachine: { Id: 'arn:aws:states:eu-west-1:123456789012:stateMachine:Runbook', Name: 'Runbook' } },
    });
    // One child at a time: the map runs 100 s.
    await vi.advanceTimersByTimeAsync(130_000);
    const outcome = await execution.done;
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { items: [1, 2], map: [{ done: 1 }, { done: 2 }] } });
  });
});
