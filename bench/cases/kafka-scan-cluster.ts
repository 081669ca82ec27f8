/**
 * The cluster side of the `kafka-scan` case, run as its own process so that its CPU time is
 * counted apart from the scanner's. Starts the local cluster, bulk-loads the benchmark's
 * synthetic segment (`--passes N` times) into the `__consumer_offsets` partition of the measured group, prints one
 * JSON line describing what it holds, and stops when its stdin closes.
 */
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import { startLocalCluster } from '../../local/kafka/index.ts';
import { buildOffsetsSegment, DEFAULT_SHAPE } from '../offsets-workload.ts';

const OFFSETS_PARTITIONS = 50;

export interface LoadedCluster {
  bootstrap: string[];
  group: string;
  partition: number;
  records: number;
  bytes: number;
  pid: number;
}

async function main(): Promise<void> {
  const local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, coordinator: false });
  const segment = buildOffsetsSegment(DEFAULT_SHAPE);
  // The same pick as the in-memory `one-group` case.
  const group = segment.groups[Math.floor(segment.groups.length / 3)]!;
  const partition = partitionForGroup(group, OFFSETS_PARTITIONS);
  const log = local.cluster.requirePartition('__consumer_offsets', partition).log;
  // `--passes N`: the segment N times over (the log assigns the offsets), for longer logs.
  const passesAt = process.argv.indexOf('--passes');
  const passes = passesAt >= 0 ? Number(process.argv[passesAt + 1]) : 1;
  let records = 0;
  // Whole fetch-sized frame runs appended as a broker appends produced data (append time applied).
  for (let pass = 0; pass < passes; pass++) {
    for (const fetch of segment.fetches) records += log.append(fetch, { timestampType: 'LogAppendTime' }).recordCount;
  }
  const loaded: LoadedCluster = { bootstrap: local.bootstrapServers, group, partition, records, bytes: log.sizeInBytes, pid: process.pid };
  process.stdout.write(`${JSON.stringify(loaded)}\n`);
  process.stdin.resume();
  process.stdin.once('end', () => {
    void local.stop().then(() => process.exit(0));
  });
}

// Imported by the parent only for its types; run as a script it serves.
if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) await main();
