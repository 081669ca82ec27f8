/**
 * Differential conformance: the same scenario (kcat produces and consumes in a group, kafkajs
 * seeds a group, kafka-python commits with metadata, DescribeGroups and OffsetFetch of known and
 * unknown groups) on a real Apache Kafka 4.x release and on the local cluster's matching
 * profile. The records in `__consumer_offsets` (key, value version and fields, modulo times and
 * member ids), the ApiVersions answer and the clients' answers must agree. 3.9 is compared in
 * incident-offsets-lost.test.ts, on the broker that suite starts anyway.
 */
import { expect, it } from 'vitest';
import { startLocalCluster } from '../../../../local/kafka/index.ts';
import { startRealKafka } from '../../../../local/real-kafka/real-kafka.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { killChildren } from '../kafka/helpers.ts';
import { expectSameBehaviour } from './conformance-assertions.ts';
import { playScenario, SCENARIO_TOPIC, KCAT_GROUP, type ScenarioTranscript } from './conformance-scenario.ts';
import { describeRealKafka } from './support.ts';

const OFFSETS_PARTITIONS = 12;

const CASES = [
  { profile: '4.0', release: REAL_KAFKA_RELEASES.runtime40, plainValueVersion: 3 },
  { profile: '4.1', release: REAL_KAFKA_RELEASES.vulnerable41, plainValueVersion: 4 },
] as const;

for (const { profile, release, plainValueVersion } of CASES) {
  describeRealKafka(release, `the local cluster's ${profile} profile against the real release`, () => {
    it('writes the same __consumer_offsets records and gives clients the same answers', async () => {
      const playLocal = async (): Promise<ScenarioTranscript> => {
        const local = await startLocalCluster({ brokers: 1, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 1, kafkaVersion: profile });
        try {
          return await playScenario(local.bootstrapServers, OFFSETS_PARTITIONS);
        } finally {
          await local.stop();
        }
      };
      const playReal = async (): Promise<ScenarioTranscript> => {
        const real = await startRealKafka({ version: release, brokers: 1, offsetsPartitions: OFFSETS_PARTITIONS });
        try {
          return await playScenario(real.bootstrapServers, OFFSETS_PARTITIONS);
        } finally {
          await real.stop();
        }
      };
      try {
        const [local, real] = await Promise.all([playLocal(), playReal()]);
        expectSameBehaviour(local, real, release);
        // The release's plain commit version, and (4.x) the empty GroupMetadata a JoinGroup writes first.
        expect(real.records[KCAT_GROUP]).toContainEqual(expect.objectContaining({ kind: 'offset-commit', topic: SCENARIO_TOPIC, valueVersion: plainValueVersion }));
        expect(real.records[KCAT_GROUP]![0]).toMatchObject({ kind: 'group-metadata', protocolType: '', generation: 0, members: [] });
      } finally {
        killChildren();
      }
    }, 180_000);
  });
}
