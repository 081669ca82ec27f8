import { randomUUID } from 'node:crypto';
import type { OffsetsTopicCompression } from '../offsets-compression.ts';
import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import { invalidInput } from '../../../lambdas/core/errors.ts';
import type { BrokerLogSink } from '../broker-log.ts';
import { CONSUMER_OFFSETS, type Cluster, type LeadershipChange, type PartitionState } from '../cluster/cluster.ts';
import type { ShardLog } from './coordinator-records.ts';
import { ConsumerRecordReplayFailure, GroupShard, type ShardEnvironment } from './group-shard.ts';
import type { ConsumerGroupProfile } from '../plugin.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { loadFinishedLines, loadScheduledLine, renderGroupLogLine, type LogWording } from './group-log-lines.ts';
import { consumerReplayFailureLines, coordinatorLogLines, RUNTIME_LOGGER, type FailureMode } from './log-lines.ts';
import { PartitionShardLog } from './partition-shard-log.ts';
import { liveCommits, replayShard, type ReplayedOffsetCommit } from './replay.ts';
import type { OffsetCommitValueVersion } from './record-codec.ts';

/** Kafka's offsets.retention.check.interval.ms default, 10 minutes. */
export const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 600_000;

export type ShardStatus = 'ACTIVE' | 'LOADING' | 'FAILED';

export interface ShardSlot {
  partition: number;
  brokerId: number;
  /** the partition leader epoch the shard was loaded at (Kafka's coordinator epoch) */
  epoch: number;
  status: ShardStatus;
  shard: GroupShard;
  cancelLoading: (() => void) | null;
}

/**
 * What made a shard fail on a broker: while the quoted record is still the live commit of its
 * partition, every load of the shard on that broker fails the same way (the seed: reboots do
 * not fix it; moving leadership elsewhere does, and deleting the group's offsets lets the
 * broker load cleanly again).
 */
interface ShardFailure {
  brokerId: number;
  mode: FailureMode;
  conflict: ReplayedOffsetCommit | null;
}

export type ShardLookup = { ok: true; slot: ShardSlot } | { ok: false; errorCode: number };

export interface GroupCoordinatorOptions {
  cluster: Cluster;
  logs: BrokerLogSink;
  offsetsPartitions: number;
  offsetCommitValueVersion: OffsetCommitValueVersion;
  /**
   * What a load that fails leaves: 'shard-failed' (Kafka 4.x's coordinator runtime, default):
   * the shard answers NOT_COORDINATOR; 'offsets-lost' (3.x's GroupMetadataManager): the error is
   * logged and the partition is served with nothing loaded, so its groups' offsets are gone.
   */
  loadFailure?: 'shard-failed' | 'offsets-lost';
  /** write an empty GroupMetadata record when JoinGroup creates a group (Kafka 4.x) */
  recordGroupCreation?: boolean;
  /** how the groups' lines read in the broker log: 'runtime' (4.x, default) or 'classic' (3.x) */
  logWording?: LogWording;
  /**
   * ListGroups while a shard of the broker loads: 'groups-and-error' (3.x's GroupCoordinator,
   * default): COORDINATOR_LOAD_IN_PROGRESS with the loaded shards' groups; 'error-only' (4.x's
   * GroupCoordinatorService: the read of the loading shard fails the whole answer):
   * COORDINATOR_LOAD_IN_PROGRESS and no groups.
   */
  listGroupsWhileLoading?: 'groups-and-error' | 'error-only';
  /** offsets.topic.compression.codec (none when absent) */
  offsetsTopicCompression?: OffsetsTopicCompression;
  /** KIP-848 consumer groups (4.x profiles) */
  consumerGroups?: ConsumerGroupProfile;
  /** group.initial.rebalance.delay.ms (Kafka: 3000; short here so tests and demos stay quick) */
  initialRebalanceDelayMs?: number;
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
  offsetsRetentionMs?: number;
  /** how often offsets are checked for expiry (offsets.retention.check.interval.ms, default Kafka's 600 s); 0 disables */
  retentionCheckIntervalMs?: number;
}


/**
 * Every group-coordinator shard of the cluster, each held by the broker leading its
 * `__consumer_offsets` partition: loads by replay when leadership arrives, unloads when it
 * leaves, and routes each group to its shard the way FindCoordinator promised.
 */
export class GroupCoordinator {
  private readonly cluster: Cluster;
  private readonly logs: BrokerLogSink;
  readonly offsetsPartitions: number;
  private readonly offsetCommitValueVersion: OffsetCommitValueVersion;
  readonly loadFailure: 'shard-failed' | 'offsets-lost';
  readonly listGroupsWhileLoading: 'groups-and-error' | 'error-only';
  private readonly compression: OffsetsTopicCompression;
  private readonly slots = new Map<number, ShardSlot>();
  private readonly failures = new Map<number, ShardFailure>();
  /** partition -> how long the reload the current re-election starts takes (loadCoordinator) */
  private readonly timedReloads = new Map<number, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly shardEnv: ShardEnvironment;
  private unsubscribe: (() => void) | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private readonly retentionCheckIntervalMs: number;
  private readonly logWording: LogWording;

  constructor(options: GroupCoordinatorOptions) {
    this.cluster = options.cluster;
    this.logs = options.logs;
    this.offsetsPartitions = options.offsetsPartitions;
    this.offsetCommitValueVersion = options.offsetCommitValueVersion;
    this.loadFailure = options.loadFailure ?? 'shard-failed';
    this.listGroupsWhileLoading = options.listGroupsWhileLoading ?? 'groups-and-error';
    this.compression = options.offsetsTopicCompression ?? { codec: 'none' };
    this.retentionCheckIntervalMs = options.retentionCheckIntervalMs ?? DEFAULT_RETENTION_CHECK_INTERVAL_MS;
    this.logWording = options.logWording ?? 'runtime';
    this.shardEnv = {
      now: () => Date.now(),
      schedule: (delayMs, action) => this.schedule(delayMs, action),
      newMemberId: (prefix) => `${prefix}-${randomUUID()}`,
      initialRebalanceDelayMs: options.initialRebalanceDelayMs ?? 300,
      minSessionTimeoutMs: options.minSessionTimeoutMs ?? 6_000,
      maxSessionTimeoutMs: options.maxSessionTimeoutMs ?? 1_800_000,
      offsetsRetentionMs: options.offsetsRetentionMs ?? 7 * 24 * 3600 * 1000,
      maxMetadataBytes: 4096,
      expireTimestampOnEveryCommit: options.offsetCommitValueVersion === 1,
      recordGroupCreation: options.recordGroupCreation ?? false,
      expiryTombstonesOnlyGenerations: this.logWording === 'classic',
      ...(options.consumerGroups === undefined
        ? {}
        : {
            consumerGroups: {
              topics: () =>
                new Map([...this.cluster.topics.values()].filter((t) => !t.internal).map((t) => [t.name, { topicId: t.topicId, partitions: t.partitions.length }])),
              heartbeatIntervalMs: options.consumerGroups.heartbeatIntervalMs ?? 5_000,
              sessionTimeoutMs: options.consumerGroups.sessionTimeoutMs ?? 45_000,
              subscriptionMetadata: options.consumerGroups.subscriptionMetadata,
              partitionEpochRules: options.consumerGroups.partitionEpochRules,
            },
          }),
    };
  }

  start(): void {
    this.unsubscribe = this.cluster.onLeadershipChange((change) => this.onLeadershipChange(change));
    const topic = this.cluster.topic(CONSUMER_OFFSETS);
    for (const p of topic?.partitions ?? []) if (p.leader !== -1) this.loadShard(p);
    if (this.retentionCheckIntervalMs > 0) {
      this.retentionTimer = setInterval(() => this.expireOffsets(), this.retentionCheckIntervalMs);
      this.retentionTimer.unref();
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    for (const slot of this.slots.values()) this.unloadSlot(slot, false);
    this.slots.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.offsetsPartitions);
  }

  /** The leader of the group's partition: what FindCoordinator names, whatever the shard's state. */
  coordinatorBroker(groupId: string): number {
    return this.cluster.partition(CONSUMER_OFFSETS, this.partitionFor(groupId))?.leader ?? -1;
  }

  /** The shard serving `groupId` on `brokerId`, or the error Kafka answers instead. */
  lookup(brokerId: number, groupId: string): ShardLookup {
    const slot = this.slots.get(this.partitionFor(groupId));
    if (slot === undefined || slot.brokerId !== brokerId) return { ok: false, errorCode: ErrorCode.NOT_COORDINATOR };
    if (slot.status === 'FAILED') return { ok: false, errorCode: ErrorCode.NOT_COORDINATOR };
    if (slot.status === 'LOADING') return { ok: false, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    return { ok: true, slot };
  }

  /** Shards held by a broker (ListGroups answers for these). */
  slotsOn(brokerId: number): ShardSlot[] {
    return [...this.slots.values()].filter((s) => s.brokerId === brokerId).sort((a, b) => a.partition - b.partition);
  }

  slot(partition: number): ShardSlot | undefined {
    return this.slots.get(partition);
  }

  /**
   * The shard's load fails, as when a reload hits a record it cannot replay: its groups are
   * dropped and the leader logs what Kafka logs; then every group call answers NOT_COORDINATOR
   * (4.x), or (3.x, `loadFailure: 'offsets-lost'`) the shard serves again with nothing loaded.
   */
  failCoordinator(partition: number, mode: FailureMode = 'epoch-conflict', groupId?: string): void {
    const slot = this.requireSlot(partition);
    if (groupId !== undefined && this.partitionFor(groupId) !== partition) {
      throw invalidInput('group', `group ${groupId} maps to ${CONSUMER_OFFSETS}-${this.partitionFor(groupId)}, not ${partition}`, 'Name a group of this partition or leave it out.');
    }
    const failure: ShardFailure = { brokerId: slot.brokerId, mode, conflict: this.conflictRecord(slot, groupId) };
    this.failures.set(partition, failure);
    this.markFailed(slot, failure);
  }

  /**
   * The cause is gone: the partition's leader is elected again at a new leader epoch and the
   * shard reloads there (Kafka's coordinator loads only at a higher epoch); later loads on this
   * broker succeed.
   */
  healCoordinator(partition: number): void {
    this.requireSlot(partition);
    this.failures.delete(partition);
    this.cluster.reelectLeader(CONSUMER_OFFSETS, partition);
  }

  /**
   * A reload that takes `durationMs`, at a new leader epoch like any reload: the shard's state is
   * dropped at once, group calls answer COORDINATOR_LOAD_IN_PROGRESS meanwhile, and the shard
   * then serves what replaying its partition gives (a FAILED shard whose cause is still there
   * fails again).
   */
  loadCoordinator(partition: number, durationMs: number): void {
    if (!Number.isFinite(durationMs) || durationMs < 0) {
      throw invalidInput('durationMs', `expected a duration in milliseconds >= 0, got ${String(durationMs)}`, 'Pass e.g. 5000.');
    }
    this.requireSlot(partition);
    this.timedReloads.set(partition, durationMs);
    try {
      this.cluster.reelectLeader(CONSUMER_OFFSETS, partition);
    } finally {
      this.timedReloads.delete(partition);
    }
  }

  private loadAfter(slot: ShardSlot, p: PartitionState, durationMs: number): void {
    slot.status = 'LOADING';
    slot.epoch = p.leaderEpoch;
    const scheduled = loadScheduledLine(this.logWording, { brokerId: slot.brokerId, partition: slot.partition }, slot.epoch);
    this.logs.forBroker(slot.brokerId).info(scheduled.message, scheduled.logger);
    slot.cancelLoading = this.schedule(durationMs, () => {
      slot.cancelLoading = null;
      const current = this.cluster.partition(CONSUMER_OFFSETS, slot.partition);
      if (this.slots.get(slot.partition) !== slot || current === undefined) return;
      this.slots.delete(slot.partition);
      this.loadShard(current, true);
    });
  }

  status(): Array<{ partition: number; brokerId: number; epoch: number; status: ShardStatus; groups: number; failsOnBroker: number | null }> {
    return [...this.slots.values()]
      .sort((a, b) => a.partition - b.partition)
      .map((s) => ({
        partition: s.partition,
        brokerId: s.brokerId,
        epoch: s.epoch,
        status: s.status,
        groups: s.shard.list().length,
        failsOnBroker: this.failures.get(s.partition)?.brokerId ?? null,
      }));
  }

  expireOffsets(): number {
    let expired = 0;
    for (const slot of this.slots.values()) if (slot.status === 'ACTIVE') expired += slot.shard.expireOffsets();
    return expired;
  }

  private onLeadershipChange(change: LeadershipChange): void {
    if (change.topic !== CONSUMER_OFFSETS) return;
    const existing = this.slots.get(change.partition);
    const timedReload = this.timedReloads.get(change.partition);
    const p = change.reason === 'deleted' || change.leader === -1 ? undefined : this.cluster.partition(CONSUMER_OFFSETS, change.partition);
    if (existing !== undefined && timedReload !== undefined && p !== undefined && existing.brokerId === p.leader) {
      this.unloadSlot(existing, true);
      this.loadAfter(existing, p, timedReload);
      return;
    }
    if (existing !== undefined) {
      this.unloadSlot(existing, false);
      this.slots.delete(change.partition);
      // Re-elected in place, the broker keeps the partition: Kafka's runtime does not unload it.
      if (existing.brokerId !== change.leader) {
        this.logs.forBroker(existing.brokerId).info(
          `[GroupCoordinator id=${existing.brokerId}] Finished unloading metadata for ${CONSUMER_OFFSETS}-${change.partition} with epoch ${existing.epoch}.`,
          RUNTIME_LOGGER,
        );
      }
    }
    if (p !== undefined) this.loadShard(p);
  }

  /** Loads the shard by replay; `scheduleLogged` when a timed load already printed its first line. */
  private loadShard(p: PartitionState, scheduleLogged = false): void {
    const started = Date.now();
    const log: ShardLog = new PartitionShardLog(p.log, this.offsetCommitValueVersion, () => p.leaderEpoch, this.compression);
    const logger = this.logs.forBroker(p.leader);
    const identity = { brokerId: p.leader, partition: p.partition };
    const shard = new GroupShard(p.partition, p.leaderEpoch, log, {
      ...this.shardEnv,
      log: (event) => {
        const line = renderGroupLogLine(event, this.logWording, identity);
        if (line !== null) logger.info(line.message, line.logger);
      },
    });
    const slot: ShardSlot = { partition: p.partition, brokerId: p.leader, epoch: p.leaderEpoch, status: 'ACTIVE', shard, cancelLoading: null };
    this.slots.set(p.partition, slot);
    if (!scheduleLogged) {
      const scheduled = loadScheduledLine(this.logWording, identity, p.leaderEpoch);
      logger.info(scheduled.message, scheduled.logger);
    }
    let result: ReturnType<GroupShard['load']>;
    try {
      result = shard.load();
    } catch (error) {
      if (!(error instanceof ConsumerRecordReplayFailure)) throw error;
      this.markReplayFailed(slot, error);
      return;
    }
    const failure = this.failures.get(p.partition);
    if (failure !== undefined && failure.brokerId === p.leader) {
      if (this.stillConflicting(shard, failure)) {
        this.markFailed(slot, { ...failure }, false);
        return;
      }
      this.failures.delete(p.partition);
    }
    const memberRecords = result.groupRecords.flatMap(({ group, value }) =>
      value.members.map((m) => ({
        group,
        generation: value.generation,
        member: { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, sessionTimeoutMs: m.sessionTimeout, rebalanceTimeoutMs: m.rebalanceTimeout, protocols: value.protocol === null ? [] : [value.protocol] },
      })),
    );
    const finished = loadFinishedLines(this.logWording, identity, {
      epoch: p.leaderEpoch,
      elapsedMs: Date.now() - started,
      records: result.records,
      bytes: p.log.sizeInBytes,
      groups: shard.groupSummaries(),
      memberRecords,
    });
    for (const line of finished) logger.info(line.message, line.logger);
  }

  private markFailed(slot: ShardSlot, failure: ShardFailure, loadLogged = true): void {
    this.unloadSlot(slot, true);
    slot.status = 'FAILED';
    const logger = this.logs.forBroker(slot.brokerId);
    // A failure is a load that went wrong, so the broker log shows the load starting first.
    if (loadLogged) {
      const scheduled = loadScheduledLine(this.logWording, { brokerId: slot.brokerId, partition: slot.partition }, slot.epoch);
      logger.info(scheduled.message, scheduled.logger);
    }
    const lines = coordinatorLogLines({ mode: failure.mode, brokerId: slot.brokerId, partition: slot.partition, epoch: slot.epoch, conflict: failure.conflict });
    for (const line of lines) logger.error(line.message, line.logger);
    // The classic coordinator's `finally` still marks the partition owned: it serves, empty.
    if (this.loadFailure === 'offsets-lost') slot.status = 'ACTIVE';
  }

  /**
   * A load stopped by a record the replay refused (a KIP-848 assignment that conflicts with
   * another member's, KAFKA-19862): the shard stays FAILED with the lines Kafka prints, until
   * the log changes or leadership moves, when the next load replays it again.
   */
  private markReplayFailed(slot: ShardSlot, failure: ConsumerRecordReplayFailure): void {
    slot.status = 'FAILED';
    const logger = this.logs.forBroker(slot.brokerId);
    const lines = consumerReplayFailureLines({ brokerId: slot.brokerId, partition: slot.partition, epoch: slot.epoch, record: failure.record, position: failure.position, message: failure.message });
    for (const line of lines) logger.error(line.message, line.logger);
  }

  /** The quoted record still holds its partition's offset (no later commit or tombstone replaced it). */
  private stillConflicting(shard: GroupShard, failure: ShardFailure): boolean {
    const conflict = failure.conflict;
    if (conflict === null) return true;
    return shard.committedOffsets(conflict.group).some(
      (o) => o.topic === conflict.topic && o.partition === conflict.partition && o.recordOffset === conflict.logOffset,
    );
  }

  private unloadSlot(slot: ShardSlot, keepSlot: boolean): void {
    slot.cancelLoading?.();
    slot.cancelLoading = null;
    slot.shard.unload(ErrorCode.NOT_COORDINATOR);
    if (!keepSlot) slot.status = 'FAILED';
  }

  /** The record the failed replay "stopped at": the newest live commit, of `groupId` when one is named. */
  private conflictRecord(slot: ShardSlot, groupId: string | undefined): ReplayedOffsetCommit | null {
    const p = this.cluster.partition(CONSUMER_OFFSETS, slot.partition);
    if (p === undefined) return null;
    const commits = liveCommits(replayShard(new PartitionShardLog(p.log, this.offsetCommitValueVersion, () => p.leaderEpoch, this.compression).readBatches()).offsets);
    return (groupId === undefined ? undefined : commits.filter((c) => c.group === groupId).at(-1)) ?? commits.at(-1) ?? null;
  }

  private requireSlot(partition: number): ShardSlot {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.offsetsPartitions) {
      throw invalidInput('partition', `expected a ${CONSUMER_OFFSETS} partition 0-${this.offsetsPartitions - 1}, got ${String(partition)}`, 'Use the partition of the group (partitionForGroup).');
    }
    const slot = this.slots.get(partition);
    if (slot === undefined) {
      throw invalidInput('partition', `${CONSUMER_OFFSETS}-${partition} has no leader, so no shard is loaded`, 'Start a broker that replicates it first.');
    }
    return slot;
  }

  private schedule(delayMs: number, action: () => void): () => void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }
}
