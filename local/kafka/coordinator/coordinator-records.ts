import type { ConsumerGroupRecord } from './consumer-group-records.ts';

/**
 * The records a group coordinator writes to its `__consumer_offsets` partition, as values
 * rather than bytes. The shard produces and replays these; `record-codec.ts` turns them into
 * the bytes Kafka writes (and back), so the state machines never touch the wire format.
 */

export interface OffsetCommitRecordValue {
  offset: bigint;
  leaderEpoch: number; // -1 when the client did not send one
  metadata: string;
  commitTimestamp: bigint;
  /** Only value v1 carries it; -1 otherwise. */
  expireTimestamp: bigint;
}

export interface GroupMemberRecord {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  /** the member's metadata for the group's chosen protocol (named as core's records name it) */
  subscriptionBytes: Buffer;
  assignmentBytes: Buffer;
}

export interface GroupMetadataRecordValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: bigint;
  members: GroupMemberRecord[];
}

export type CoordinatorRecord =
  | { kind: 'offset'; group: string; topic: string; partition: number; value: OffsetCommitRecordValue | null }
  | { kind: 'group'; group: string; value: GroupMetadataRecordValue | null }
  /** A KIP-848 consumer group's record (types 3-8, 16), which only the 4.x coordinator replays. */
  | { kind: 'consumer'; record: ConsumerGroupRecord }
  /** Any other record type (share, streams groups): replay skips it. */
  | { kind: 'other'; recordType: number };

export type ControlMarker = 'COMMIT' | 'ABORT';

/** A transactional producer's identity on a batch. */
export interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
}

export interface LoggedRecord {
  offset: bigint;
  timestamp: bigint;
  record: CoordinatorRecord;
}

/** One batch of the shard's partition as replay sees it: data records or one control marker. */
export type LoggedBatch =
  | {
      isControl: false;
      baseOffset: bigint;
      producerId: bigint; // -1 for non-transactional batches
      producerEpoch: number;
      isTransactional: boolean;
      records: LoggedRecord[];
    }
  | {
      isControl: true;
      baseOffset: bigint;
      producerId: bigint;
      producerEpoch: number;
      marker: ControlMarker;
      coordinatorEpoch: number;
    };

/**
 * The shard's view of its `__consumer_offsets` partition. Appends return the offset given to
 * the first record; a throw means the write did not happen (the shard answers the client with
 * an error and leaves its state untouched).
 */
export interface ShardLog {
  appendRecords(records: CoordinatorRecord[], timestamp: bigint, producer?: ProducerIdentity): bigint;
  appendControl(marker: ControlMarker, producer: ProducerIdentity, coordinatorEpoch: number, timestamp: bigint): bigint;
  /** Every batch from the log start, in offset order (what a loading coordinator replays). */
  readBatches(): Iterable<LoggedBatch>;
}

export function topicPartitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
