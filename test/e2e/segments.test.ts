/**
 * A big failed shard through the synthesized state machine on the local runner: PlanSegments
 * splits it (recovery:segmentBytes), the ScanSegments Distributed Map scans each segment in its
 * own child execution, every segment stops at its Lambda's deadline and continues from its
 * checkpoint, MergeSegments merges them; each group's stored offsets equal one direct pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOffsetsSegment } from '../../bench/offsets-workload.ts';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import type { GroupOffsetsResult } from '../../lambdas/core/model.ts';
import { scanShard, type ShardScan } from '../../lambdas/core/operations/index.ts';
import type { BlastRadiusOutput, ShardSegmentsPlan } from '../../lambdas/core/workflow/documents.ts';
import { createKafkaPort } from '../../lambdas/kafka/index.ts';
import { STATE } from '../../lib/recovery-state-machine.ts';
import { startAwsStandins, type AwsStandins } from '../../local/aws/index.ts';
import { OFFSETS_PARTITIONS, CLUSTER_NAME } from '../../local/incident/environment.ts';
import { startLocalCluster, type LocalCluster } from '../../local/kafka/index.ts';
import { ApiKey } from '../../local/kafka/protocol/api-keys.ts';
import { createLocalRunbook, type LocalExecution, type LocalRunbook } from '../../local/stepfunctions/index.ts';
import { waitFor } from '../support/wait.ts';
import { storedDocument } from './incident.ts';

// About 28 MiB of commits: three segments of about 9.3 MiB, each more than one 8 MiB Fetch.
const SEGMENT_BYTES = 10 * 1024 * 1024;
// Every Lambda gets 6 s, so a scan stops 3 s in; each shard Fetch is answered after 3.5 s.
const LAMBDA_TIMEOUT_SECONDS = 6;
const FETCH_DELAY_MS = 3500;

let local: LocalCluster;
let aws: AwsStandins;
let runbook: LocalRunbook;
let partition: number;
let groups: string[];

beforeAll(async () => {
  local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 3 });
  aws = await startAwsStandins({ cluster: local, clusterName: CLUSTER_NAME });
  runbook = await createLocalRunbook({ aws, config: { segmentBytes: SEGMENT_BYTES }, lambdaTimeoutSeconds: LAMBDA_TIMEOUT_SECONDS });
  const workload = buildOffsetsSegment({ groups: 4, topicsPerGroup: 2, partitionsPerTopic: 8, records: 280_000, minBatchRecords: 100, maxBatchRecords: 400, fetchBytes: 1024 * 1024, groupMetadataEvery: 1000 });
  groups = workload.groups;
  partition = partitionForGroup(groups[0]!, OFFSETS_PARTITIONS);
  const log = local.cluster.requirePartition('__consumer_offsets', partition).log;
  for (const fetch of workload.fetches) log.append(fetch, { timestampType: 'LogAppendTime' });
}, 120_000);

afterAll(async () => {
  await runbook?.close();
  await aws?.stop();
  await local?.stop();
});

/** The shard as one direct pass reads it, through the operator's port. */
async function singlePass(): Promise<ShardScan> {
  const port = createKafkaPort({ brokers: local.bootstrapServers, clientId: 'single-pass' });
  try {
    const outcome = await scanShard(port, { partition, window: { since: Date.now() - 60 * 60_000 } });
    if (outcome.status !== 'done') throw new Error('the single pass did not finish');
    return outcome.shard;
  } finally {
    await port.close();
  }
}

function outputOf<T>(execution: LocalExecution, state: string): T[] {
  return execution.invocations.filter((i) => i.state === state && i.output !== undefined).map((i) => i.output as T);
}

describe('a big failed shard, scanned by the Distributed Map in segments', () => {
  it('splits it into 3 segments, continues each past its deadline, and merges exactly what one pass reads', async () => {
    await local.faults.failCoordinator(partition);
    // What the run will read: the log as it is once the shard has failed.
    const expected = await singlePass();
    const slow = local.faults.slowResponses({ apiKey: ApiKey.Fetch, delayMs: FETCH_DELAY_MS });
    const execution = runbook.start({ lookbackMinutes: 60 }, { name: 'segmented-run' });
    try {
      await waitFor('the shard to be merged', () => outputOf(execution, STATE.mergeSegments).length > 0 || execution.invocations.some((i) => i.error !== undefined) || undefined, 150_000);
    } finally {
      local.faults.clearNetworkFault(slow.id);
      // Nothing after the merge matters here (the workload's topics do not exist): stop the run.
      execution.abort();
      await execution.done;
    }
    const failures = execution.invocations.filter((i) => i.error !== undefined).map((i) => `${i.state}: ${i.error!.name}: ${i.error!.cause}`);
    expect(failures).toEqual([]);

    const [plan] = outputOf<ShardSegmentsPlan>(execution, STATE.planSegments);
    expect(plan).toMatchObject({ partition, segments: 3 });
    const scans = execution.invocations.filter((i) => i.state === STATE.blastRadiusShard);
    const continued = scans.filter((i) => (i.output as { status?: string } | undefined)?.status === 'CONTINUE');
    // Every segment met its deadline at least once and went on from its checkpoint.
    expect(new Set(continued.map((i) => (i.output as { segment: { index: number } }).segment.index))).toEqual(new Set([0, 1, 2]));
    expect(scans.filter((i) => (i.output as { status?: string } | undefined)?.status === 'SEGMENT_DONE')).toHaveLength(3);

    const [merged] = outputOf<BlastRadiusOutput>(execution, STATE.mergeSegments);
    // Counts in the state; the groups themselves are in the shard's stored scan result.
    expect(merged).toMatchObject({ status: 'DONE', partition, segments: 3, affectedGroupCount: expected.groups().length });
    const detail = (merged!.detail as { artifact: { bucket: string; key: string } }).artifact;
    expect(storedDocument<{ groups: { groupId: string }[] }>(aws, detail).groups.map((g) => g.groupId)).toEqual(expected.groups());
    expect(merged!.continuations).toBe(continued.length);
    // Each record of the window counts once; the bytes read from the broker include the batches
    // across the segment borders, which both neighbouring segments fetch.
    expect(merged!.records).toBe(expected.scan.records);
    expect(merged!.bytesRead).toBeGreaterThanOrEqual(expected.scan.bytes);
    expect(merged!.bytesRead).toBeLessThanOrEqual(expected.scan.bytes * 1.2);

    for (const group of groups) {
      const stored = storedDocument<GroupOffsetsResult>(aws, { bucket: runbook.artifactsBucket, key: `${merged!.groupResults}${encodeURIComponent(group)}.json` });
      expect(stored.offsets, group).toEqual(expected.groupOffsets(group).offsets);
      expect(stored.groupMetadata, group).toEqual(expected.groupOffsets(group).groupMetadata);
    }
  }, 240_000);
});
