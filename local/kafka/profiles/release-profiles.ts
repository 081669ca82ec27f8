/**
 * The Apache Kafka release the local cluster plays. Each profile is what the suite measured on
 * that release's real brokers (local/real-kafka): its ApiVersions answer, the OffsetCommitValue
 * version it writes, and what a shard whose load fails becomes.
 */
import { invalidInput } from '../../../lambdas/core/errors.ts';
import { RECORDED_API_VERSIONS } from './recorded-api-versions.ts';

export const KAFKA_RELEASES = ['3.9', '4.0', '4.1'] as const;
export type KafkaRelease = (typeof KAFKA_RELEASES)[number];
export const DEFAULT_KAFKA_RELEASE: KafkaRelease = '4.1';

export interface VersionRange {
  minVersion: number;
  maxVersion: number;
}

export interface ReleaseProfile {
  release: KafkaRelease;
  /** the real release whose ApiVersions answer the profile advertises */
  recordedFrom: string;
  /** 3.9: the classic GroupMetadataManager; 4.x: the coordinator runtime */
  coordinator: 'classic' | 'runtime';
  /**
   * What a failed load leaves: the classic coordinator logs "Error loading offsets" and serves
   * the partition with nothing loaded (its groups' offsets silently gone); the runtime keeps the
   * shard FAILED and answers NOT_COORDINATOR.
   */
  loadFailure: 'offsets-lost' | 'shard-failed';
  /** OffsetCommitValue version of a commit without a retention time (with one: v1, on every release) */
  plainOffsetCommitValueVersion: 3 | 4;
  /**
   * KIP-848 consumer groups: 4.0.2 persists subscribed topics as ConsumerGroupPartitionMetadata
   * records and has the KAFKA-19862 fix; 4.1.1 hashes them into the group epoch record and
   * does not. 3.9 (classic coordinator) answers ConsumerGroupHeartbeat UNSUPPORTED_VERSION.
   */
  consumerGroups: { subscriptionMetadata: 'hash' | 'record'; partitionEpochRules: 'strict' | 'lenient' } | null;
  /** apiKey -> the versions the release advertises */
  apiVersions: ReadonlyMap<number, VersionRange>;
}

const RECORDED_FROM: Record<KafkaRelease, string> = { '3.9': '3.9.2', '4.0': '4.0.2', '4.1': '4.1.1' };

function recordedRanges(release: string): ReadonlyMap<number, VersionRange> {
  const recorded = RECORDED_API_VERSIONS[release];
  if (!recorded) throw new Error(`no ApiVersions recorded for Apache Kafka ${release}; run npm run real-kafka -- record-api-versions`);
  return new Map(recorded.map(([apiKey, minVersion, maxVersion]) => [apiKey, { minVersion, maxVersion }]));
}

export function releaseProfile(release: string = DEFAULT_KAFKA_RELEASE, field = 'kafkaVersion'): ReleaseProfile {
  if (!(KAFKA_RELEASES as readonly string[]).includes(release)) {
    throw invalidInput(field, `unknown Kafka release "${release}"`, `Use one of ${KAFKA_RELEASES.join(', ')} (default ${DEFAULT_KAFKA_RELEASE}).`);
  }
  const r = release as KafkaRelease;
  return {
    release: r,
    recordedFrom: RECORDED_FROM[r],
    coordinator: r === '3.9' ? 'classic' : 'runtime',
    loadFailure: r === '3.9' ? 'offsets-lost' : 'shard-failed',
    plainOffsetCommitValueVersion: r === '4.1' ? 4 : 3,
    consumerGroups:
      r === '3.9' ? null : r === '4.0' ? { subscriptionMetadata: 'record', partitionEpochRules: 'lenient' } : { subscriptionMetadata: 'hash', partitionEpochRules: 'strict' },
    apiVersions: recordedRanges(RECORDED_FROM[r]),
  };
}
