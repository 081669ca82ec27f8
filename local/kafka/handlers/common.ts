import { isRecoveryError } from '../../../lambdas/core/errors.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { Cluster, PartitionState } from '../cluster/cluster.ts';

/** The Kafka error code a thrown error stands for (KAFKA_ERROR RecoveryErrors carry theirs). */
export function errorCodeOf(error: unknown): number {
  if (isRecoveryError(error)) {
    const code = error.details['kafkaErrorCode'];
    if (typeof code === 'number') return code;
    if (error.code === 'INVALID_INPUT') return ErrorCode.INVALID_REQUEST;
  }
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export function errorMessageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Looks up a partition this broker must lead: the state, or the error code to answer with. */
export function leaderPartition(cluster: Cluster, brokerId: number, topic: string, partition: number): PartitionState | number {
  const p = cluster.partition(topic, partition);
  if (p === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  if (p.leader !== brokerId) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  return p;
}

/**
 * KIP-320 fencing: a client that names the leader epoch it saw in metadata gets
 * FENCED_LEADER_EPOCH when that epoch is older than the leader's, UNKNOWN_LEADER_EPOCH when
 * newer; -1 (or absent, before Fetch v9 / ListOffsets v4) skips the check.
 */
export function leaderEpochError(p: PartitionState, currentLeaderEpoch: number | undefined): number {
  if (currentLeaderEpoch === undefined || currentLeaderEpoch < 0 || currentLeaderEpoch === p.leaderEpoch) return ErrorCode.NONE;
  return currentLeaderEpoch < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}

export function toBigInt(value: unknown): bigint {
  return typeof value === 'bigint' ? value : BigInt(value as number);
}

/** A protocol int64 as a JS number (local logs stay far below 2^53). */
export function toNumber(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : (value as number);
}

/** Topic name for a request entry that may carry a name (older versions) or a topic id (newer ones). */
export function topicNameFor(cluster: Cluster, name: unknown, topicId: unknown): string | undefined {
  if (typeof name === 'string' && name.length > 0) return name;
  if (typeof topicId === 'string' && topicId !== ZERO_UUID) {
    for (const t of cluster.topics.values()) if (t.topicId === topicId) return t.name;
  }
  return undefined;
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
