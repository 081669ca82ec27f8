/**
 * The rehearsal at scale (`npm run demo -- --yes --groups N --commits M --lambda-timeout S`):
 * hundreds of groups on one failed shard, every Lambda stopped at a few seconds so the shard
 * scan must continue from checkpoints, and every target group checked against what the load
 * committed (the ground truth), not against the runbook's own scan.
 */
import { describe, expect, it } from 'vitest';
import type { DemoEvent, DemoReporter } from '../../local/demo/events.ts';
import { runRehearsal } from '../../local/demo/rehearsal.ts';

const GROUPS = 300;
const COMMITS = 400_000;
const LAMBDA_TIMEOUT_SECONDS = 6;

class Recorder implements DemoReporter {
  readonly events: DemoEvent[] = [];
  event(event: DemoEvent): void {
    this.events.push(event);
  }
  async confirm(): Promise<never> {
    throw new Error('--yes never asks');
  }
}

describe('npm run demo -- --yes --groups 300 --commits 400000 --lambda-timeout 6', () => {
  it('recovers every group of the failed shard, each target equal to what was committed, the shard read about once', async () => {
    const reporter = new Recorder();
    const result = await runRehearsal(
      { assumeYes: true, json: true, keep: false, kafka: { kind: 'local' }, rehearsal: { groups: GROUPS, commits: COMMITS }, lambdaTimeoutSeconds: LAMBDA_TIMEOUT_SECONDS },
      reporter,
    );
    expect(result.failure, JSON.stringify(result.failure)).toBeNull();
    expect(result).toMatchObject({ ok: true, outcome: 'RECOVERED', groups: GROUPS, groupsRecovered: GROUPS, groupsVerified: GROUPS, mismatches: [] });
    // The 6 s Lambdas could not scan the shard in one go.
    expect(result.continuations).toBeGreaterThan(0);
    // One pass (a resume re-reads at most a fetch): Fetch served the shard's bytes at most 1.2 times.
    expect(result.shardBytes).toBeGreaterThan(30 * 2 ** 20);
    expect(result.shardBytesRead).toBeGreaterThanOrEqual(result.shardBytes);
    expect(result.shardBytesRead).toBeLessThanOrEqual(1.2 * result.shardBytes);
    // Under Step Functions' limit at every transition (the runner fails the run above it).
    expect(result.maxStatePayloadBytes).toBeGreaterThan(0);
    expect(result.maxStatePayloadBytes).toBeLessThan(262_144);
    expect(reporter.events.find((e) => e.type === 'rehearsal-checked')).toMatchObject({ groups: GROUPS, groupsVerified: GROUPS });
  }, 300_000);
});
