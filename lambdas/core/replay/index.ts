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
