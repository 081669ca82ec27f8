import { describe, expect, it } from 'vitest';
import { offsetCommitValueVersionFor } from '../../../../../local/kafka/coordinator/record-codec.ts';
import { releaseProfile } from '../../../../../local/kafka/profiles/release-profiles.ts';
import { ApiRegistry } from '../../../../../local/kafka/server/registry.ts';

const handler = (minVersion: number, maxVersion: number) => ({ minVersion, maxVersion, handle: () => ({}) });

describe('release profiles of the local cluster', () => {
  it('serves each API at the overlap of its handler and the release, and not at all when the release lacks it', () => {
    const registry = new ApiRegistry(new Map([[8, { minVersion: 2, maxVersion: 9 }], [15, { minVersion: 0, maxVersion: 5 }]]));
    registry.registerApi(8, handler(0, 8)); // OffsetCommit: the release dropped v0-1
    registry.registerApi(15, handler(0, 6)); // DescribeGroups: the release stops at v5
    registry.registerApi(68, handler(0, 1)); // ConsumerGroupHeartbeat: not in the release
    expect(registry.list().map((a) => [a.apiKey, a.minVersion, a.maxVersion])).toEqual([
      [8, 2, 8],
      [15, 0, 5],
    ]);
  });

  it('tells the releases apart: coordinator generation, load failure, plain commit value version', () => {
    expect([releaseProfile('3.9'), releaseProfile('4.0'), releaseProfile('4.1')].map((p) => [p.coordinator, p.loadFailure, p.plainOffsetCommitValueVersion, p.recordedFrom])).toEqual([
      ['classic', 'offsets-lost', 3, '3.9.2'],
      ['runtime', 'shard-failed', 3, '4.0.2'],
      ['runtime', 'shard-failed', 4, '4.1.1'],
    ]);
    expect(releaseProfile().release).toBe('4.1');
    // 4.0 advertises OffsetCommit from v2 (KIP-896 removed v0-1); 3.9 still from v0.
    expect(releaseProfile('4.0').apiVersions.get(8)?.minVersion).toBe(2);
    expect(releaseProfile('3.9').apiVersions.get(8)?.minVersion).toBe(0);
  });

  it('writes v1 whenever a commit carries an expire timestamp, else the release\'s plain version', () => {
    expect(offsetCommitValueVersionFor({ plain: 4 }, -1n)).toBe(4);
    expect(offsetCommitValueVersionFor({ plain: 3 }, -1n)).toBe(3);
    expect(offsetCommitValueVersionFor({ plain: 4 }, 1_700_000_000_000n)).toBe(1);
    expect(offsetCommitValueVersionFor(3, 1_700_000_000_000n)).toBe(3);
  });

  it('refuses an unknown release naming the option and the choices', () => {
    expect(() => releaseProfile('3.8')).toThrow(/kafkaVersion: unknown Kafka release "3\.8"\. Use one of 3\.9, 4\.0, 4\.1/);
  });
});
