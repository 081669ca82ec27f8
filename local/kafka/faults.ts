import { RecoveryError } from '../../lambdas/core/errors.ts';
import { CONSUMER_OFFSETS, type Cluster } from './cluster/cluster.ts';
import type { CompactionResult } from './log/partition-log.ts';
import type { CoordinatorPlugin, FailCoordinatorOptions } from './plugin.ts';
import type { BrokerServer } from './server/broker-server.ts';
import type { DropFetchRule, NetworkFaults, NetworkFaultRule, SlowResponseRule } from './server/network-faults.ts';

export interface ClusterFaultsDeps {
  cluster: Cluster;
  brokers: BrokerServer[];
  network: NetworkFaults;
  coordinator: CoordinatorPlugin | null;
}

/**
 * Every fault the local cluster can inject, from code, the control endpoint and the CLI.
 * Coordinator shard faults are the coordinator plug-in's; the rest are the cluster's own.
 */
export class ClusterFaults {
  private readonly deps: ClusterFaultsDeps;

  constructor(deps: ClusterFaultsDeps) {
    this.deps = deps;
  }

  private coordinatorFaults() {
    const plugin = this.deps.coordinator;
    if (plugin === null) {
      throw new RecoveryError('UNSUPPORTED', 'this cluster runs without the group coordinator plug-in, so coordinator faults are unavailable');
    }
    return plugin.faults;
  }

  private checkOffsetsPartition(partition: number): void {
    const count = this.deps.cluster.topic(CONSUMER_OFFSETS)?.partitions.length ?? 0;
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) {
      throw new RecoveryError('INVALID_INPUT', `partition: ${String(partition)} is not a ${CONSUMER_OFFSETS} partition. Use 0 to ${count - 1}.`, { details: { field: 'partition' } });
    }
  }

  async failCoordinator(partition: number, options?: FailCoordinatorOptions): Promise<void> {
    this.checkOffsetsPartition(partition);
    await this.coordinatorFaults().failCoordinator(partition, options);
  }

  async healCoordinator(partition: number): Promise<void> {
    this.checkOffsetsPartition(partition);
    await this.coordinatorFaults().healCoordinator(partition);
  }

  async loadCoordinator(partition: number, durationMs: number): Promise<void> {
    this.checkOffsetsPartition(partition);
    const faults = this.coordinatorFaults();
    if (faults.loadCoordinator === undefined) throw new RecoveryError('UNSUPPORTED', 'the coordinator plug-in does not simulate loading');
    await faults.loadCoordinator(partition, durationMs);
  }

  private server(id: number): BrokerServer {
    const server = this.deps.brokers.find((b) => b.brokerId === id);
    if (server === undefined) {
      throw new RecoveryError('INVALID_INPUT', `id: no broker ${String(id)}. Use one of ${this.deps.brokers.map((b) => b.brokerId).join(', ')}.`, { details: { field: 'id' } });
    }
    return server;
  }

  /** The broker's listener closes (connections refused) and its partitions move to other ISR members. */
  async stopBroker(id: number): Promise<void> {
    const server = this.server(id);
    if (!server.running) return;
    const log = this.deps.cluster.logs.forBroker(id);
    log.info(`[KafkaServer id=${id}] shutting down`, 'kafka.server.KafkaServer');
    await server.stop();
    this.deps.cluster.brokerStopped(id);
    log.info(`[KafkaServer id=${id}] shut down completed`, 'kafka.server.KafkaServer');
  }

  /**
   * The broker listens again on its port and rejoins the ISRs as a follower; its preferred
   * leadership comes back at the next leader rebalance or `electPreferredLeaders`.
   */
  async startBroker(id: number): Promise<void> {
    const server = this.server(id);
    if (server.running) return;
    const port = await server.start();
    this.deps.cluster.brokerStarted(id, port);
    this.deps.cluster.logs.forBroker(id).info(`[KafkaServer id=${id}] started`, 'kafka.server.KafkaServer');
  }

  /**
   * A preferred election (what `kafka-leader-election --election-type PREFERRED` asks): of one
   * partition, every partition of `topic`, or every partition; answers the partitions whose
   * leader changed.
   */
  electPreferredLeaders(topic?: string, partition?: number): Array<{ topic: string; partition: number; leader: number; leaderEpoch: number }> {
    const cluster = this.deps.cluster;
    if (partition !== undefined && topic === undefined) {
      throw new RecoveryError('INVALID_INPUT', 'partition: a partition needs its topic. Pass the topic too, or neither.', { details: { field: 'partition' } });
    }
    let targets: Array<{ topic: string; partition: number }> | undefined;
    if (topic !== undefined) {
      const state = cluster.topic(topic);
      if (state === undefined) throw new RecoveryError('NOT_FOUND', `topic: '${topic}' does not exist`, { details: { field: 'topic' } });
      if (partition !== undefined && state.partitions[partition] === undefined) {
        throw new RecoveryError('INVALID_INPUT', `partition: ${topic} has partitions 0 to ${state.partitions.length - 1}, not ${partition}`, { details: { field: 'partition' } });
      }
      targets = partition !== undefined ? [{ topic, partition }] : state.partitions.map((p) => ({ topic, partition: p.partition }));
    }
    return cluster.electPreferredLeaders(targets).map((p) => ({ topic: p.topic, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch }));
  }

  /** Moves leadership of `topic`-`partition` (default `__consumer_offsets`) to broker `to`. */
  moveLeader(partition: number, to: number, topic: string = CONSUMER_OFFSETS): { leader: number; leaderEpoch: number } {
    this.server(to);
    const p = this.deps.cluster.moveLeader(topic, partition, to);
    return { leader: p.leader, leaderEpoch: p.leaderEpoch };
  }

  /** Compacts every partition of `topic` now (the log cleaner, on demand). */
  compact(topic: string): CompactionResult[] {
    const state = this.deps.cluster.topic(topic);
    if (state === undefined) {
      throw new RecoveryError('NOT_FOUND', `topic '${topic}' does not exist`, { details: { field: 'topic' } });
    }
    return state.partitions.map((p) => p.log.compact());
  }

  /** Moves the log start of one partition forward (retention or DeleteRecords): older offsets become out of range. */
  deleteRecordsBefore(topic: string, partition: number, offset: number): { logStartOffset: number } {
    const log = this.deps.cluster.requirePartition(topic, partition).log;
    log.deleteRecordsBefore(offset);
    return { logStartOffset: log.logStartOffset };
  }

  /** Time retention on every partition of `topic`: batches older than `retentionMs` before now go. */
  applyRetention(topic: string, retentionMs: number, now = Date.now()): Array<{ partition: number; logStartOffset: number }> {
    const state = this.deps.cluster.topic(topic);
    if (state === undefined) throw new RecoveryError('NOT_FOUND', `topic '${topic}' does not exist`, { details: { field: 'topic' } });
    return state.partitions.map((p) => ({ partition: p.partition, logStartOffset: p.log.deleteBatchesOlderThan(now - retentionMs) }));
  }

  slowResponses(rule: { brokerId?: number; apiKey?: number; delayMs: number }): SlowResponseRule {
    return this.deps.network.addSlowResponses(rule);
  }

  dropConnectionMidFetch(rule: { brokerId?: number; topic?: string; partition?: number; times?: number }): DropFetchRule {
    return this.deps.network.addDropFetch(rule);
  }

  networkFaults(): NetworkFaultRule[] {
    return this.deps.network.list();
  }

  clearNetworkFault(id: number): boolean {
    return this.deps.network.remove(id);
  }

  clearNetworkFaults(): void {
    this.deps.network.clear();
  }
}
