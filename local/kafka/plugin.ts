import type { BrokerLogSink } from './broker-log.ts';
import type { OffsetsTopicCompression } from './offsets-compression.ts';
import type { Cluster } from './cluster/cluster.ts';
import type { ApiRegistry } from './server/registry.ts';

/**
 * The seam between the cluster (data plane) and the coordinator plug-in
 * (`local/kafka/coordinator/index.ts`, which exports `installCoordinator`): the plug-in
 * registers the group and transaction APIs in the registry, follows `__consumer_offsets`
 * leadership through `cluster.onLeadershipChange`, writes its records through the partition
 * logs and its failure lines through the broker-log sink, and hands back its faults.
 */
export interface CoordinatorEnv {
  cluster: Cluster;
  registry: ApiRegistry;
  logs: BrokerLogSink;
  /** partition count of `__consumer_offsets` */
  offsetsPartitions: number;
  /** partition count of `__transaction_state` */
  transactionPartitions: number;
  /** OffsetCommitValue version written for commits: one version, or a release's rule (`{ plain }`, v1 when a retention time is given) */
  offsetCommitValueVersion: 1 | 3 | 4 | { plain: 3 | 4 };
  /** offsets.topic.compression.codec: how the coordinator compresses what it writes (none when absent) */
  offsetsTopicCompression?: OffsetsTopicCompression;
  /** what a failed shard load leaves: 'shard-failed' (4.x runtime, default) or 'offsets-lost' (3.x classic coordinator) */
  loadFailure?: 'shard-failed' | 'offsets-lost';
  /** offsets.retention.ms (Kafka's default: 7 days) */
  offsetsRetentionMs?: number;
  /** offsets.retention.check.interval.ms (Kafka's default: 600 s) */
  offsetsRetentionCheckIntervalMs?: number;
  /** KIP-848 consumer groups as the release keeps them (4.x); absent on 3.x, whose classic coordinator has none */
  consumerGroups?: ConsumerGroupProfile;
}

export interface ConsumerGroupProfile {
  /** 'hash' (4.1+: the group epoch record's MetadataHash) or 'record' (4.0: ConsumerGroupPartitionMetadata) */
  subscriptionMetadata: 'hash' | 'record';
  /** 'strict' (4.1.1, open to KAFKA-19862) or 'lenient' (the fix, 4.0.2 and 4.1.2) */
  partitionEpochRules: 'strict' | 'lenient';
  /** group.consumer.heartbeat.interval.ms (Kafka's default 5000) */
  heartbeatIntervalMs?: number;
  /** group.consumer.session.timeout.ms (Kafka's default 45000) */
  sessionTimeoutMs?: number;
}

/** Options of failCoordinator; the plug-in documents the ones it understands. */
export interface FailCoordinatorOptions {
  /** print the pre-4.0 coordinator's `Error loading offsets from __consumer_offsets-P` line instead */
  legacyLogLine?: boolean;
  [option: string]: unknown;
}

export interface CoordinatorFaults {
  /** the shard of `__consumer_offsets-partition` goes FAILED: group calls for it answer NOT_COORDINATOR */
  failCoordinator(partition: number, options?: FailCoordinatorOptions): void | Promise<void>;
  /** the shard reloads and serves again */
  healCoordinator(partition: number): void | Promise<void>;
  /** the shard answers COORDINATOR_LOAD_IN_PROGRESS for `durationMs` */
  loadCoordinator?(partition: number, durationMs: number): void | Promise<void>;
}

export interface CoordinatorPlugin {
  faults: CoordinatorFaults;
  /** a JSON-able summary for GET /status (shard states, groups) */
  status?(): unknown;
  stop?(): void | Promise<void>;
}

export type InstallCoordinator = (env: CoordinatorEnv) => CoordinatorPlugin | Promise<CoordinatorPlugin>;
