/**
 * Differential conformance of the group behaviours beyond the first scenario
 * (conformance-group-scenarios.ts): retention-time commits and their expiry, DeleteGroups,
 * OffsetDelete, transactional offsets, clients' error codes and the coordinator's log lines, on
 * the real release and on the local cluster's matching profile side by side. One broker per
 * side, every scenario on it, then a restart of each for the load lines.
 */
import { expect, it } from 'vitest';
import { startLocalCluster } from '../../../../local/kafka/index.ts';
import { installCoordinator } from '../../../../local/kafka/coordinator/index.ts';
import { startRealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import { killChildren } from '../kafka/helpers.ts';
import { AUDIT, GROUPS, ORDERS, playGroupScenarios, type GroupTranscript } from './conformance-group-scenarios.ts';
import { describeRealKafka } from './support.ts';

const OFFSETS_PARTITIONS = 12;
const CHECK_INTERVAL_MS = 1_000;

/** A real broker's line without its time and level header and its logger suffix. */
function realMessage(line: string, logger: string | null): string {
  const body = line.replace(/^\[[^\]]+\] \w+ /, '');
  return logger === null ? body : body.slice(0, body.length - ` (${logger})`.length);
}

/** The suite for one release against the local profile that plays it (one file per release keeps each under a minute). */
export function groupConformanceSuite(profile: '3.9' | '4.0' | '4.1', release: string): void {
  describeRealKafka(release, `group behaviours of the local cluster's ${profile} profile against the real release`, () => {
    it('answers, writes and logs as the release does', async () => {
      const playLocal = async (): Promise<GroupTranscript> => {
        const local = await startLocalCluster({
          brokers: 1,
          offsetsPartitions: OFFSETS_PARTITIONS,
          transactionPartitions: 1,
          kafkaVersion: profile,
          coordinator: (env) => installCoordinator(env, { retentionCheckIntervalMs: CHECK_INTERVAL_MS }),
        });
        try {
          const restart = async (): Promise<void> => {
            await local.faults.stopBroker(1);
            await local.faults.startBroker(1);
          };
          return await playGroupScenarios({ bootstrap: local.bootstrapServers, logLines: () => local.logs.lines().map((l) => ({ logger: l.logger, message: l.message })), restart }, OFFSETS_PARTITIONS);
        } finally {
          await local.stop();
        }
      };
      const playReal = async (): Promise<GroupTranscript> => {
        const real = await startRealKafka({ version: release, brokers: 1, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 1, overrides: { 'offsets.retention.check.interval.ms': CHECK_INTERVAL_MS } });
        try {
          const restart = async (): Promise<void> => {
            await real.killBroker(1);
            await real.startBroker(1);
          };
          return await playGroupScenarios({ bootstrap: real.bootstrapServers, logLines: () => real.logEntries().map((e) => ({ logger: e.logger ?? '', message: realMessage(e.line, e.logger) })), restart }, OFFSETS_PARTITIONS);
        } finally {
          await real.stop();
        }
      };
      try {
        const [local, real] = await Promise.all([playLocal(), playReal()]);
        expect(local.answers).toEqual(real.answers);
        expect(local.batches).toEqual(real.batches);
        expect(local.logLines).toEqual(real.logLines);
        expect(local.loadLines).toEqual(real.loadLines);
        // The scenario did reach what it is about (both sides agreeing on nothing would prove nothing).
        expect(real.batches[GROUPS.retained]![0]).toMatchObject({ record: { valueVersion: 1, expires: true } });
        expect(real.answers).toMatchObject({
          deleteGroups: [`${GROUPS.busy}:NON_EMPTY_GROUP`, `${GROUPS.deletable}:NONE`, `${GROUPS.unknown}:GROUP_ID_NOT_FOUND`],
          offsetDeleteBusy: { errorCode: 'NONE', partitions: [`${ORDERS}-0:GROUP_SUBSCRIBED_TO_TOPIC`, `${AUDIT}-0:NONE`] },
          txPendingStable: { partitions: [`${ORDERS}-0:-1:UNSTABLE_OFFSET_COMMIT`] },
          txAborted: { partitions: [`${ORDERS}-0:2:NONE`] },
          expired: { expired: true, beforeRetention: false },
        });
        expect(real.batches[GROUPS.transactional]).toMatchObject([{ transactional: 1 }, { marker: 'COMMIT', producer: 1 }, { transactional: 1 }, { marker: 'ABORT', producer: 1 }]);
        expect(real.logLines[GROUPS.busy]!.some((l) => l.message.includes('has left group'))).toBe(true);
        expect(real.loadLines.some((l) => l.message.includes('Finished loading'))).toBe(true);
      } finally {
        killChildren();
      }
    }, 180_000);
  });
}
