export { affectedPartitions, coordinatorFor, offsetsPartitionFor, offsetsPartitionForCount } from './coordinator.ts';
export { affectedGroups, readCommittedOffsets, shardGroupOffsets } from './recovery.ts';
export { checkCompleteness } from './completeness.ts';
export type { RecoveryScanOptions } from './replay-scan.ts';
export { checkGroupCoordinator, confirmGroupCoordinator, isProbeGroup, probeGroupFor, probeShards } from './shard-probe.ts';
export type { RecheckOptions, ShardProbeOptions } from './shard-probe.ts';
export { describeGroupOrAbsent } from './group-calls.ts';
export {
  mergeShardScans,
  planShardSegments,
  requireCheckpointFor,
  scanShard,
  scanShardInSegments,
  shardCheckpoint,
  shardFromCheckpoint,
  mergedShardFromCheckpoint,
  ShardScan,
  SHARD_SCAN_FETCH_BYTES,
} from './shard-scan.ts';
export { bytesPerOffset, MAX_SEGMENTS_PER_SHARD, planShardSegmentsBySize } from './segment-sizing.ts';
export type { SizedSegmentPlan } from './segment-sizing.ts';
export type { ShardResultSink, ShardScanOptions, ShardScanOutcome, ShardScanRequest } from './shard-scan.ts';
