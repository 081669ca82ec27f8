export { affectedPartitions, coordinatorFor, offsetsPartitionFor, offsetsPartitionForCount } from './coordinator.ts';
export { affectedGroups, readCommittedOffsets } from './recovery.ts';
export { checkCompleteness } from './completeness.ts';
export type { RecoveryScanOptions } from './replay-scan.ts';
