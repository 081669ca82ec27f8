export { OffsetsLogReplay } from './replay.ts';
export { OffsetTable } from './offset-table.ts';
export type {
  GroupDeletion,
  GroupMetadataState,
  GroupRecordsSeen,
  PartitionOffset,
  PendingTransactionSummary,
  ReplayCounts,
  ReplayOptions,
  TopicOffsets,
  UnreadableRange,
  WinningOffset,
} from './types.ts';
export { mergeReplays } from './merge.ts';
export { REPLAY_CHECKPOINT_FORMAT, replayCheckpoint, restoreReplay } from './checkpoint.ts';
export type { CheckpointEvent, ReplayCheckpoint } from './checkpoint.ts';
export type { ReplayScope } from './replay.ts';
