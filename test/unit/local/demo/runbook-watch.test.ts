import { describe, expect, it } from 'vitest';
import type { AwsStandins } from '../../../../local/aws/index.ts';
import { RunbookWatch } from '../../../../local/demo/runbook-watch.ts';
import type { DemoEvent } from '../../../../local/demo/events.ts';
import type { LocalExecution, TaskInvocation } from '../../../../local/stepfunctions/index.ts';

describe('RunbookWatch', () => {
  it("prints each task's output under its own state even when one poll sees several states finish", () => {
    const invocations: TaskInvocation[] = [
      {
        state: 'SeedOffsets',
        handler: 'seed-offsets',
        input: {},
        output: { groups: [{ targetGroup: 'orders-recovered-1', status: 'SEEDED', committed: 6, errors: [] }] },
      },
      {
        state: 'Verify',
        handler: 'verify',
        input: {},
        output: { groups: [{ targetGroup: 'orders-recovered-1', ok: true, matched: 6, mismatches: [] }] },
      },
    ];
    const execution = { states: ['SeedOffsets', 'Verify', 'Report'], invocations } as unknown as LocalExecution;
    const events: DemoEvent[] = [];
    new RunbookWatch(execution, {} as AwsStandins, (event) => events.push(event)).flush();

    const story = events.map((e) => (e.type === 'runbook-state' ? `state ${e.state}` : e.type));
    expect(story).toEqual(['state SeedOffsets', 'seeded', 'state Verify', 'verified', 'state Report']);
  });
});
