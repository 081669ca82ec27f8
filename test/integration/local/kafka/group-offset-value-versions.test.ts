import { afterEach, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { dumpOffsetsPartition, offsetsFromDump } from './coordinator-test-helpers.ts';
import { killChildren, runProcess } from './helpers.ts';

/** A cluster can imitate older brokers (value v1, with expireTimestamp) and 4.1+ brokers (flexible v4). */
describe.each([1, 4] as const)('offset commits written as OffsetCommitValue v%i', (valueVersion) => {
  let local: LocalCluster | undefined;

  afterEach(async () => {
    killChildren();
    await local?.stop();
  });

  it('a kcat group commits and the dump decodes at that version', async () => {
    local = await startLocalCluster({ brokers: 1, offsetsPartitions: 3, transactionPartitions: 1, offsetCommitValueVersion: valueVersion });
    const bootstrap = local.bootstrapServers.join(',');
    local.cluster.createTopic('ticks', { partitions: 2, replicationFactor: 1 });
    expect((await runProcess('kcat', ['-b', bootstrap, '-P', '-t', 'ticks', '-K', ':'], { timeoutMs: 20_000, input: 'a:1\nb:2\nc:3\nd:4\n' })).code).toBe(0);
    const group = `v${valueVersion}-readers`;
    expect((await runProcess('kcat', ['-b', bootstrap, '-G', group, '-o', 'beginning', '-e', 'ticks'], { timeoutMs: 40_000 })).code).toBe(0);

    const dump = await dumpOffsetsPartition(bootstrap, partitionForGroup(group, 3));
    const commits = dump.flatMap((r) => (r.decoded.kind === 'offset-commit' && !r.decoded.tombstone ? [r.decoded.value] : []));
    expect(commits.length).toBeGreaterThan(0);
    for (const value of commits) {
      expect(value.valueVersion).toBe(valueVersion);
      if (valueVersion === 1) expect(value.expireTimestamp).toBeGreaterThan(value.commitTimestamp);
      else expect(value.expireTimestamp).toBe(-1n);
    }
    const ends = Object.fromEntries(local.cluster.topic('ticks')!.partitions.map((p) => [`ticks-${p.partition}`, String(p.log.logEndOffset)]));
    expect(offsetsFromDump(dump, group)).toEqual(ends);
  });
});
