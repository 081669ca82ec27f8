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
        output: { fullResult: { bucket: 'artifacts', key: 'seed-result.json' } },
      },
      {
        state: 'Verify',
        handler: 'verify',
        input: {},
        output: { fullResult: { bucket: 'artifacts', key: 'verify-result.json' } },
      },
    ];
    const execution = { states: ['SeedOffsets', 'Verify', 'Report'], invocations } as unknown as LocalExecution;
    // The step outputs carry counts; the per-group results are the documents they point at.
    const stored: Record<string, unknown> = {
      'artifacts/seed-result.json': { planSha256: 'a'.repeat(64), ok: true, groups: [{ targetGroup: 'orders-recovered-1', status: 'SEEDED', committed: 6, errors: [] }] },
      'artifacts/verify-result.json': { ok: true, groups: [{ targetGroup: 'orders-recovered-1', ok: true, matched: 6, mismatches: [] }] },
    };
    const aws = { s3: { readText: (bucket: string, key: string) => JSON.stringify(stored[`${bucket}/${key}`]) } } as unknown as AwsStandins;
    const events: DemoEvent[] = [];
    new RunbookWatch(execution, aws, (event) => events.push(event)).flush();

    const story = events.map((e) => (e.type === 'runbook-state' ? `state ${e.state}` : e.type));
    expect(story).toEqual(['state SeedOffsets', 'seeded', 'state Verify', 'verified', 'state Report']);
  });
});
