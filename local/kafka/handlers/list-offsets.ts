import { ErrorCode } from '../protocol/error-codes.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { ProtocolValue } from '../server/registry.ts';
import type { DataPlaneApi } from './services.ts';
import type { RequestContext } from '../server/context.ts';
import { leaderEpochError, leaderPartition, toNumber } from './common.ts';
import type { PartitionLog } from '../log/partition-log.ts';

const EARLIEST = -2;
const LATEST = -1;
const MAX_TIMESTAMP = -3;

/**
 * ListOffsets v1-7: earliest (-2) = log start, latest (-1) = high watermark (read_committed:
 * the last stable offset), max timestamp (-3), or the first offset whose timestamp is >= the
 * one asked for; when no record is that recent, offset and timestamp are -1 (as Kafka answers).
 */
export const listOffsetsApi: DataPlaneApi = {
  apiKey: ApiKey.ListOffsets,
  minVersion: 1,
  maxVersion: 7,
  handle(ctx: RequestContext, request: ProtocolValue) {
    const readCommitted = request['isolationLevel'] === 1;
    const topics = request['topics'] as Array<{ name: string; partitions: Array<{ partitionIndex: number; timestamp: bigint; currentLeaderEpoch?: number }> }>;
    return {
      throttleTimeMs: 0,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const state = leaderPartition(ctx.cluster, ctx.brokerId, t.name, p.partitionIndex);
          if (typeof state === 'number') {
            return { partitionIndex: p.partitionIndex, errorCode: state, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
          }
          const fenced = leaderEpochError(state, p.currentLeaderEpoch);
          if (fenced !== ErrorCode.NONE) return { partitionIndex: p.partitionIndex, errorCode: fenced, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
          const found = lookup(state.log, toNumber(p.timestamp), readCommitted);
          return {
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.NONE,
            timestamp: BigInt(found.timestamp),
            offset: BigInt(found.offset),
            leaderEpoch: found.offset >= 0 ? state.leaderEpoch : -1,
          };
        }),
      })),
    };
  },
};

export function lookup(log: PartitionLog, timestamp: number, readCommitted: boolean): { offset: number; timestamp: number } {
  const fetchable = readCommitted ? log.lastStableOffset : log.highWatermark;
  if (timestamp === EARLIEST) return { offset: log.logStartOffset, timestamp: -1 };
  if (timestamp === LATEST) return { offset: fetchable, timestamp: -1 };
  if (timestamp === MAX_TIMESTAMP) {
    const max = log.maxTimestampEntry();
    return max === null || max.offset >= fetchable ? { offset: -1, timestamp: -1 } : max;
  }
  const found = log.offsetForTimestamp(timestamp);
  return found === null || found.offset >= fetchable ? { offset: -1, timestamp: -1 } : found;
}
