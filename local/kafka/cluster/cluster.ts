import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { RecoveryError, invalidInput } from '../../../lambdas/core/errors.ts';
import { clusterError } from '../protocol/error-codes.ts';
import { PartitionLog, type TimestampType } from '../log/partition-log.ts';
import type { BrokerLogSink } from '../broker-log.ts';
import { topicConfigDefaults } from './topic-configs.ts';

/**
 * The cluster model: brokers, topics, partitions with replicas, ISR and leaders, each partition
 * with one log (replication is simulated: all replicas share it, the ISR decides who may lead).
 * Every leadership change is announced on `onLeadershipChange`; the group coordinator plug-in
 * loads and unloads its `__consumer_offsets` shards from these events.
 */
export { CONSUMER_OFFSETS, TRANSACTION_STATE } from './names.ts';

export interface BrokerState {
  id: number;
  host: string;
  /** the listening port; 0 until the broker's server has bound */
  port: number;
  running: boolean;
  rack: string | null;
}

export interface PartitionState {
  topic: string;
  partition: number;
  /** replicas in preference order; replicas[0] is the preferred leader */
  replicas: number[];
  isr: number[];
  /** -1 when no ISR member is running */
  leader: number;
  leaderEpoch: number;
  /** a pending reassignment's target replicas (AlterPartitionReassignments), null when none */
  targetReplicas: number[] | null;
  log: PartitionLog;
}

export interface TopicState {
  name: string;
  /** 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' */
  topicId: string;
  internal: boolean;
  configs: Record<string, string>;
  partitions: PartitionState[];
}

export interface LeadershipChange {
  topic: string;
  partition: number;
  /** -1 when the partition had no leader (e.g. just created) */
  previousLeader: number;
  /** -1 when no replica can lead */
  leader: number;
  leaderEpoch: number;
  reason: 'created' | 'broker-stopped' | 'broker-started' | 'preferred-election' | 'reassignment' | 'reelected' | 'deleted';
}

export type LeadershipListener = (change: LeadershipChange) => void;

export interface CreateTopicOptions {
  partitions: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
  /** explicit assignment: partition -> replica broker ids */
  assignment?: number[][];
  internal?: boolean;
}

export interface ClusterOptions {
  brokerIds: number[];
  clusterId?: string;
  logs: BrokerLogSink;
  /** auto.leader.rebalance.enable (Kafka's default: true) */
  autoLeaderRebalance?: boolean;
  /** leader.imbalance.check.interval.seconds, in ms (Kafka's default: 300 s) */
  leaderImbalanceCheckIntervalMs?: number;
}

/** Kafka's leader.imbalance.check.interval.seconds default, 300 s. */
export const DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_MS = 300_000;

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export class Cluster {
  readonly clusterId: string;
  readonly brokers = new Map<number, BrokerState>();
  readonly topics = new Map<string, TopicState>();
  readonly logs: BrokerLogSink;
  private readonly events = new EventEmitter();
  private nextProducerId = 1000;
  private readonly autoLeaderRebalance: boolean;
  readonly leaderImbalanceCheckIntervalMs: number;
  private rebalanceTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: ClusterOptions) {
    const interval = options.leaderImbalanceCheckIntervalMs ?? DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_MS;
    if (!Number.isInteger(interval) || interval < 1) {
      throw invalidInput('leaderImbalanceCheckIntervalMs', `expected a whole number of milliseconds >= 1, got ${String(interval)}`, 'Pass e.g. 300000 (Kafka\'s default) or a few hundred in tests.');
    }
    this.autoLeaderRebalance = options.autoLeaderRebalance ?? true;
    this.leaderImbalanceCheckIntervalMs = interval;
    // Kafka cluster ids are 16 random bytes in URL-safe base64 without padding.
    this.clusterId = options.clusterId ?? randomBytes(16).toString('base64url');
    this.logs = options.logs;
    for (const id of options.brokerIds) {
      this.brokers.set(id, { id, host: '127.0.0.1', port: 0, running: false, rack: null });
    }
    this.events.setMaxListeners(0);
  }

  /** The controller: the lowest running broker id (-1 when none runs). */
  get controllerId(): number {
    return this.runningBrokerIds()[0] ?? -1;
  }

  runningBrokerIds(): number[] {
    return [...this.brokers.values()].filter((b) => b.running).map((b) => b.id).sort((a, b) => a - b);
  }

  broker(id: number): BrokerState {
    const broker = this.brokers.get(id);
    if (broker === undefined) {
      throw invalidInput('brokerId', `no broker ${id} in this cluster`, `Use one of ${[...this.brokers.keys()].join(', ')}.`);
    }
    return broker;
  }

  topic(name: string): TopicState | undefined {
    return this.topics.get(name);
  }

  /** The partition, or undefined when the topic or partition does not exist. */
  partition(topic: string, partition: number): PartitionState | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** The partition, or a KAFKA_ERROR UNKNOWN_TOPIC_OR_PARTITION. */
  requirePartition(topic: string, partition: number): PartitionState {
    const state = this.partition(topic, partition);
    if (state === undefined) {
      throw clusterError('UNKNOWN_TOPIC_OR_PARTITION', `${topic}-${partition} does not exist`);
    }
    return state;
  }

  createTopic(name: string, options: CreateTopicOptions): TopicState {
    if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
      throw clusterError('INVALID_TOPIC_EXCEPTION', `topic name '${name}' is not legal: use up to 249 of [a-zA-Z0-9._-]`);
    }
    if (this.topics.has(name)) throw clusterError('TOPIC_ALREADY_EXISTS', `topic '${name}' already exists`);
    const assignment = options.assignment ?? this.spreadReplicas(options.partitions, options.replicationFactor ?? Math.min(3, this.brokers.size));
    if (assignment.length < 1) throw clusterError('INVALID_PARTITIONS', `topic '${name}': the partition count must be at least 1`);
    for (const replicas of assignment) {
      if (replicas.length === 0 || new Set(replicas).size !== replicas.length || replicas.some((id) => !this.brokers.has(id))) {
        throw clusterError('INVALID_REPLICA_ASSIGNMENT', `topic '${name}': replicas ${JSON.stringify(replicas)} must be distinct existing brokers`);
      }
    }
    const configs = { ...topicConfigDefaults(name), ...(options.configs ?? {}) };
    const timestampType = (configs['message.timestamp.type'] ?? 'CreateTime') as TimestampType;
    const topic: TopicState = {
      name,
      topicId: randomUuid(),
      internal: options.internal ?? name.startsWith('__'),
      configs,
      partitions: assignment.map((replicas, partition) => ({
        topic: name,
        partition,
        replicas: [...replicas],
        isr: replicas.filter((id) => this.brokers.get(id)?.running ?? false),
        leader: -1,
        leaderEpoch: 0,
        targetReplicas: null,
        log: new PartitionLog({ topic: name, partition, timestampType }),
      })),
    };
    // Before any broker runs (a cluster being assembled) every replica counts as in sync.
    const noneRunning = this.runningBrokerIds().length === 0;
    if (noneRunning) for (const p of topic.partitions) p.isr = [...p.replicas];
    this.topics.set(name, topic);
    for (const p of topic.partitions) {
      const leader = p.isr.find((id) => this.brokers.get(id)?.running) ?? (noneRunning ? p.replicas[0]! : -1);
      this.changeLeader(p, leader, 'created');
    }
    return topic;
  }

  deleteTopic(name: string): void {
    const topic = this.topics.get(name);
    if (topic === undefined) throw clusterError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${name}' does not exist`);
    this.topics.delete(name);
    for (const p of topic.partitions) {
      this.emit({ topic: name, partition: p.partition, previousLeader: p.leader, leader: -1, leaderEpoch: p.leaderEpoch + 1, reason: 'deleted' });
    }
  }

  /** Replica lists spread round-robin over the brokers, the way Kafka's assignment staggers them. */
  spreadReplicas(partitions: number, replicationFactor: number): number[][] {
    const ids = [...this.brokers.keys()].sort((a, b) => a - b);
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw clusterError('INVALID_PARTITIONS', `the partition count ${partitions} must be at least 1`);
    }
    if (!Number.isInteger(replicationFactor) || replicationFactor < 1 || replicationFactor > ids.length) {
      throw clusterError('INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor} must be between 1 and ${ids.length} (the broker count)`);
    }
    return Array.from({ length: partitions }, (_, p) =>
      Array.from({ length: replicationFactor }, (_, r) => ids[(p + r) % ids.length]!),
    );
  }

  /**
   * Marks a broker running. It rejoins as a follower: caught up at once (replicas share the log),
   * it joins the ISR of every partition it replicates, and leads only partitions that had no
   * leader. Leadership of the others comes back at a preferred election: the periodic leader
   * rebalance (auto.leader.rebalance.enable) or ElectLeaders, as on Kafka.
   */
  brokerStarted(id: number, port: number): void {
    const broker = this.broker(id);
    broker.running = true;
    broker.port = port;
    for (const p of this.allPartitions()) {
      if (p.replicas.includes(id) && !p.isr.includes(id)) p.isr = [...p.isr, id];
      if (p.leader === -1 && p.isr.includes(id)) this.changeLeader(p, id, 'broker-started');
    }
    this.maybeScheduleLeaderRebalance();
  }

  /** Marks a broker stopped: it leaves every ISR and its partitions move to another ISR member. */
  brokerStopped(id: number): void {
    const broker = this.broker(id);
    broker.running = false;
    for (const p of this.allPartitions()) {
      if (!p.isr.includes(id)) continue;
      p.isr = p.isr.filter((r) => r !== id);
      if (p.leader === id) {
        const next = p.isr.find((r) => this.brokers.get(r)?.running) ?? -1;
        this.changeLeader(p, next, 'broker-stopped');
      }
    }
  }

  /** Partitions whose preferred replica (the first) is running and in sync but not leading. */
  imbalancedPartitions(): PartitionState[] {
    return [...this.allPartitions()].filter((p) => {
      const preferred = p.replicas[0]!;
      return p.leader !== preferred && p.isr.includes(preferred) && this.brokers.get(preferred)?.running === true;
    });
  }

  /** Stops the periodic leader rebalance (the cluster is shutting down). */
  close(): void {
    this.closed = true;
    if (this.rebalanceTimer !== null) clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = null;
  }

  /**
   * KRaft's controller: once leaders are imbalanced, a preferred election of every imbalanced
   * partition runs one check interval later (QuorumController's deferred balance event).
   */
  private maybeScheduleLeaderRebalance(): void {
    if (!this.autoLeaderRebalance || this.closed || this.rebalanceTimer !== null || this.imbalancedPartitions().length === 0) return;
    this.rebalanceTimer = setTimeout(() => {
      this.rebalanceTimer = null;
      if (this.closed) return;
      this.electPreferredLeaders(this.imbalancedPartitions().map((p) => ({ topic: p.topic, partition: p.partition })));
      this.maybeScheduleLeaderRebalance();
    }, this.leaderImbalanceCheckIntervalMs);
    this.rebalanceTimer.unref();
  }

  /**
   * Preferred-replica election: partitions whose first replica is running and in sync but not
   * leading get it back as leader. Returns the partitions whose leader changed.
   */
  electPreferredLeaders(partitions?: Array<{ topic: string; partition: number }>): PartitionState[] {
    const targets = partitions === undefined ? [...this.allPartitions()] : partitions.map((tp) => this.requirePartition(tp.topic, tp.partition));
    const changed: PartitionState[] = [];
    for (const p of targets) {
      const preferred = p.replicas[0]!;
      if (p.leader !== preferred && p.isr.includes(preferred) && this.brokers.get(preferred)?.running) {
        this.changeLeader(p, preferred, 'preferred-election');
        changed.push(p);
      }
    }
    return changed;
  }

  /**
   * AlterPartitionReassignments: the new replica list takes effect at once (the data is already
   * "replicated"), new replicas join the ISR when running, and a leader no longer among the
   * replicas hands over to the new first replica. A preferred election afterwards moves
   * leadership to replicas[0] when it is not leading yet.
   */
  reassignPartition(topic: string, partition: number, replicas: number[] | null): void {
    const p = this.requirePartition(topic, partition);
    if (replicas === null) {
      if (p.targetReplicas === null) throw clusterError('NO_REASSIGNMENT_IN_PROGRESS', `${topic}-${partition} has no reassignment to cancel`);
      p.targetReplicas = null;
      return;
    }
    if (replicas.length === 0 || new Set(replicas).size !== replicas.length || replicas.some((id) => !this.brokers.has(id))) {
      throw clusterError('INVALID_REPLICA_ASSIGNMENT', `${topic}-${partition}: replicas ${JSON.stringify(replicas)} must be distinct existing brokers`);
    }
    p.replicas = [...replicas];
    p.isr = replicas.filter((id) => this.brokers.get(id)?.running);
    p.targetReplicas = null;
    if (!p.isr.includes(p.leader)) this.changeLeader(p, p.isr[0] ?? -1, 'reassignment');
    this.maybeScheduleLeaderRebalance();
  }

  /** Moves leadership of one partition to `to` (a reassignment putting `to` first, then a preferred election). */
  moveLeader(topic: string, partition: number, to: number): PartitionState {
    const p = this.requirePartition(topic, partition);
    const target = this.broker(to);
    if (!target.running) throw new RecoveryError('INVALID_INPUT', `broker ${to} is stopped; start it before moving ${topic}-${partition} to it`, { details: { field: 'to' } });
    this.reassignPartition(topic, partition, [to, ...p.replicas.filter((id) => id !== to)]);
    this.electPreferredLeaders([{ topic, partition }]);
    return p;
  }

  /**
   * The controller elects the same leader again, at a new leader epoch. A coordinator shard
   * reloads only when its partition's leader epoch rises (Kafka's runtime ignores a load at an
   * epoch it already has), so this is how a shard reloads in place.
   */
  reelectLeader(topic: string, partition: number): PartitionState {
    const p = this.requirePartition(topic, partition);
    if (p.leader === -1) throw clusterError('LEADER_NOT_AVAILABLE', `${topic}-${partition} has no leader to elect again`);
    this.changeLeader(p, p.leader, 'reelected');
    return p;
  }

  allocateProducerId(): number {
    return this.nextProducerId++;
  }

  *allPartitions(): IterableIterator<PartitionState> {
    for (const topic of this.topics.values()) yield* topic.partitions;
  }

  /** Subscribes to leadership changes; returns the unsubscribe function. */
  onLeadershipChange(listener: LeadershipListener): () => void {
    this.events.on('leadership', listener);
    return () => this.events.off('leadership', listener);
  }

  private changeLeader(p: PartitionState, leader: number, reason: LeadershipChange['reason']): void {
    const previousLeader = p.leader;
    p.leader = leader;
    p.leaderEpoch += previousLeader === -1 && reason === 'created' ? 0 : 1;
    const change: LeadershipChange = { topic: p.topic, partition: p.partition, previousLeader, leader, leaderEpoch: p.leaderEpoch, reason };
    if (leader !== -1 && this.brokers.get(leader)?.running) {
      this.logs.forBroker(leader).info(
        `[Partition ${p.topic}-${p.partition} broker=${leader}] ${p.topic}-${p.partition} starts at leader epoch ${p.leaderEpoch} from offset ${p.log.logEndOffset}. Previous leader epoch was ${p.leaderEpoch - 1}.`,
        'kafka.cluster.Partition',
      );
    }
    this.emit(change);
  }

  private emit(change: LeadershipChange): void {
    this.events.emit('leadership', change);
  }
}

function randomUuid(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
