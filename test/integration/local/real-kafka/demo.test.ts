/**
 * `npm run demo -- --kafka real`: the demo's story played on three real Apache Kafka brokers
 * (the newest 4.x): the shard FAILED by an unreplayable record and a leader move, the
 * synthesized runbook recovering the group from Kafka's own log line, and the consumers on the
 * new group resuming with nothing lost or replayed.
 */
import { expect, it } from 'vitest';
import { parseDemoArgs, type DemoOptions } from '../../../../local/demo/options.ts';
import { GROUP, runDemo } from '../../../../local/demo/scenario.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { RecordingReporter } from '../../../support/recording-reporter.ts';
import { describeRealKafka } from './support.ts';

describeRealKafka(REAL_KAFKA_RELEASES.newest, 'npm run demo -- --kafka real', () => {
  it('plays the incident on real brokers and the target group resumes exactly', async () => {
    const parsed = parseDemoArgs(['--yes', '--kafka', 'real']);
    if (parsed.help) throw new Error('unexpected --help');
    const options: DemoOptions = parsed.options;
    expect(options.kafka).toEqual({ kind: 'real', version: REAL_KAFKA_RELEASES.newest });
    const reporter = new RecordingReporter();
    const result = await runDemo(options, reporter);

    expect(reporter.of('environment')[0]!.kafka).toBe(`Apache Kafka ${REAL_KAFKA_RELEASES.newest}, real brokers`);
    // Kafka's own line, served by the CloudWatch Logs stand-in, names the shard that failed.
    const logged = reporter.of('broker-log')[0]!.events.map((e) => e.message);
    expect(logged).toContainEqual(expect.stringMatching(new RegExp(`Failed to load metadata from __consumer_offsets-${result.failedShard} with epoch \\d+ due to Deserializing record`)));
    const stuck = reporter.of('stuck-consumer')[0]!;
    expect(stuck.assigned).toBe(false);
    expect(stuck.offsetFetchError).toBe('NOT_COORDINATOR');
    expect(result).toMatchObject({ ok: true, outcome: 'RECOVERED', group: GROUP, verdict: 'COORDINATOR_FAILED', failedShards: [result.failedShard], seeded: true, verified: true, reportOutcome: 'RECOVERED' });
    expect(result.targetBroker).not.toBe(result.failedBroker);
    expect(result.resume).toMatchObject({ ok: true, lost: 0, replayed: 0, duplicated: 0 });
  }, 240_000);
});
