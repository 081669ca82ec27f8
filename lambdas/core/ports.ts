/**
 * The Kafka port: everything lambdas/core needs from a Kafka cluster, and nothing more.
 * lambdas/kafka implements it over kafkajs; tests may implement it in memory.
 *
 * Conventions: int64 values (offsets, timestamps, producer ids) are bigint here; they become
 * decimal strings only in JSON documents (see model.ts). Every method throws RecoveryError
 * (errors.ts): broker error codes as code 'KAFKA_ERROR' with details.kafkaErrorName
 * (e.g. 'NOT_COORDINATOR', 'NOT_LEADER_OR_FOLLOWER'), lost connections as 'KAFKA_UNAVAILABLE'.
 * No method joins a group or creates anything; commitOffsets is the only write.
 */

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number; // -1 when leaderless
  leaderEpoch: number; // -1 when unknown
  replicas: number[];
  isr: number[];
}

export interface TopicInfo {
  name: string;
  isInternal: boolean;
  partitions: PartitionInfo[]; // sorted by partition
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[]; // sorted by nodeId
  topics: TopicInfo[]; // only the topics asked for (all when none were named), sorted by name
}

export type OffsetSpec = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'timestamp'; timestamp: bigint };

export interface ListedOffset {
  partition: number;
  /** earliest: log start; latest: log end (high watermark); timestamp: first offset whose timestamp >= it, or the log end when none. */
  offset: bigint;
  timestamp: bigint; // -1 when not applicable
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

export interface FetchRequest {
  topic: string;
  partition: number;
  offset: bigint;
  maxBytes: number;
  isolation: IsolationLevel;
  maxWaitMs?: number;
}

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export interface FetchResult {
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  abortedTransactions: AbortedTransaction[];
  /** Raw record set: concatenated RecordBatch v2 frames, possibly ending in a partial batch. */
  records: Buffer;
}

export interface GroupDescription {
  groupId: string;
  state: string; // Stable, Empty, Dead, PreparingRebalance, CompletingRebalance, ...
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; clientHost: string }[];
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string | null;
}

export interface CommittedOffsetEntry {
  topic: string;
  partition: number;
  offset: bigint; // -1 when the group has no offset for it
  leaderEpoch: number;
  metadata: string | null;
}

export interface PartitionCommitResult {
  topic: string;
  partition: number;
  errorName: string | null; // null = committed
}

export interface KafkaPort {
  /** Metadata for the named topics (all topics, internal ones included, when omitted). */
  metadata(topics?: string[]): Promise<ClusterMetadata>;
  /** Forget cached metadata; the next call asks the cluster again (leader moves). */
  refreshMetadata(): Promise<void>;
  listOffsets(topic: string, partitions: number[], spec: OffsetSpec): Promise<ListedOffset[]>;
  /** One Fetch from the current leader of the partition. */
  fetch(request: FetchRequest): Promise<FetchResult>;
  /** FindCoordinator for a group: who the cluster says coordinates it (works even when the shard is FAILED). */
  findCoordinator(groupId: string): Promise<BrokerInfo>;
  /** DescribeGroups on the coordinator; throws KAFKA_ERROR NOT_COORDINATOR when the shard is failed. */
  describeGroup(groupId: string): Promise<GroupDescription>;
  /** OffsetFetch on the coordinator; all partitions the group has when `topics` is omitted. */
  fetchCommittedOffsets(groupId: string, topics?: string[]): Promise<CommittedOffsetEntry[]>;
  /** Standalone OffsetCommit (generation -1, no member id) on the coordinator: the only write. */
  commitOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<PartitionCommitResult[]>;
  close(): Promise<void>;
}

/** One partition's answer to an admin request; errorName null = accepted. */
export interface PartitionAdminResult {
  topic: string;
  partition: number;
  errorName: string | null;
  errorMessage: string | null;
}

export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

/**
 * The Kafka CLI playbook's writes (kafka-reassign-partitions, kafka-leader-election,
 * kafka-consumer-groups --delete) as Admin API calls. Separate from KafkaPort on purpose: the
 * runbook never needs them, and only the playbook command, after asking, calls them.
 */
export interface KafkaAdminPort {
  /** AlterPartitionReassignments: the new replica list (same set, new order) per partition. */
  alterPartitionReassignments(topic: string, assignments: { partition: number; replicas: number[] }[]): Promise<PartitionAdminResult[]>;
  /** ListPartitionReassignments: the reassignments still in progress among these partitions. */
  listPartitionReassignments(topic: string, partitions: number[]): Promise<OngoingReassignment[]>;
  /** ElectLeaders, PREFERRED: each partition's first replica becomes its leader (ELECTION_NOT_NEEDED when it is). */
  electPreferredLeaders(topic: string, partitions: number[]): Promise<PartitionAdminResult[]>;
  /** DeleteGroups on the group's coordinator: drops the group and its offsets (tombstones). */
  deleteGroup(groupId: string): Promise<{ groupId: string; errorName: string | null }>;
}

export function isKafkaAdminPort(port: object): port is KafkaAdminPort {
  return ['alterPartitionReassignments', 'listPartitionReassignments', 'electPreferredLeaders', 'deleteGroup'].every((m) => typeof (port as Record<string, unknown>)[m] === 'function');
}

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
