/**
 * The rehearsal at scale (`npm run demo -- --yes --groups N --commits M --lambda-timeout S`):
 * hundreds of groups on one failed shard, every target group checked against what the load
 * committed (the ground truth), not against the runbook's own scan. The failed broker answers
 * each Fetch later than a scan's share of its Lambda, so every invocation reads one 8 MiB Fetch
 * of the shard and the scan must continue from its checkpoint whatever the machine's speed.
 */
import { describe, expect, it } from 'vitest';
import { runRehearsal } from '../../local/demo/rehearsal.ts';
import { RecordingReporter } from '../support/recording-reporter.ts';

const GROUPS = 300;
// About 12 MiB of commits: two Fetches of the shard at least.
const COMMITS = 150_000;
// A scan stops 3 s into its 6 s Lambda; each Fetch of the failed broker is answered after 3.5 s.
const LAMBDA_TIMEOUT_SECONDS = 6;
const SHARD_FETCH_DELAY_MS = 3500;

describe(`npm run demo -- --yes --groups ${GROUPS} --commits ${COMMITS} --lambda-timeout ${LAMBDA_TIMEOUT_SECONDS}, the failed broker slow`, () => {
  it('recovers every group of the failed shard, each target equal to what was committed, the shard read about once, every state small', async () => {
    const reporter = new RecordingReporter();
    const result = await runRehearsal(
      { assumeYes: true, json: true, keep: false, kafka: { kind: 'local' }, rehearsal: { groups: GROUPS, commits: COMMITS }, lambdaTimeoutSeconds: LAMBDA_TIMEOUT_SECONDS, shardFetchDelayMs: SHARD_FETCH_DELAY_MS },
      reporter,
    );
    expect(result.failure, JSON.stringify(result.failure)).toBeNull();
    expect(result).toMatchObject({ ok: true, outcome: 'RECOVERED', groups: GROUPS, groupsRecovered: GROUPS, groupsVerified: GROUPS, mismatches: [] });
    expect(result.shardBytes).toBeGreaterThan(8 * 2 ** 20);
    // More than one Fetch of the shard, one per invocation: the scan continued.
    expect(result.continuations).toBeGreaterThan(0);
    // One pass (a resume re-reads at most a fetch): Fetch served the shard's bytes at most 1.2 times.
    expect(result.shardBytesRead).toBeGreaterThanOrEqual(result.shardBytes);
    expect(result.shardBytesRead).toBeLessThanOrEqual(1.2 * result.shardBytes);
    // Every state, at every transition, measured by the runner: counts and keys only, far below Step Functions' 256 KiB.
    expect(result.maxStatePayloadBytes).toBeGreaterThan(0);
    expect(result.maxStatePayloadBytes).toBeLessThan(32 * 1024);
    expect(reporter.of('rehearsal-checked')[0]).toMatchObject({ groups: GROUPS, groupsVerified: GROUPS });
  }, 300_000);
});
