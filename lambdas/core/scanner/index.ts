export { scanOffsetsPartition } from './scan.ts';
export type { ScanOptions, ScanSink } from './scan.ts';
export type { ProgressListener, ScanProgress } from './progress.ts';
export { DEFAULT_RETRY } from './retry.ts';
export type { RetryPolicy } from './retry.ts';
export { describeOffsetsTopic, requireOffsetsPartition } from './offsets-topic.ts';
export { resolveScanWindow } from './start.ts';
export type { ScanRange } from './start.ts';
export type { OffsetsTopic } from './offsets-topic.ts';
