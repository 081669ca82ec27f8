import { ClassicGroup, type GroupEnvironment, type JoinRequest, type JoinResult, type MemberSummary, type SyncRequest, type SyncResult } from './classic-group.ts';
import type { CoordinatorRecord, ProducerIdentity, ShardLog } from './coordinator-records.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { GroupLogEvent } from './group-log-lines.ts';
import { OffsetStore, type StoredOffset } from './offset-store.ts';
import { replayShard, type ReplayPosition, type ReplayResult } from './replay.ts';
import { ConsumerGroup, ReplayStateError, type ClusterTopic, type HeartbeatRequest, type HeartbeatResponse } from './consumer-group.ts';
import type { ConsumerGroupRecord } from './consumer-group-records.ts';
import { decodeConsumerSubscription } from '../../../lambdas/core/offsets-records/index.ts';

/**
 * One group-coordinator shard: the groups and offsets of one `__consumer_offsets` partition,
 * held by that partition's leader. Every change is written to the partition first and applied
 * to memory only when the write succeeded, so a reload by replay reproduces the same state.
 */
export interface ShardEnvironment {
  now(): number;
  schedule(delayMs: number, action: () => void): () => void;
  newMemberId(prefix: string): string;
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** offsets.retention.ms: how long an Empty group's offsets live after their commit */
  offsetsRetentionMs: number;
  /** offset.metadata.max.bytes */
  maxMetadataBytes: number;
  /**
   * Brokers before 2.1 (OffsetCommitValue v1) stamped every commit with an expiry of commit time
   * plus the retention; later ones only when the request asked for a retention.
   */
  expireTimestampOnEveryCommit?: boolean;
  /** what the shard's groups tell the broker log (the leader's), worded per release by the coordinator */
  log?: (event: GroupLogEvent) => void;
  /**
   * 3.x's classic coordinator writes no GroupMetadata tombstone when expiry empties a group that
   * never had a generation ("only using Kafka for offset storage"); 4.x writes one.
   */
  expiryTombstonesOnlyGenerations?: boolean;
  /**
   * Kafka 4.x's coordinator writes an empty GroupMetadata record (no protocol type, generation 0)
   * when a JoinGroup creates a classic group, so the group exists even if that join goes no further;
   * 3.x's classic coordinator writes nothing until the first generation.
   */
  recordGroupCreation?: boolean;
  /** KIP-848 consumer groups (4.x); absent, the shard is 3.x's classic coordinator and skips their records */
  consumerGroups?: ConsumerGroupSettings;
}

export interface ConsumerGroupSettings {
  topics(): ReadonlyMap<string, ClusterTopic>;
  heartbeatIntervalMs: number;
  sessionTimeoutMs: number;
  subscriptionMetadata: 'hash' | 'record';
  partitionEpochRules: 'strict' | 'lenient';
}

/** A load stopped by a consumer group record Kafka's replay refuses (what the loader logs). */
export class ConsumerRecordReplayFailure extends Error {
  readonly record: ConsumerGroupRecord;
  readonly position: ReplayPosition;
  constructor(record: ConsumerGroupRecord, position: ReplayPosition, cause: Error) {
    super(cause.message);
    this.record = record;
    this.position = position;
  }
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

export interface CommitMember {
  memberId: string;
  generationId: number;
  groupInstanceId: string | null;
}

export interface PartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

export interface FetchedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface GroupDescription {
  groupId: string;
  errorCode: number;
  /** why a DescribeGroups v6 answers GROUP_ID_NOT_FOUND, when the group is not a classic one */
  errorMessage?: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: Array<MemberSummary & { metadata: Buffer }>;
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  state: string;
  groupType: 'classic' | 'consumer';
}

const EMPTY = Buffer.alloc(0);

export class GroupShard {
  readonly partition: number;
  readonly coordinatorEpoch: number;
  private readonly log: ShardLog;
  private readonly env: ShardEnvironment;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly consumerGroups = new Map<string, ConsumerGroup>();
  private offsets = new OffsetStore();

  constructor(partition: number, coordinatorEpoch: number, log: ShardLog, env: ShardEnvironment) {
    this.partition = partition;
    this.coordinatorEpoch = coordinatorEpoch;
    this.log = log;
    this.env = env;
  }

  /**
   * Replays the partition; the shard serves the state it finds. A consumer group record whose
   * replay Kafka refuses throws ConsumerRecordReplayFailure (the shard then holds nothing).
   */
  load(): ReplayResult {
    const replayConsumer =
      this.env.consumerGroups === undefined
        ? undefined
        : (record: ConsumerGroupRecord, position: ReplayPosition) => {
            try {
              this.consumerGroupFor(record.group).replay(record);
            } catch (error) {
              if (error instanceof ReplayStateError) throw new ConsumerRecordReplayFailure(record, position, error);
              throw error;
            }
          };
    let result: ReplayResult;
    try {
      result = replayShard(this.log.readBatches(), replayConsumer);
    } catch (error) {
      this.unload();
      throw error;
    }
    this.offsets = result.offsets;
    for (const [groupId, group] of this.consumerGroups) {
      if (group.deleted) {
        group.close();
        this.consumerGroups.delete(groupId);
      } else {
        group.onLoaded();
      }
    }
    for (const [groupId, value] of result.groups) if (!this.consumerGroups.has(groupId)) this.groupFor(groupId).restore(value);
    for (const groupId of result.offsets.groups()) if (!this.consumerGroups.has(groupId)) this.groupFor(groupId);
    return result;
  }

  /** Leadership moved away or the shard failed: parked requests get `errorCode`, state is dropped. */
  unload(errorCode: number = ErrorCode.NOT_COORDINATOR): void {
    for (const group of this.groups.values()) group.markDead(errorCode);
    this.groups.clear();
    for (const group of this.consumerGroups.values()) group.close();
    this.consumerGroups.clear();
    this.offsets = new OffsetStore();
  }

  /** ConsumerGroupHeartbeat (KIP-848); null when this shard's release has no consumer groups. */
  consumerGroupHeartbeat(groupId: string, request: HeartbeatRequest): HeartbeatResponse | null {
    if (this.env.consumerGroups === undefined) return null;
    const classic = this.groups.get(groupId);
    if (classic !== undefined) {
      // An empty classic group (offsets only) becomes a consumer group; one with members stays classic.
      if (classic.state !== 'Empty' || request.memberEpoch !== 0) {
        return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a consumer group.`, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
      }
      classic.markDead();
      this.groups.delete(groupId);
    }
    let group = this.consumerGroups.get(groupId);
    if (group === undefined) {
      if (request.memberEpoch !== 0) {
        return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Consumer group ${groupId} not found.`, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
      }
      group = this.consumerGroupFor(groupId);
    }
    const response = group.heartbeat(request);
    // A first join that was refused leaves no group behind.
    if (group.groupEpoch === 0 && group.members.size === 0 && !this.offsets.hasOffsets(groupId)) this.consumerGroups.delete(groupId);
    return response;
  }

  /** The consumer group of that id, if it is one (ConsumerGroupDescribe). */
  consumerGroup(groupId: string): ConsumerGroup | undefined {
    return this.consumerGroups.get(groupId);
  }

  /** OffsetFetch v9+ from a consumer group member: NONE, UNKNOWN_MEMBER_ID or STALE_MEMBER_EPOCH. */
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): number {
    const group = this.consumerGroups.get(groupId);
    if (group === undefined || memberId === null || memberEpoch < 0) return ErrorCode.NONE;
    return group.validateMemberEpoch(memberId, memberEpoch);
  }

  private consumerGroupFor(groupId: string): ConsumerGroup {
    let group = this.consumerGroups.get(groupId);
    if (group === undefined) {
      const settings = this.env.consumerGroups!;
      group = new ConsumerGroup(groupId, {
        now: this.env.now,
        schedule: this.env.schedule,
        newMemberId: () => this.env.newMemberId('').slice(1),
        topics: settings.topics,
        heartbeatIntervalMs: settings.heartbeatIntervalMs,
        sessionTimeoutMs: settings.sessionTimeoutMs,
        subscriptionMetadata: settings.subscriptionMetadata,
        partitionEpochRules: settings.partitionEpochRules,
        write: (records) => this.write(records.map((record) => ({ kind: 'consumer', record })), BigInt(this.env.now())) !== null,
        ...(this.env.log === undefined ? {} : { info: (message: string) => this.env.log?.({ kind: 'text', message }) }),
      });
      this.consumerGroups.set(groupId, group);
    }
    return group;
  }

  async join(groupId: string, request: JoinRequest): Promise<JoinResult> {
    // Kafka lets classic members join a consumer group (KIP-848's upgrade path); this cluster does not.
    if (this.consumerGroups.has(groupId)) {
      return { errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: request.memberId, members: [] };
    }
    const created = !this.groups.has(groupId);
    const group = this.groupFor(groupId);
    // A failed write here fails the generation's own write later, which answers NOT_COORDINATOR.
    const recorded = created && this.env.recordGroupCreation === true && this.write([{ kind: 'group', group: groupId, value: group.snapshot() }], BigInt(this.env.now())) !== null;
    const result = await group.join(request);
    // A refused first join must not leave a phantom group behind for ListGroups (unless the log already has it).
    if (!recorded && group.isPristine && !this.offsets.hasOffsets(groupId) && this.groups.get(groupId) === group) this.groups.delete(groupId);
    return result;
  }

  sync(groupId: string, request: SyncRequest): Promise<SyncResult> {
    const group = this.groups.get(groupId);
    if (group === undefined) {
      return Promise.resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: EMPTY });
    }
    return group.sync(request);
  }

  heartbeat(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null): number {
    const group = this.groups.get(groupId);
    return group === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : group.heartbeat(memberId, generationId, groupInstanceId);
  }

  leave(groupId: string, members: { memberId: string; groupInstanceId: string | null; reason?: string | null }[]): { errorCode: number; memberId: string }[] {
    const group = this.groups.get(groupId);
    return members.map((m) =>
      group === undefined ? { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId: m.memberId } : group.leave(m.memberId, m.groupInstanceId, m.reason ?? null),
    );
  }

  /**
   * OffsetCommit. Returns one error per partition; a group-level refusal (wrong generation,
   * unknown member) repeats on every partition, as Kafka answers it.
   */
  commitOffsets(groupId: string, member: CommitMember, offsets: OffsetToCommit[], retentionMs = -1, apiVersion = 9): PartitionResult[] {
    const consumer = this.consumerGroups.get(groupId);
    if (consumer !== undefined) return this.commitToConsumerGroup(consumer, member, offsets, retentionMs, apiVersion);
    const existing = this.groups.get(groupId);
    const group = existing ?? (member.generationId < 0 ? new ClassicGroup(groupId, this.groupEnvironment(groupId)) : undefined);
    const groupError =
      group === undefined ? ErrorCode.ILLEGAL_GENERATION : group.validateMemberCommit(member.memberId, member.generationId, member.groupInstanceId);
    if (groupError !== ErrorCode.NONE) return offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: groupError }));
    if (existing === undefined && group !== undefined) {
      this.groups.set(groupId, group);
      this.env.log?.({ kind: 'simple-group-created', group: groupId });
    }
    const now = BigInt(this.env.now());
    const accepted: OffsetToCommit[] = [];
    const results = offsets.map((o) => {
      const tooLarge = o.metadata !== null && Buffer.byteLength(o.metadata, 'utf8') > this.env.maxMetadataBytes;
      if (!tooLarge) accepted.push(o);
      return { topic: o.topic, partition: o.partition, errorCode: tooLarge ? ErrorCode.OFFSET_METADATA_TOO_LARGE : ErrorCode.NONE };
    });
    if (accepted.length === 0) return results;
    const stored = this.writeOffsets(groupId, accepted, now, this.expireTimestamp(now, retentionMs));
    if (stored === null) return offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NOT_COORDINATOR }));
    for (const offset of stored) this.offsets.commit(groupId, offset);
    return results;
  }

  /**
   * A consumer group's commit carries the member epoch (OffsetCommit v9+): an admin commit
   * (epoch -1) is accepted only while the group is empty; a member using the consumer protocol
   * must use v9 or later.
   */
  private commitToConsumerGroup(group: ConsumerGroup, member: CommitMember, offsets: OffsetToCommit[], retentionMs: number, apiVersion: number): PartitionResult[] {
    let error = group.validateMemberEpoch(member.memberId, member.generationId);
    if (error === ErrorCode.NONE && apiVersion < 9 && group.members.has(member.memberId)) error = ErrorCode.UNSUPPORTED_VERSION;
    if (error !== ErrorCode.NONE) return offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: error }));
    const now = BigInt(this.env.now());
    const accepted = offsets.filter((o) => o.metadata === null || Buffer.byteLength(o.metadata, 'utf8') <= this.env.maxMetadataBytes);
    const results = offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: accepted.includes(o) ? ErrorCode.NONE : ErrorCode.OFFSET_METADATA_TOO_LARGE }));
    if (accepted.length === 0) return results;
    const stored = this.writeOffsets(group.groupId, accepted, now, this.expireTimestamp(now, retentionMs));
    if (stored === null) return offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NOT_COORDINATOR }));
    for (const offset of stored) this.offsets.commit(group.groupId, offset);
    return results;
  }

  /** TxnOffsetCommit: written in the producer's transactional batch, applied on its COMMIT marker. */
  commitTransactionalOffsets(groupId: string, producer: ProducerIdentity, member: CommitMember, offsets: OffsetToCommit[]): PartitionResult[] {
    const consumer = this.consumerGroups.get(groupId);
    const existing = this.groups.get(groupId);
    if (consumer !== undefined) {
      // A consumer group checks every transactional commit's member epoch (an empty group takes -1).
      const error = consumer.validateMemberEpoch(member.memberId, member.generationId);
      if (error !== ErrorCode.NONE) return offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: error }));
    } else if (existing !== undefined && (member.generationId >= 0 || member.memberId !== '')) {
      const error = existing.validateMemberCommit(member.memberId, member.generationId, member.groupInstanceId);
      if (error !== ErrorCode.NONE) return offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: error }));
    }
    if (existing === undefined && consumer === undefined) this.groups.set(groupId, new ClassicGroup(groupId, this.groupEnvironment(groupId)));
    const now = BigInt(this.env.now());
    // TxnOffsetCommit carries no retention time, so no expire timestamp; pending until the COMMIT marker.
    const stored = this.writeOffsets(groupId, offsets, now, -1n, producer);
    if (stored === null) return offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NOT_COORDINATOR }));
    for (const offset of stored) this.offsets.addPending(producer.producerId, groupId, offset);
    return offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NONE }));
  }

  /** EndTxn reaching this partition: the marker is written, then pending offsets apply or vanish. */
  completeTransaction(producer: ProducerIdentity, commit: boolean, coordinatorEpoch: number): number {
    try {
      this.log.appendControl(commit ? 'COMMIT' : 'ABORT', producer, coordinatorEpoch, BigInt(this.env.now()));
    } catch {
      return ErrorCode.NOT_COORDINATOR;
    }
    this.offsets.completeTransaction(producer.producerId, commit);
    return ErrorCode.NONE;
  }

  /** OffsetFetch for one group; `topics` null means every partition the group has an offset for. */
  fetchOffsets(groupId: string, topics: { topic: string; partitions: number[] }[] | null, requireStable: boolean): FetchedOffset[] {
    const wanted =
      topics === null
        ? this.offsets.list(groupId).map((o) => ({ topic: o.topic, partition: o.partition }))
        : topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    return wanted.map(({ topic, partition }) => {
      if (requireStable && this.offsets.hasPending(groupId, topic, partition)) {
        return { topic, partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      const stored = this.offsets.get(groupId, topic, partition);
      return stored === undefined
        ? { topic, partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
        : { topic, partition, offset: stored.offset, leaderEpoch: stored.leaderEpoch, metadata: stored.metadata, errorCode: ErrorCode.NONE };
    });
  }

  /** OffsetDelete: only partitions of topics no member subscribes to may go. */
  deleteOffsets(
    groupId: string,
    topics: { topic: string; partitions: number[] }[],
    subscribedTopics: (group: ClassicGroup) => Set<string> | null,
  ): { errorCode: number; partitions: PartitionResult[] } {
    const consumer = this.consumerGroups.get(groupId);
    const group = this.groups.get(groupId);
    if (consumer === undefined && (group === undefined || group.state === 'Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [] };
    // A consumer group always knows its members' subscriptions; an empty one protects no topic.
    const empty = consumer !== undefined ? consumer.members.size === 0 : group!.state === 'Empty';
    const subscribed = empty ? null : consumer !== undefined ? consumer.subscribedTopicNames() : subscribedTopics(group!);
    if (!empty && subscribed === null) return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: [] };
    const results: PartitionResult[] = [];
    const tombstones: CoordinatorRecord[] = [];
    for (const { topic, partitions } of topics) {
      for (const partition of partitions) {
        if (subscribed?.has(topic) === true) {
          results.push({ topic, partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC });
          continue;
        }
        results.push({ topic, partition, errorCode: ErrorCode.NONE });
        if (this.offsets.get(groupId, topic, partition) !== undefined) {
          tombstones.push({ kind: 'offset', group: groupId, topic, partition, value: null });
        }
      }
    }
    if (tombstones.length > 0) {
      if (this.write(tombstones, BigInt(this.env.now())) === null) return { errorCode: ErrorCode.NOT_COORDINATOR, partitions: [] };
      for (const t of tombstones) if (t.kind === 'offset') this.offsets.remove(groupId, t.topic, t.partition);
    }
    const deleted = tombstones.flatMap((t) => (t.kind === 'offset' ? [`${t.topic}-${t.partition}`] : []));
    this.env.log?.({ kind: 'offsets-deleted', group: groupId, partitions: deleted });
    return { errorCode: ErrorCode.NONE, partitions: results };
  }

  /** DeleteGroups for this shard's groups of a request: an error code per group, one log line for those deleted. */
  deleteGroups(groupIds: string[]): number[] {
    const deleted: string[] = [];
    let offsets = 0;
    const codes = groupIds.map((groupId) => {
      const count = this.offsets.list(groupId).length;
      const errorCode = this.deleteGroup(groupId);
      if (errorCode === ErrorCode.NONE) {
        deleted.push(groupId);
        offsets += count;
      }
      return errorCode;
    });
    if (deleted.length > 0) this.env.log?.({ kind: 'groups-deleted', groups: deleted, offsets });
    return codes;
  }

  /** DeleteGroups for one group: only an Empty group goes, with tombstones for its offsets and metadata. */
  deleteGroup(groupId: string): number {
    const consumer = this.consumerGroups.get(groupId);
    if (consumer !== undefined) {
      if (consumer.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
      const records: CoordinatorRecord[] = this.offsets
        .list(groupId)
        .map((o): CoordinatorRecord => ({ kind: 'offset', group: groupId, topic: o.topic, partition: o.partition, value: null }));
      for (const record of consumer.deletionRecords()) records.push({ kind: 'consumer', record });
      if (this.write(records, BigInt(this.env.now())) === null) return ErrorCode.NOT_COORDINATOR;
      this.offsets.removeGroup(groupId);
      consumer.close();
      this.consumerGroups.delete(groupId);
      return ErrorCode.NONE;
    }
    const group = this.groups.get(groupId);
    if (group === undefined || group.state === 'Dead') return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group.state !== 'Empty') return ErrorCode.NON_EMPTY_GROUP;
    const records: CoordinatorRecord[] = this.offsets
      .list(groupId)
      .map((o) => ({ kind: 'offset', group: groupId, topic: o.topic, partition: o.partition, value: null }));
    records.push({ kind: 'group', group: groupId, value: null });
    if (this.write(records, BigInt(this.env.now())) === null) return ErrorCode.NOT_COORDINATOR;
    this.offsets.removeGroup(groupId);
    group.markDead();
    this.groups.delete(groupId);
    return ErrorCode.NONE;
  }

  describe(groupId: string): GroupDescription {
    if (this.consumerGroups.has(groupId)) {
      return { groupId, errorCode: ErrorCode.NONE, errorMessage: `Group ${groupId} is not a classic group.`, state: 'Dead', protocolType: '', protocol: '', members: [] };
    }
    const group = this.groups.get(groupId);
    if (group === undefined) {
      return { groupId, errorCode: ErrorCode.NONE, state: 'Dead', protocolType: '', protocol: '', members: [] };
    }
    // Kafka shows member metadata and assignments only once the group is Stable.
    const stable = group.state === 'Stable';
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocol: stable ? (group.protocol ?? '') : '',
      members: group.memberSummaries().map((m) => ({
        ...m,
        metadata: stable ? (m.protocols.find((p) => p.name === group.protocol)?.metadata ?? EMPTY) : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  list(): ListedGroup[] {
    const classic = [...this.groups.values()]
      .filter((g) => g.state !== 'Dead')
      .map((g): ListedGroup => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, groupType: 'classic' }));
    const consumer = [...this.consumerGroups.values()].map((g): ListedGroup => ({ groupId: g.groupId, protocolType: 'consumer', state: g.state, groupType: 'consumer' }));
    return [...classic, ...consumer];
  }

  /** Every group the shard serves, with its generation and member count (the load's log lines). */
  groupSummaries(): Array<{ group: string; generation: number; members: number }> {
    return [...this.groups.values()].filter((g) => g.state !== 'Dead').map((g) => ({ group: g.groupId, generation: g.generationId, members: g.memberCount }));
  }

  hasGroup(groupId: string): boolean {
    return this.groups.has(groupId) || this.consumerGroups.has(groupId);
  }

  committedOffsets(groupId: string): StoredOffset[] {
    return this.offsets.list(groupId);
  }

  /**
   * Offset retention, by Kafka's rules (`ClassicGroup.offsetExpirationCondition`): see
   * `ClassicGroup.offsetRetentionStart`. Expired offsets get tombstones; an Empty group left with
   * no offsets and no open transaction is removed (its metadata tombstoned too, except on 3.x for
   * a group that never had a generation), as Kafka's periodic cleanup does. Answers the number of
   * offsets expired.
   */
  expireOffsets(decodeSubscription: (metadata: Buffer) => string[] = subscriptionTopics): number {
    const now = BigInt(this.env.now());
    let expired = 0;
    for (const group of [...this.groups.values()]) {
      const retentionStart = group.offsetRetentionStart();
      if (retentionStart === null) continue;
      const subscribed = group.state === 'Stable' ? group.subscribedTopics(decodeSubscription) : new Set<string>();
      if (subscribed === null) continue;
      const stale = this.offsets.expired(group.groupId, now, BigInt(this.env.offsetsRetentionMs), retentionStart, (topic) => subscribed.has(topic));
      const emptied =
        group.state === 'Empty' && stale.length === this.offsets.list(group.groupId).length && !this.offsets.hasPendingForGroup(group.groupId);
      if (stale.length === 0 && !emptied) continue;
      const records: CoordinatorRecord[] = stale.map((o) => ({ kind: 'offset', group: group.groupId, topic: o.topic, partition: o.partition, value: null }));
      if (emptied && (this.env.expiryTombstonesOnlyGenerations !== true || group.generationId > 0)) records.push({ kind: 'group', group: group.groupId, value: null });
      if (records.length > 0 && this.write(records, now) === null) return expired;
      for (const o of stale) this.offsets.remove(group.groupId, o.topic, o.partition);
      if (emptied) {
        this.env.log?.({ kind: 'group-expired', group: group.groupId, generation: group.generationId });
        group.markDead();
        this.groups.delete(group.groupId);
      }
      expired += stale.length;
    }
    return expired + this.expireConsumerGroupOffsets(now);
  }

  /**
   * A consumer group's offsets expire a retention after their commit unless a member subscribes
   * to their topic (Kafka's condition for consumer groups); an empty group left without offsets
   * is deleted with its records' tombstones.
   */
  private expireConsumerGroupOffsets(now: bigint): number {
    let expired = 0;
    for (const group of [...this.consumerGroups.values()]) {
      const subscribed = group.subscribedTopicNames();
      const stale = this.offsets.expired(group.groupId, now, BigInt(this.env.offsetsRetentionMs), (commitTimestamp) => commitTimestamp, (topic) => subscribed.has(topic));
      const emptied = group.members.size === 0 && stale.length === this.offsets.list(group.groupId).length && !this.offsets.hasPendingForGroup(group.groupId);
      if (stale.length === 0 && !emptied) continue;
      const records: CoordinatorRecord[] = stale.map((o) => ({ kind: 'offset', group: group.groupId, topic: o.topic, partition: o.partition, value: null }));
      if (emptied) for (const record of group.deletionRecords()) records.push({ kind: 'consumer', record });
      if (this.write(records, now) === null) return expired;
      for (const o of stale) this.offsets.remove(group.groupId, o.topic, o.partition);
      if (emptied) {
        group.close();
        this.consumerGroups.delete(group.groupId);
      }
      expired += stale.length;
    }
    return expired;
  }

  private expireTimestamp(now: bigint, retentionMs: number): bigint {
    if (retentionMs >= 0) return now + BigInt(retentionMs);
    return this.env.expireTimestampOnEveryCommit === true ? now + BigInt(this.env.offsetsRetentionMs) : -1n;
  }

  private groupFor(groupId: string): ClassicGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = new ClassicGroup(groupId, this.groupEnvironment(groupId));
      this.groups.set(groupId, group);
    }
    return group;
  }

  private groupEnvironment(groupId: string): GroupEnvironment {
    return {
      now: this.env.now,
      schedule: this.env.schedule,
      newMemberId: this.env.newMemberId,
      initialRebalanceDelayMs: this.env.initialRebalanceDelayMs,
      minSessionTimeoutMs: this.env.minSessionTimeoutMs,
      maxSessionTimeoutMs: this.env.maxSessionTimeoutMs,
      ...(this.env.log === undefined ? {} : { log: this.env.log }),
      persist: (value) =>
        this.write([{ kind: 'group', group: groupId, value }], BigInt(this.env.now())) === null
          ? ErrorCode.NOT_COORDINATOR
          : ErrorCode.NONE,
    };
  }

  /** Appends to the partition; null when the write failed (the caller answers NOT_COORDINATOR). */
  /**
   * Writes offset commits to the partition in one batch (transactional when `producer` is set):
   * the offsets as stored, with their record offsets, or null when the partition refused them.
   */
  private writeOffsets(groupId: string, offsets: OffsetToCommit[], now: bigint, expireTimestamp: bigint, producer?: ProducerIdentity): StoredOffset[] | null {
    const values = offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      leaderEpoch: o.leaderEpoch,
      metadata: o.metadata ?? '',
      commitTimestamp: now,
      expireTimestamp,
    }));
    const baseOffset = this.write(
      values.map((v) => ({ kind: 'offset', group: groupId, topic: v.topic, partition: v.partition, value: v })),
      now,
      producer,
    );
    if (baseOffset === null) return null;
    return values.map((v, i) => ({
      ...v,
      recordOffset: baseOffset + BigInt(i),
      producerId: producer?.producerId ?? -1n,
      producerEpoch: producer?.producerEpoch ?? -1,
    }));
  }

  private write(records: CoordinatorRecord[], timestamp: bigint, producer?: ProducerIdentity): bigint | null {
    try {
      return this.log.appendRecords(records, timestamp, producer);
    } catch {
      return null;
    }
  }
}

/** The topics a consumer-protocol member subscribes to; none when its metadata does not decode. */
function subscriptionTopics(metadata: Buffer): string[] {
  try {
    return decodeConsumerSubscription(metadata).topics;
  } catch {
    return [];
  }
}
