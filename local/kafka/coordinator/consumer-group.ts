import { ErrorCode } from '../protocol/error-codes.ts';
import { assignPartitions, CONSUMER_GROUP_ASSIGNORS, type AssignorName, type TopicAssignment } from './consumer-group-assignor.ts';
import {
  javaUuidString,
  MemberState,
  type ConsumerGroupRecord,
  type ConsumerMemberMetadata,
  type CurrentMemberAssignment,
  type ResolvedRegularExpression,
  type SubscribedTopicMetadata,
} from './consumer-group-records.ts';

/**
 * One KIP-848 consumer group (ConsumerGroupHeartbeat), modelled on Kafka's GroupMetadataManager
 * and ConsumerGroup: every change is a list of records written first and then applied by
 * `replay`, the same function a shard's load runs, so a reload rebuilds exactly this state, and
 * a record the real broker cannot replay fails the load here too.
 */

export interface ClusterTopic {
  topicId: string;
  partitions: number;
}

export interface ConsumerGroupEnvironment {
  now(): number;
  schedule(delayMs: number, action: () => void): () => void;
  newMemberId(): string;
  /** the cluster's topics by name, as the coordinator's metadata image sees them */
  topics(): ReadonlyMap<string, ClusterTopic>;
  /** group.consumer.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** group.consumer.session.timeout.ms */
  sessionTimeoutMs: number;
  /**
   * How the subscribed topics' metadata is persisted: 4.1 and later hash it into the group epoch
   * record (type 3's tagged MetadataHash); 4.0 writes it as ConsumerGroupPartitionMetadata (4).
   */
  subscriptionMetadata: 'hash' | 'record';
  /**
   * Partition-epoch bookkeeping on replay: 'strict' is 4.1.1 (any overlap or mismatch throws,
   * KAFKA-19862); 'lenient' is the fix in 4.0.2/4.1.2 (a newer epoch takes over an older owner,
   * a mismatched removal is ignored).
   */
  partitionEpochRules: 'strict' | 'lenient';
  /** appends the records to the shard's partition; false when the write failed */
  write(records: ConsumerGroupRecord[]): boolean;
  info?: (message: string) => void;
}

export interface ConsumerMember {
  memberId: string;
  metadata: ConsumerMemberMetadata;
  assignment: CurrentMemberAssignment;
}

export interface HeartbeatRequest {
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** null when unchanged since the last heartbeat */
  ownedTopicPartitions: TopicAssignment | null;
  clientId: string;
  clientHost: string;
}

export interface HeartbeatResponse {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: TopicAssignment | null;
}

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

/** librdkafka sends an empty SubscribedTopicRegex with a subscription by names; Kafka stores it as such. */
function hasRegex(metadata: ConsumerMemberMetadata): boolean {
  return metadata.subscribedTopicRegex !== null && metadata.subscribedTopicRegex !== '';
}

/** The error a replayed record raises; Kafka's loader quotes its message. */
export class ReplayStateError extends Error {}

const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;
const REGEX_REFRESH_MS = 10_000;
const EMPTY_ASSIGNMENT: CurrentMemberAssignment = {
  memberEpoch: 0,
  previousMemberEpoch: 0,
  state: MemberState.STABLE,
  assignedPartitions: new Map(),
  partitionsPendingRevocation: new Map(),
};

function sameAssignment(a: TopicAssignment, b: TopicAssignment): boolean {
  const nonEmpty = (m: TopicAssignment) => [...m].filter(([, p]) => p.size > 0);
  const left = nonEmpty(a);
  if (left.length !== nonEmpty(b).length) return false;
  return left.every(([topic, partitions]) => {
    const other = b.get(topic);
    return other !== undefined && other.size === partitions.size && [...partitions].every((p) => other.has(p));
  });
}

function sameCurrent(a: CurrentMemberAssignment, b: CurrentMemberAssignment): boolean {
  return (
    a.memberEpoch === b.memberEpoch &&
    a.previousMemberEpoch === b.previousMemberEpoch &&
    a.state === b.state &&
    sameAssignment(a.assignedPartitions, b.assignedPartitions) &&
    sameAssignment(a.partitionsPendingRevocation, b.partitionsPendingRevocation)
  );
}

function sameMetadata(a: ConsumerMemberMetadata, b: ConsumerMemberMetadata): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function heartbeatError(errorCode: number, errorMessage: string | null, memberId: string | null = null): HeartbeatResponse {
  return { errorCode, errorMessage, memberId, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

/** A 64-bit hash of the subscribed topics' ids, names and sizes: it moves when any of them changes. */
export function subscriptionMetadataHash(topics: readonly SubscribedTopicMetadata[]): bigint {
  if (topics.length === 0) return 0n;
  let hash = 0xcbf29ce484222325n;
  const text = [...topics].sort((a, b) => a.topicName.localeCompare(b.topicName)).map((t) => `${t.topicId}:${t.topicName}:${t.numPartitions}`).join('|');
  for (const byte of Buffer.from(text, 'utf8')) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return BigInt.asIntN(64, hash);
}

export class ConsumerGroup {
  readonly groupId: string;
  private readonly env: ConsumerGroupEnvironment;
  groupEpoch = 0;
  metadataHash = 0n;
  private subscribedMetadata: SubscribedTopicMetadata[] = [];
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  readonly targets = new Map<string, TopicAssignment>();
  private readonly partitionEpochs = new Map<string, Map<number, number>>();
  readonly regexes = new Map<string, ResolvedRegularExpression>();
  private readonly sessionTimers = new Map<string, () => void>();
  private readonly rebalanceTimers = new Map<string, () => void>();
  private regexResolution: (() => void) | null = null;
  private lastRegexRefresh = 0;
  /** the group has been deleted by a tombstone of its epoch record */
  deleted = false;

  constructor(groupId: string, env: ConsumerGroupEnvironment) {
    this.groupId = groupId;
    this.env = env;
  }

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) {
      if (m.assignment.state !== MemberState.STABLE || m.assignment.memberEpoch !== this.assignmentEpoch) return 'Reconciling';
    }
    return 'Stable';
  }

  /**
   * After a load, as Kafka's onLoaded: every member gets a fresh session timeout (one that never
   * heartbeats to this coordinator is fenced), a member still revoking its rebalance timeout.
   */
  onLoaded(): void {
    for (const member of this.members.values()) {
      this.scheduleSessionTimeout(member.memberId);
      if (member.assignment.state === MemberState.UNREVOKED_PARTITIONS) {
        this.scheduleRebalanceTimeout(member.memberId, member.assignment.memberEpoch, member.metadata.rebalanceTimeoutMs);
      }
    }
  }

  /** Stops the group's timers (the shard unloads). */
  close(): void {
    for (const cancel of [...this.sessionTimers.values(), ...this.rebalanceTimers.values()]) cancel();
    this.sessionTimers.clear();
    this.rebalanceTimers.clear();
    this.regexResolution?.();
    this.regexResolution = null;
  }

  // ---------------------------------------------------------------- replay

  /** Applies one record, as Kafka's replay does; throws ReplayStateError where Kafka's throws. */
  replay(record: ConsumerGroupRecord): void {
    switch (record.type) {
      case 3:
        if (record.value === null) {
          this.deleted = true;
          return;
        }
        this.groupEpoch = record.value.epoch;
        this.metadataHash = record.value.metadataHash;
        return;
      case 4:
        this.subscribedMetadata = record.value?.topics ?? [];
        return;
      case 5: {
        if (record.value === null) {
          const old = this.members.get(record.memberId);
          if (old !== undefined) this.removePartitionEpochsOf(old.assignment);
          this.members.delete(record.memberId);
          return;
        }
        const existing = this.members.get(record.memberId);
        if (existing !== undefined) existing.metadata = record.value;
        else this.members.set(record.memberId, { memberId: record.memberId, metadata: record.value, assignment: { ...EMPTY_ASSIGNMENT } });
        return;
      }
      case 6:
        this.assignmentEpoch = record.value?.assignmentEpoch ?? 0;
        return;
      case 7:
        if (record.value === null) this.targets.delete(record.memberId);
        else this.targets.set(record.memberId, record.value.partitions);
        return;
      case 8: {
        const member = this.members.get(record.memberId) ?? this.placeholderMember(record.memberId);
        const next: CurrentMemberAssignment =
          record.value ?? { memberEpoch: LEAVE_EPOCH, previousMemberEpoch: LEAVE_EPOCH, state: MemberState.STABLE, assignedPartitions: new Map(), partitionsPendingRevocation: new Map() };
        this.removePartitionEpochsOf(member.assignment);
        this.addPartitionEpochs(next.assignedPartitions, next.memberEpoch);
        this.addPartitionEpochs(next.partitionsPendingRevocation, next.memberEpoch);
        member.assignment = next;
        return;
      }
      case 16:
        if (record.value === null) this.regexes.delete(record.regex);
        else this.regexes.set(record.regex, record.value);
        return;
    }
  }

  private placeholderMember(memberId: string): ConsumerMember {
    const member: ConsumerMember = {
      memberId,
      metadata: { instanceId: null, rackId: null, clientId: '', clientHost: '', subscribedTopicNames: [], subscribedTopicRegex: null, rebalanceTimeoutMs: -1, serverAssignor: null },
      assignment: { ...EMPTY_ASSIGNMENT },
    };
    this.members.set(memberId, member);
    return member;
  }

  private removePartitionEpochsOf(assignment: CurrentMemberAssignment): void {
    this.removePartitionEpochs(assignment.assignedPartitions, assignment.memberEpoch);
    this.removePartitionEpochs(assignment.partitionsPendingRevocation, assignment.memberEpoch);
  }

  private removePartitionEpochs(assignment: TopicAssignment, expectedEpoch: number): void {
    const strict = this.env.partitionEpochRules === 'strict';
    for (const [topicId, partitions] of assignment) {
      if (partitions.size === 0) continue;
      const epochs = this.partitionEpochs.get(topicId);
      if (epochs === undefined) {
        if (strict) throw new ReplayStateError(`Cannot remove the epoch ${expectedEpoch} from ${javaUuidString(topicId)} because it does not have any epoch`);
        continue;
      }
      for (const p of partitions) {
        const owned = epochs.get(p);
        if (owned !== expectedEpoch) {
          if (strict) {
            epochs.delete(p);
            throw new ReplayStateError(`Cannot remove the epoch ${expectedEpoch} from ${javaUuidString(topicId)}-${p} because the partition is still owned at a different epoch ${owned ?? 'null'}`);
          }
          continue;
        }
        epochs.delete(p);
      }
      if (epochs.size === 0) this.partitionEpochs.delete(topicId);
    }
  }

  private addPartitionEpochs(assignment: TopicAssignment, epoch: number): void {
    const strict = this.env.partitionEpochRules === 'strict';
    for (const [topicId, partitions] of assignment) {
      if (partitions.size === 0) continue;
      let epochs = this.partitionEpochs.get(topicId);
      if (epochs === undefined) this.partitionEpochs.set(topicId, (epochs = new Map()));
      for (const p of partitions) {
        const owned = epochs.get(p);
        if (owned !== undefined && (strict || owned >= epoch)) {
          throw new ReplayStateError(`Cannot set the epoch of ${javaUuidString(topicId)}-${p} to ${epoch} because the partition is still owned at epoch ${owned}`);
        }
        epochs.set(p, epoch);
      }
    }
  }

  /** The epoch a partition is owned at, -1 when free. */
  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(topicId)?.get(partition) ?? -1;
  }

  // ---------------------------------------------------------------- heartbeat

  heartbeat(request: HeartbeatRequest): HeartbeatResponse {
    const invalid = this.validate(request);
    if (invalid !== null) return heartbeatError(ErrorCode.INVALID_REQUEST, invalid);
    if (request.serverAssignor !== null && !(CONSUMER_GROUP_ASSIGNORS as readonly string[]).includes(request.serverAssignor)) {
      return heartbeatError(
        ErrorCode.UNSUPPORTED_ASSIGNOR,
        `ServerAssignor ${request.serverAssignor} is not supported. Supported assignors: ${CONSUMER_GROUP_ASSIGNORS.join(', ')}.`,
      );
    }
    if (request.memberEpoch === STATIC_LEAVE_EPOCH) return this.staticLeave(request.memberId, request.instanceId!);
    if (request.memberEpoch === LEAVE_EPOCH) return this.leave(request.memberId, request.memberEpoch);

    const memberId = request.memberId === '' ? this.env.newMemberId() : request.memberId;
    let existing = this.members.get(memberId);
    if (request.instanceId !== null) {
      const holder = this.staticMember(request.instanceId);
      if (request.memberEpoch === 0 && holder !== undefined && holder.memberId !== memberId) {
        if (holder.assignment.memberEpoch !== STATIC_LEAVE_EPOCH) {
          return heartbeatError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${holder.memberId} with instance id ${request.instanceId} is not released yet.`, memberId);
        }
        if (!this.replaceStaticMember(holder, memberId)) return heartbeatError(ErrorCode.NOT_COORDINATOR, null, memberId);
        existing = this.members.get(memberId);
      } else if (request.memberEpoch !== 0) {
        if (holder === undefined) return heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${request.instanceId} is unknown.`, memberId);
        if (holder.memberId !== memberId) {
          return heartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${request.instanceId} was fenced by member ${holder.memberId}.`, memberId);
        }
      }
    }
    if (request.memberEpoch !== 0) {
      if (existing === undefined) return heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${this.groupId}.`, memberId);
      const fenced = this.epochProblem(existing, request.memberEpoch, request.ownedTopicPartitions);
      if (fenced !== null) return heartbeatError(ErrorCode.FENCED_MEMBER_EPOCH, fenced, memberId);
    }
    const member: ConsumerMember = existing ?? { memberId, metadata: this.newMetadata(request), assignment: { ...EMPTY_ASSIGNMENT } };
    const records: ConsumerGroupRecord[] = [];
    const metadata: ConsumerMemberMetadata = {
      instanceId: request.instanceId ?? member.metadata.instanceId,
      rackId: request.rackId ?? member.metadata.rackId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      subscribedTopicNames: request.subscribedTopicNames ?? member.metadata.subscribedTopicNames,
      subscribedTopicRegex: request.subscribedTopicRegex ?? member.metadata.subscribedTopicRegex,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs === -1 ? member.metadata.rebalanceTimeoutMs : request.rebalanceTimeoutMs,
      serverAssignor: request.serverAssignor ?? member.metadata.serverAssignor,
    };
    const isNew = existing === undefined;
    // Replay replaces the member's assignment object; the response compares against this one.
    const before = member.assignment;
    let bumpEpoch = false;
    if (isNew || !sameMetadata(metadata, member.metadata)) {
      records.push({ type: 5, group: this.groupId, memberId, value: metadata });
      bumpEpoch =
        isNew ||
        JSON.stringify(metadata.subscribedTopicNames) !== JSON.stringify(member.metadata.subscribedTopicNames) ||
        metadata.subscribedTopicRegex !== member.metadata.subscribedTopicRegex ||
        metadata.serverAssignor !== member.metadata.serverAssignor;
    }
    if (isNew) this.env.info?.(`[GroupId ${this.groupId}] Member ${memberId} joins the consumer group using the consumer protocol.`);

    // The subscribed topics' metadata, with this member's new subscription.
    const subscribed = this.subscribedTopics(new Map([[memberId, metadata]]));
    let groupEpoch = this.groupEpoch;
    if (this.env.subscriptionMetadata === 'record') {
      if (JSON.stringify(subscribed) !== JSON.stringify(this.subscribedMetadata)) {
        records.push({ type: 4, group: this.groupId, value: { topics: subscribed } });
        bumpEpoch = true;
      }
    } else if (subscriptionMetadataHash(subscribed) !== this.metadataHash) {
      bumpEpoch = true;
    }
    if (bumpEpoch) {
      groupEpoch += 1;
      records.push({ type: 3, group: this.groupId, value: { epoch: groupEpoch, metadataHash: this.env.subscriptionMetadata === 'hash' ? subscriptionMetadataHash(subscribed) : 0n } });
      this.env.info?.(`[GroupId ${this.groupId}] Bumped group epoch to ${groupEpoch}.`);
    }

    // The target assignment follows the group epoch.
    let targets: ReadonlyMap<string, TopicAssignment> = this.targets;
    if (groupEpoch > this.assignmentEpoch) {
      const memberSubscriptions = new Map([...this.members].map(([id, m]) => [id, m.metadata]));
      memberSubscriptions.set(memberId, metadata);
      const computed = this.computeTargets(memberSubscriptions, subscribed);
      for (const [id, partitions] of computed) {
        const before = this.targets.get(id);
        if (before === undefined || !sameAssignment(before, partitions)) records.push({ type: 7, group: this.groupId, memberId: id, value: { partitions } });
      }
      records.push({ type: 6, group: this.groupId, value: { assignmentEpoch: groupEpoch } });
      targets = computed;
    }
    const targetEpoch = groupEpoch > this.assignmentEpoch ? groupEpoch : this.assignmentEpoch;

    // Reconciliation towards the target, one step per heartbeat.
    const next = this.reconcile(member.assignment, targetEpoch, targets.get(memberId) ?? new Map(), request.ownedTopicPartitions);
    if (!sameCurrent(next, member.assignment) || isNew) {
      records.push({ type: 8, group: this.groupId, memberId, value: next });
    }
    if (records.length > 0) {
      if (!this.env.write(records)) return heartbeatError(ErrorCode.NOT_COORDINATOR, null, memberId);
      for (const r of records) this.replay(r);
    }
    const updated = this.members.get(memberId)!;
    this.scheduleSessionTimeout(memberId);
    if (updated.assignment.state === MemberState.UNREVOKED_PARTITIONS) this.scheduleRebalanceTimeout(memberId, updated.assignment.memberEpoch, metadata.rebalanceTimeoutMs);
    else this.cancelRebalanceTimeout(memberId);
    if (hasRegex(metadata)) this.maybeResolveRegexes();

    const fullRequest = request.memberEpoch === 0 || (request.rebalanceTimeoutMs !== -1 && request.subscribedTopicNames !== null && request.ownedTopicPartitions !== null);
    const changed = !sameAssignment(updated.assignment.assignedPartitions, before.assignedPartitions);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: updated.assignment.memberEpoch,
      heartbeatIntervalMs: this.env.heartbeatIntervalMs,
      assignment: fullRequest || changed || isNew ? updated.assignment.assignedPartitions : null,
    };
  }

  private validate(request: HeartbeatRequest): string | null {
    if (request.instanceId === '') return "InstanceId can't be empty.";
    if (request.rackId === '') return "RackId can't be empty.";
    if (request.memberEpoch > 0 || request.memberEpoch === LEAVE_EPOCH || request.memberEpoch === STATIC_LEAVE_EPOCH) {
      if (request.memberId === '') return "MemberId can't be empty.";
      if (request.memberEpoch === STATIC_LEAVE_EPOCH && request.instanceId === null) return "InstanceId can't be null.";
      return null;
    }
    if (request.memberEpoch !== 0) return 'MemberEpoch is invalid.';
    if (request.rebalanceTimeoutMs === -1) return 'RebalanceTimeoutMs must be provided in first request.';
    if (request.ownedTopicPartitions === null || request.ownedTopicPartitions.size > 0) return 'TopicPartitions must be empty when (re-)joining.';
    const names = request.subscribedTopicNames ?? [];
    if (names.length === 0 && (request.subscribedTopicRegex ?? '') === '') return 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.';
    if (request.subscribedTopicRegex !== null && request.subscribedTopicRegex !== '') {
      try {
        new RegExp(request.subscribedTopicRegex);
      } catch {
        return `SubscribedTopicRegex ${request.subscribedTopicRegex} is not a valid regular expression.`;
      }
    }
    return null;
  }

  private epochProblem(member: ConsumerMember, received: number, owned: TopicAssignment | null): string | null {
    const known = member.assignment.memberEpoch;
    if (received > known) {
      return `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${known}). The member must abandon all its partitions and rejoin.`;
    }
    if (received < known) {
      const subset = owned !== null && [...owned].every(([t, ps]) => [...ps].every((p) => member.assignment.assignedPartitions.get(t)?.has(p) === true));
      if (received !== member.assignment.previousMemberEpoch || !subset) {
        return `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${known}). The member must abandon all its partitions and rejoin.`;
      }
    }
    return null;
  }

  private newMetadata(request: HeartbeatRequest): ConsumerMemberMetadata {
    return {
      instanceId: request.instanceId,
      rackId: request.rackId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      subscribedTopicNames: [],
      subscribedTopicRegex: null,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      serverAssignor: null,
    };
  }

  /** Topic names a subscription covers: its names and what its regular expression resolved to. */
  private topicsOf(metadata: ConsumerMemberMetadata, regexes: ReadonlyMap<string, ResolvedRegularExpression> = this.regexes): string[] {
    const names = [...metadata.subscribedTopicNames];
    if (hasRegex(metadata)) names.push(...(regexes.get(metadata.subscribedTopicRegex!)?.topics ?? []));
    return names;
  }

  /** The existing topics any member subscribes to, sorted by name (`overrides` replace members' metadata). */
  private subscribedTopics(
    overrides: ReadonlyMap<string, ConsumerMemberMetadata | null>,
    regexes: ReadonlyMap<string, ResolvedRegularExpression> = this.regexes,
  ): SubscribedTopicMetadata[] {
    const names = new Set<string>();
    for (const [id, m] of this.members) if (!overrides.has(id)) for (const n of this.topicsOf(m.metadata, regexes)) names.add(n);
    for (const m of overrides.values()) if (m !== null) for (const n of this.topicsOf(m, regexes)) names.add(n);
    const topics = this.env.topics();
    return [...names]
      .sort()
      .flatMap((name) => {
        const t = topics.get(name);
        return t === undefined ? [] : [{ topicId: t.topicId, topicName: name, numPartitions: t.partitions }];
      });
  }

  /** The assignor the members ask for most (Kafka's rule), else the broker's default, `uniform`. */
  private assignorFor(subscriptions: ReadonlyMap<string, ConsumerMemberMetadata>): AssignorName {
    const votes = new Map<AssignorName, number>();
    for (const m of subscriptions.values()) {
      if (m.serverAssignor === 'uniform' || m.serverAssignor === 'range') votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    }
    let best: AssignorName = 'uniform';
    let most = 0;
    for (const name of CONSUMER_GROUP_ASSIGNORS) {
      const n = votes.get(name) ?? 0;
      if (n > most) [best, most] = [name, n];
    }
    return best;
  }

  private computeTargets(subscriptions: ReadonlyMap<string, ConsumerMemberMetadata>, subscribed: SubscribedTopicMetadata[]): Map<string, TopicAssignment> {
    const idsByName = new Map(subscribed.map((t) => [t.topicName, t.topicId]));
    const members = [...subscriptions].map(([memberId, m]) => ({
      memberId,
      topicIds: new Set(this.topicsOf(m).flatMap((n) => (idsByName.has(n) ? [idsByName.get(n)!] : []))),
    }));
    return assignPartitions(this.assignorFor(subscriptions), {
      members,
      topics: new Map(subscribed.map((t) => [t.topicId, t.numPartitions])),
      previous: this.targets,
    });
  }

  /**
   * Kafka's CurrentAssignmentBuilder: partitions leave a member first (it keeps its epoch while
   * it still owns any it must revoke), and a partition joins its new owner only once no one
   * else owns it at any epoch.
   */
  private reconcile(current: CurrentMemberAssignment, targetEpoch: number, target: TopicAssignment, owned: TopicAssignment | null): CurrentMemberAssignment {
    const ownsAny = (pending: TopicAssignment): boolean => {
      if (owned === null) return true;
      return [...owned].some(([t, ps]) => [...ps].some((p) => pending.get(t)?.has(p) === true));
    };
    switch (current.state) {
      case MemberState.STABLE:
        if (current.memberEpoch === targetEpoch) return current;
        return this.nextAssignment(current, current.memberEpoch, targetEpoch, target, ownsAny);
      case MemberState.UNREVOKED_PARTITIONS:
        if (ownsAny(current.partitionsPendingRevocation)) return current;
        return this.nextAssignment(current, current.memberEpoch + 1, targetEpoch, target, ownsAny);
      default:
        return this.nextAssignment(current, current.memberEpoch, targetEpoch, target, ownsAny);
    }
  }

  private nextAssignment(
    current: CurrentMemberAssignment,
    memberEpoch: number,
    targetEpoch: number,
    target: TopicAssignment,
    ownsAny: (pending: TopicAssignment) => boolean,
  ): CurrentMemberAssignment {
    const assigned: TopicAssignment = new Map();
    const revoking: TopicAssignment = new Map();
    const arriving: TopicAssignment = new Map();
    let unreleased = false;
    for (const topicId of new Set([...target.keys(), ...current.assignedPartitions.keys()])) {
      const want = target.get(topicId) ?? new Set<number>();
      const have = current.assignedPartitions.get(topicId) ?? new Set<number>();
      const keep = new Set([...have].filter((p) => want.has(p)));
      const revoke = new Set([...have].filter((p) => !want.has(p)));
      const add = new Set<number>();
      for (const p of want) {
        if (keep.has(p)) continue;
        if (this.currentPartitionEpoch(topicId, p) === -1) add.add(p);
        else unreleased = true;
      }
      if (keep.size > 0) assigned.set(topicId, keep);
      if (revoke.size > 0) revoking.set(topicId, revoke);
      if (add.size > 0) arriving.set(topicId, add);
    }
    const step = (state: CurrentMemberAssignment['state'], epoch: number, partitions: TopicAssignment, pending: TopicAssignment): CurrentMemberAssignment => ({
      memberEpoch: epoch,
      // Kafka's updateMemberEpoch: the previous epoch is the one the member had, even when unchanged.
      previousMemberEpoch: current.memberEpoch,
      state,
      assignedPartitions: partitions,
      partitionsPendingRevocation: pending,
    });
    if (revoking.size > 0 && ownsAny(revoking)) return step(MemberState.UNREVOKED_PARTITIONS, memberEpoch, assigned, revoking);
    for (const [topicId, ps] of arriving) {
      const into = assigned.get(topicId) ?? new Set<number>();
      for (const p of ps) into.add(p);
      assigned.set(topicId, into);
    }
    return step(unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE, targetEpoch, assigned, new Map());
  }

  // ---------------------------------------------------------------- leaving and fencing

  /** LeaveGroup with epoch -1 (or a static member's -2): the member's records go, the epoch moves. */
  leave(memberId: string, epoch: number): HeartbeatResponse {
    if (!this.members.has(memberId)) return heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${this.groupId}.`, memberId);
    this.env.info?.(`[GroupId ${this.groupId}] Member ${memberId} left the consumer group.`);
    if (!this.fence(memberId)) return heartbeatError(ErrorCode.NOT_COORDINATOR, null, memberId);
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId, memberEpoch: epoch, heartbeatIntervalMs: 0, assignment: null };
  }

  private staticMember(instanceId: string): ConsumerMember | undefined {
    for (const m of this.members.values()) if (m.metadata.instanceId === instanceId) return m;
    return undefined;
  }

  /**
   * A static member's temporary leave (epoch -2): it keeps its partitions, held at epoch -2, and no
   * rebalance starts; a member rejoining with its instance id within the session timeout takes them.
   */
  private staticLeave(memberId: string, instanceId: string): HeartbeatResponse {
    const member = this.staticMember(instanceId);
    if (member === undefined) return heartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`, memberId);
    if (member.memberId !== memberId) {
      return heartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${member.memberId}.`, memberId);
    }
    this.env.info?.(`[GroupId ${this.groupId}] Static Member ${memberId} with instance id ${instanceId} temporarily left the consumer group.`);
    const record: ConsumerGroupRecord = {
      type: 8,
      group: this.groupId,
      memberId,
      value: { ...member.assignment, memberEpoch: STATIC_LEAVE_EPOCH, partitionsPendingRevocation: new Map() },
    };
    if (!this.env.write([record])) return heartbeatError(ErrorCode.NOT_COORDINATOR, null, memberId);
    this.replay(record);
    this.cancelRebalanceTimeout(memberId);
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId, memberEpoch: STATIC_LEAVE_EPOCH, heartbeatIntervalMs: 0, assignment: null };
  }

  /** The member that left with -2 is replaced by the new one, which inherits its assignment at epoch 0. */
  private replaceStaticMember(old: ConsumerMember, memberId: string): boolean {
    const target = this.targets.get(old.memberId);
    const records: ConsumerGroupRecord[] = [
      { type: 8, group: this.groupId, memberId: old.memberId, value: null },
      { type: 7, group: this.groupId, memberId: old.memberId, value: null },
      { type: 5, group: this.groupId, memberId: old.memberId, value: null },
      { type: 5, group: this.groupId, memberId, value: old.metadata },
      ...(target === undefined ? [] : [{ type: 7 as const, group: this.groupId, memberId, value: { partitions: target } }]),
      { type: 8, group: this.groupId, memberId, value: { ...old.assignment, memberEpoch: 0, previousMemberEpoch: 0 } },
    ];
    if (!this.env.write(records)) return false;
    for (const r of records) this.replay(r);
    this.sessionTimers.get(old.memberId)?.();
    this.sessionTimers.delete(old.memberId);
    this.cancelRebalanceTimeout(old.memberId);
    return true;
  }

  /** Removes a member: tombstones of its assignment, target and metadata, then a new group epoch. */
  fence(memberId: string): boolean {
    const member = this.members.get(memberId);
    if (member === undefined) return true;
    const records: ConsumerGroupRecord[] = [
      { type: 8, group: this.groupId, memberId, value: null },
      { type: 7, group: this.groupId, memberId, value: null },
      { type: 5, group: this.groupId, memberId, value: null },
    ];
    // The last member of a regular expression takes its resolution along.
    const regex = member.metadata.subscribedTopicRegex ?? '';
    const dropsRegex =
      hasRegex(member.metadata) && this.regexes.has(regex) && ![...this.members.values()].some((m) => m.memberId !== memberId && m.metadata.subscribedTopicRegex === regex);
    if (dropsRegex) records.push({ type: 16, group: this.groupId, regex, value: null });
    const regexes = new Map(this.regexes);
    if (dropsRegex) regexes.delete(regex);
    const subscribed = this.subscribedTopics(new Map([[memberId, null]]), regexes);
    if (this.env.subscriptionMetadata === 'record' && JSON.stringify(subscribed) !== JSON.stringify(this.subscribedMetadata)) {
      records.push({ type: 4, group: this.groupId, value: { topics: subscribed } });
    }
    records.push({ type: 3, group: this.groupId, value: { epoch: this.groupEpoch + 1, metadataHash: this.env.subscriptionMetadata === 'hash' ? subscriptionMetadataHash(subscribed) : 0n } });
    if (!this.env.write(records)) return false;
    for (const r of records) this.replay(r);
    this.sessionTimers.get(memberId)?.();
    this.sessionTimers.delete(memberId);
    this.cancelRebalanceTimeout(memberId);
    return true;
  }

  private scheduleSessionTimeout(memberId: string): void {
    this.sessionTimers.get(memberId)?.();
    this.sessionTimers.set(
      memberId,
      this.env.schedule(this.env.sessionTimeoutMs, () => {
        this.sessionTimers.delete(memberId);
        this.env.info?.(`[GroupId ${this.groupId}] Member ${memberId} fenced from the group because its session expired.`);
        this.fence(memberId);
      }),
    );
  }

  private scheduleRebalanceTimeout(memberId: string, memberEpoch: number, timeoutMs: number): void {
    if (this.rebalanceTimers.has(memberId) || timeoutMs <= 0) return;
    this.rebalanceTimers.set(
      memberId,
      this.env.schedule(timeoutMs, () => {
        this.rebalanceTimers.delete(memberId);
        const member = this.members.get(memberId);
        if (member === undefined || member.assignment.memberEpoch !== memberEpoch || member.assignment.state !== MemberState.UNREVOKED_PARTITIONS) return;
        this.env.info?.(`[GroupId ${this.groupId}] Member ${memberId} fenced from the group because it failed to transition from epoch ${memberEpoch} within ${timeoutMs}ms.`);
        this.fence(memberId);
      }),
    );
  }

  private cancelRebalanceTimeout(memberId: string): void {
    this.rebalanceTimers.get(memberId)?.();
    this.rebalanceTimers.delete(memberId);
  }

  // ---------------------------------------------------------------- regular expressions

  /**
   * Kafka resolves subscribed regular expressions off the request path: a ConsumerGroupRegularExpression
   * record per expression, then a new group epoch; the members' next heartbeats get the assignment.
   */
  private maybeResolveRegexes(): void {
    const wanted = new Set([...this.members.values()].flatMap((m) => (hasRegex(m.metadata) ? [m.metadata.subscribedTopicRegex!] : [])));
    const stale = [...wanted].some((r) => !this.regexes.has(r)) || this.env.now() - this.lastRegexRefresh >= REGEX_REFRESH_MS;
    if (!stale || this.regexResolution !== null) return;
    this.regexResolution = this.env.schedule(0, () => {
      this.regexResolution = null;
      this.lastRegexRefresh = this.env.now();
      const records: ConsumerGroupRecord[] = [];
      const names = [...this.env.topics().keys()].sort();
      for (const regex of wanted) {
        const pattern = new RegExp(regex);
        const topics = names.filter((n) => !n.startsWith('__') && pattern.test(n));
        const before = this.regexes.get(regex);
        if (before !== undefined && JSON.stringify(before.topics) === JSON.stringify(topics)) continue;
        records.push({ type: 16, group: this.groupId, regex, value: { topics, version: BigInt(this.env.topics().size), timestamp: BigInt(this.env.now()) } });
      }
      if (records.length === 0) return;
      const regexes = new Map(this.regexes);
      for (const r of records) if (r.type === 16 && r.value !== null) regexes.set(r.regex, r.value);
      const subscribed = this.subscribedTopics(new Map(), regexes);
      if (this.env.subscriptionMetadata === 'record') records.push({ type: 4, group: this.groupId, value: { topics: subscribed } });
      records.push({ type: 3, group: this.groupId, value: { epoch: this.groupEpoch + 1, metadataHash: this.env.subscriptionMetadata === 'hash' ? subscriptionMetadataHash(subscribed) : 0n } });
      if (!this.env.write(records)) return;
      for (const r of records) this.replay(r);
    });
  }

  // ---------------------------------------------------------------- commits and descriptions

  /** OffsetCommit v9+ / OffsetFetch v9+ checks: the error Kafka answers, or NONE. */
  validateMemberEpoch(memberId: string, memberEpoch: number): number {
    if (memberEpoch < 0 && this.members.size === 0) return ErrorCode.NONE;
    const member = this.members.get(memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    return memberEpoch === member.assignment.memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
  }

  /** The server assignor the group uses now (ConsumerGroupDescribe's AssignorName). */
  assignorName(): AssignorName {
    return this.assignorFor(new Map([...this.members].map(([id, m]) => [id, m.metadata])));
  }

  /** The topic names the members subscribe to, by name or through a resolved expression (OffsetDelete). */
  subscribedTopicNames(): Set<string> {
    return new Set([...this.members.values()].flatMap((m) => this.topicsOf(m.metadata)));
  }

  /** Removes every record of the group (DeleteGroups of an Empty group): tombstones in Kafka's order. */
  deletionRecords(): ConsumerGroupRecord[] {
    const records: ConsumerGroupRecord[] = [];
    for (const regex of this.regexes.keys()) records.push({ type: 16, group: this.groupId, regex, value: null });
    records.push({ type: 6, group: this.groupId, value: null });
    if (this.env.subscriptionMetadata === 'record') records.push({ type: 4, group: this.groupId, value: null });
    records.push({ type: 3, group: this.groupId, value: null });
    return records;
  }
}
