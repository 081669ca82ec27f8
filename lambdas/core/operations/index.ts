export { affectedPartitions, coordinatorFor, offsetsPartitionFor, offsetsPartitionForCount } from './coordinator.ts';
export { affectedGroups, readCommittedOffsets } from './recovery.ts';
export { checkCompleteness } from './completeness.ts';
export type { RecoveryScanOptions } from './replay-scan.ts';
export { checkGroupCoordinator, confirmGroupCoordinator, isProbeGroup, probeGroupFor, probeShards } from './shard-probe.ts';
export type { RecheckOptions, ShardProbeOptions } from './shard-probe.ts';
export { describeGroupOrAbsent } from './group-calls.ts';
