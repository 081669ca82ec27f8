/**
 * Record keys and values of `__consumer_offsets`, built with the project's real encoders, in
 * the few shapes tests need: commits, tombstones, classic group metadata, and raw bytes.
 */
import {
  encodeConsumerSubscription,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../lambdas/core/offsets-records/index.ts';

export interface OffsetsLogRecord {
  key: Buffer | null;
  value: Buffer | null;
}

export interface CommitInput {
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string;
  /** Defaults to the record timestamp the log writer assigns. */
  commitTimestamp?: bigint;
  valueVersion?: number;
}

export function offsetCommit(input: CommitInput, defaultCommitTimestamp = 0n): OffsetsLogRecord {
  return {
    key: encodeOffsetCommitKey({ group: input.group, topic: input.topic, partition: input.partition }),
    value: encodeOffsetCommitValue(
      {
        offset: input.offset,
        leaderEpoch: input.leaderEpoch ?? -1,
        metadata: input.metadata ?? '',
        commitTimestamp: input.commitTimestamp ?? defaultCommitTimestamp,
      },
      input.valueVersion ?? 3,
    ),
  };
}

export function offsetTombstone(group: string, topic: string, partition: number): OffsetsLogRecord {
  return { key: encodeOffsetCommitKey({ group, topic, partition }), value: null };
}

export interface GroupMetadataInput {
  protocolType?: string;
  protocol?: string | null;
  generation?: number;
  /** One entry per member: the topics it subscribes to. */
  members?: string[][];
  currentStateTimestamp?: bigint;
}

export function groupMetadata(group: string, input: GroupMetadataInput = {}): OffsetsLogRecord {
  const protocolType = input.protocolType ?? 'consumer';
  const members = (input.members ?? []).map((topics, index) => ({
    memberId: `${group}-member-${index}`,
    clientId: `client-${index}`,
    clientHost: `/10.0.0.${index + 1}`,
    rebalanceTimeout: 300_000,
    sessionTimeout: 45_000,
    subscriptionBytes: protocolType === 'consumer' ? encodeConsumerSubscription({ topics }) : Buffer.from(topics.join(',')),
    assignmentBytes: Buffer.alloc(0),
  }));
  return {
    key: encodeGroupMetadataKey(group),
    value: encodeGroupMetadataValue(
      {
        protocolType,
        generation: input.generation ?? (members.length > 0 ? 1 : 0),
        protocol: input.protocol === undefined ? (members.length > 0 ? 'range' : null) : input.protocol,
        leader: members[0]?.memberId ?? null,
        currentStateTimestamp: input.currentStateTimestamp ?? 1_700_000_000_000n,
        members,
      },
      3,
    ),
  };
}

export function groupMetadataTombstone(group: string): OffsetsLogRecord {
  return { key: encodeGroupMetadataKey(group), value: null };
}

/** A key of record type `recordType` (e.g. 99, or -3) with arbitrary bytes after it. */
export function unknownTypeRecord(recordType: number, rest: Buffer = Buffer.from('0003616263', 'hex')): OffsetsLogRecord {
  const key = Buffer.alloc(2 + rest.length);
  key.writeInt16BE(recordType, 0);
  rest.copy(key, 2);
  return { key, value: Buffer.from('0000', 'hex') };
}
