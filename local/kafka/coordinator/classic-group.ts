import { ErrorCode } from '../protocol/error-codes.ts';
import type { GroupMetadataRecordValue } from './coordinator-records.ts';
import type { GroupLogEvent, MemberDescription, RebalanceReason } from './group-log-lines.ts';

/**
 * A classic (pre KIP-848) consumer group: the JoinGroup/SyncGroup/Heartbeat/LeaveGroup state
 * machine of Kafka's GroupCoordinator. Responses to JoinGroup and SyncGroup are delayed until
 * the rebalance reaches the matching point, so those calls return promises.
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinRequest {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  /** JoinGroup v4+: a member without an id first gets MEMBER_ID_REQUIRED and its new id. */
  requireKnownMemberId: boolean;
  /** JoinGroup v8+: why the client joins (KIP-800), quoted in the broker log */
  reason?: string | null;
  /** JoinGroup v9+ (KIP-814): a leader may be told to skip the assignment it need not redo. */
  supportsSkippingAssignment?: boolean;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
  /** the leader keeps the current assignment (a static leader replaced in a Stable group, v9+) */
  skipAssignment?: boolean;
}

export interface SyncRequest {
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface MemberSummary {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocols: GroupProtocol[];
  assignment: Buffer;
}

/** What a group needs from its shard: time, timers, ids and the log. */
export interface GroupEnvironment {
  now(): number;
  schedule(delayMs: number, action: () => void): () => void;
  newMemberId(prefix: string): string;
  /** Writes the group's GroupMetadata record; returns an error code (NONE when written). */
  persist(value: GroupMetadataRecordValue): number;
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** what Kafka's coordinator logs at each rebalance step (worded per release by group-log-lines.ts) */
  log?: (event: GroupLogEvent) => void;
}

interface Member extends MemberSummary {
  protocolType: string;
  joinCallback: ((result: JoinResult) => void) | null;
  syncCallback: ((result: SyncResult) => void) | null;
  cancelSessionTimer: (() => void) | null;
}

const EMPTY = Buffer.alloc(0);

export class ClassicGroup {
  readonly groupId: string;
  private stateValue: GroupState = 'Empty';
  private generation = 0;
  private protocolTypeValue: string | null = null;
  private protocolName: string | null = null;
  private leaderId: string | null = null;
  /** when the group entered its state; null when loaded from a record that had none (-1) */
  private stateTimestamp: number | null;
  private readonly members = new Map<string, Member>();
  private readonly staticMembers = new Map<string, string>();
  /** Members told MEMBER_ID_REQUIRED that have not joined with their id yet. */
  private readonly pendingMembers = new Map<string, () => void>();
  private cancelJoinTimer: (() => void) | null = null;
  private cancelSyncTimer: (() => void) | null = null;
  private initialDelayDeadline = 0;
  private readonly env: GroupEnvironment;

  constructor(groupId: string, env: GroupEnvironment) {
    this.groupId = groupId;
    this.env = env;
    this.stateTimestamp = env.now();
  }

  get state(): GroupState {
    return this.stateValue;
  }
  get generationId(): number {
    return this.generation;
  }
  get protocolType(): string | null {
    return this.protocolTypeValue;
  }
  get protocol(): string | null {
    return this.protocolName;
  }
  get leader(): string | null {
    return this.leaderId;
  }
  get memberCount(): number {
    return this.members.size;
  }
  /** Never had a generation, a member or a pending member: a failed first JoinGroup leaves this. */
  get isPristine(): boolean {
    return this.stateValue === 'Empty' && this.generation === 0 && this.members.size === 0 && this.pendingMembers.size === 0;
  }
  hasMember(memberId: string): boolean {
    return this.members.has(memberId);
  }

  memberSummaries(): MemberSummary[] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      protocols: m.protocols,
      assignment: m.assignment,
    }));
  }

  /** Topics the group's members subscribe to, when they speak the "consumer" protocol. */
  subscribedTopics(decodeSubscription: (metadata: Buffer) => string[]): Set<string> | null {
    if (this.protocolTypeValue !== 'consumer' || this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const member of this.members.values()) {
      const metadata = member.protocols.find((p) => p.name === this.protocolName)?.metadata;
      if (metadata !== undefined) for (const topic of decodeSubscription(metadata)) topics.add(topic);
    }
    return topics;
  }

  /**
   * Kafka's offset expiration condition of a classic group: from when an offset's retention is
   * counted, or null while none of the group's offsets may expire. A group of standalone commits
   * (no protocol type) counts from each commit; an Empty group from the moment it turned Empty
   * (from each commit when that moment is unknown); a Stable consumer group from each commit, for
   * the topics it no longer subscribes to only (the caller filters them); any other group never.
   */
  offsetRetentionStart(): ((commitTimestamp: bigint) => bigint) | null {
    if (this.protocolTypeValue === null) return (commitTimestamp) => commitTimestamp;
    if (this.stateValue === 'Empty') {
      const since = this.stateTimestamp;
      return (commitTimestamp) => (since === null ? commitTimestamp : BigInt(since));
    }
    if (this.stateValue === 'Stable' && this.protocolTypeValue === 'consumer') return (commitTimestamp) => commitTimestamp;
    return null;
  }

  /** Restores the group from its last GroupMetadata record (shard load). */
  restore(value: GroupMetadataRecordValue): void {
    this.generation = value.generation;
    this.protocolTypeValue = value.protocolType === '' && value.members.length === 0 ? null : value.protocolType;
    this.protocolName = value.protocol;
    this.leaderId = value.leader;
    this.stateTimestamp = value.currentStateTimestamp >= 0n ? Number(value.currentStateTimestamp) : null;
    for (const record of value.members) {
      const member: Member = {
        memberId: record.memberId,
        groupInstanceId: record.groupInstanceId,
        clientId: record.clientId,
        clientHost: record.clientHost,
        rebalanceTimeoutMs: record.rebalanceTimeout >= 0 ? record.rebalanceTimeout : record.sessionTimeout,
        sessionTimeoutMs: record.sessionTimeout,
        protocolType: value.protocolType,
        protocols: [{ name: value.protocol ?? '', metadata: record.subscriptionBytes }],
        assignment: record.assignmentBytes,
        joinCallback: null,
        syncCallback: null,
        cancelSessionTimer: null,
      };
      this.members.set(member.memberId, member);
      if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
      this.scheduleSessionExpiry(member);
    }
    this.stateValue = this.members.size === 0 ? 'Empty' : 'Stable';
  }

  join(request: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number, memberId = request.memberId): Promise<JoinResult> =>
      Promise.resolve(this.joinError(errorCode, memberId));
    if (this.stateValue === 'Dead') return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (
      request.sessionTimeoutMs < this.env.minSessionTimeoutMs ||
      request.sessionTimeoutMs > this.env.maxSessionTimeoutMs
    ) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    if (!this.supportsProtocols(request.protocolType, request.protocols)) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (request.memberId === '') return this.joinUnknownMember(request);

    const pendingExpiry = this.pendingMembers.get(request.memberId);
    if (pendingExpiry !== undefined) {
      this.env.log?.({ kind: 'pending-member-joins', group: this.groupId, memberId: request.memberId, state: this.stateValue });
      pendingExpiry();
      this.pendingMembers.delete(request.memberId);
      return this.addMemberAndRebalance(request, request.memberId);
    }
    const member = this.members.get(request.memberId);
    if (member === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (
      request.groupInstanceId !== null &&
      this.staticMembers.get(request.groupInstanceId) !== request.memberId
    ) {
      return fail(ErrorCode.FENCED_INSTANCE_ID);
    }
    this.touch(member);
    switch (this.stateValue) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(member, request);
      case 'CompletingRebalance':
        if (sameProtocols(member.protocols, request.protocols)) {
          return Promise.resolve(this.currentJoinResult(member.memberId));
        }
        return this.updateMemberAndRebalance(member, request);
      case 'Stable':
        if (member.memberId === this.leaderId || !sameProtocols(member.protocols, request.protocols)) {
          return this.updateMemberAndRebalance(member, request);
        }
        return Promise.resolve(this.currentJoinResult(member.memberId));
      default:
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  sync(request: SyncRequest): Promise<SyncResult> {
    const fail = (errorCode: number): Promise<SyncResult> =>
      Promise.resolve({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY });
    if (this.stateValue === 'Dead') return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const memberError = this.memberError(request.memberId, request.groupInstanceId);
    if (memberError !== ErrorCode.NONE) return fail(memberError);
    const member = this.members.get(request.memberId)!;
    if (request.generationId !== this.generation) return fail(ErrorCode.ILLEGAL_GENERATION);
    if (
      (request.protocolType !== null && request.protocolType !== this.protocolTypeValue) ||
      (request.protocolName !== null && request.protocolName !== this.protocolName)
    ) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    this.touch(member);
    switch (this.stateValue) {
      case 'PreparingRebalance':
        return fail(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        return Promise.resolve(this.syncSuccess(member));
      case 'CompletingRebalance':
        return new Promise<SyncResult>((resolve) => {
          member.syncCallback?.(this.syncFailure(ErrorCode.REBALANCE_IN_PROGRESS));
          member.syncCallback = resolve;
          if (member.memberId === this.leaderId) this.completeSync(request.assignments);
        });
      default:
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  heartbeat(memberId: string, generationId: number, groupInstanceId: string | null): number {
    if (this.stateValue === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = this.memberError(memberId, groupInstanceId);
    if (memberError !== ErrorCode.NONE) return memberError;
    const member = this.members.get(memberId)!;
    if (this.stateValue === 'Empty') return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(member);
    return this.stateValue === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** LeaveGroup for one member; a static member may be named by its instance id alone. */
  leave(memberId: string, groupInstanceId: string | null, clientReason: string | null = null): { errorCode: number; memberId: string } {
    if (this.stateValue === 'Dead') return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId };
    let id = memberId;
    if (groupInstanceId !== null) {
      const known = this.staticMembers.get(groupInstanceId);
      if (known === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId };
      if (memberId !== '' && memberId !== known) return { errorCode: ErrorCode.FENCED_INSTANCE_ID, memberId };
      id = known;
    }
    const pendingExpiry = this.pendingMembers.get(id);
    if (pendingExpiry !== undefined) {
      pendingExpiry();
      this.pendingMembers.delete(id);
      this.tryCompleteJoin();
      return { errorCode: ErrorCode.NONE, memberId: id };
    }
    const member = this.members.get(id);
    if (member === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId };
    this.env.log?.({ kind: 'member-leaving', group: this.groupId, memberId: id, clientReason });
    this.removeMember(member, { kind: 'member-left', memberIds: [id], clientReason });
    this.env.log?.({ kind: 'member-left', group: this.groupId, member: describeMember(member), clientReason });
    return { errorCode: ErrorCode.NONE, memberId: id };
  }

  /**
   * Who may commit: the current generation's members, or anyone with generation -1 and no
   * member id while the group is Empty (standalone commits, e.g. admin setOffsets).
   */
  validateMemberCommit(memberId: string, generationId: number, groupInstanceId: string | null): number {
    if (this.stateValue === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Generation -1 to an Empty group is a commit from outside group management (an admin tool, an
    // assign() consumer): Kafka accepts it whatever member id it carries.
    if (generationId < 0 && this.stateValue === 'Empty') return ErrorCode.NONE;
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      const memberError = this.memberError(memberId, groupInstanceId);
      if (memberError !== ErrorCode.NONE) return memberError;
      const member = this.members.get(memberId)!;
      if (generationId !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
      if (this.stateValue === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
      this.touch(member);
      return ErrorCode.NONE;
    }
    return this.stateValue === 'Empty' ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /**
   * Who may act for a member: a static member is looked up by its instance id first, so the old
   * incarnation of a replaced static member is told FENCED_INSTANCE_ID, not UNKNOWN_MEMBER_ID.
   */
  private memberError(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      return current === memberId ? ErrorCode.NONE : ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /** The group was deleted or its shard unloaded: every parked request gets `errorCode`. */
  markDead(errorCode: number = ErrorCode.COORDINATOR_NOT_AVAILABLE): void {
    this.stateValue = 'Dead';
    this.cancelTimers();
    for (const member of this.members.values()) {
      member.cancelSessionTimer?.();
      member.joinCallback?.(this.joinError(errorCode, member.memberId));
      member.syncCallback?.(this.syncFailure(errorCode));
      member.joinCallback = null;
      member.syncCallback = null;
    }
    for (const cancel of this.pendingMembers.values()) cancel();
    this.pendingMembers.clear();
  }

  private joinUnknownMember(request: JoinRequest): Promise<JoinResult> {
    if (request.groupInstanceId !== null) {
      const previousId = this.staticMembers.get(request.groupInstanceId);
      const previous = previousId === undefined ? undefined : this.members.get(previousId);
      const newMemberId = this.env.newMemberId(request.groupInstanceId);
      if (previous !== undefined) {
        this.env.log?.({
          kind: 'text',
          message: `Static member with groupInstanceId=${request.groupInstanceId} and unknown member id joins group ${this.groupId} in ${this.stateValue} state. Replacing previously mapped member ${previous.memberId} with this groupInstanceId.`,
        });
        return this.replaceStaticMember(previous, newMemberId, request);
      }
      return this.addMemberAndRebalance(request, newMemberId);
    }
    const memberId = this.env.newMemberId(request.clientId);
    if (request.requireKnownMemberId) {
      const cancel = this.env.schedule(request.sessionTimeoutMs, () => {
        this.pendingMembers.delete(memberId);
        this.tryCompleteJoin();
      });
      this.pendingMembers.set(memberId, cancel);
      this.env.log?.({ kind: 'unknown-member-joins', group: this.groupId, memberId, state: this.stateValue });
      return Promise.resolve(this.joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
    }
    this.env.log?.({ kind: 'unknown-member-added', group: this.groupId, memberId, state: this.stateValue });
    return this.addMemberAndRebalance(request, memberId);
  }

  /**
   * A restarted static member takes over its old slot under a new member id, as Kafka's
   * updateStaticMemberThenRebalanceOrCompleteJoin does: the old incarnation is fenced at once;
   * in a Stable group whose selected protocol stays, the member keeps its assignment and the
   * group its generation (no rebalance; the GroupMetadata record is written with the new id);
   * otherwise the group rebalances.
   */
  private replaceStaticMember(previous: Member, newMemberId: string, request: JoinRequest): Promise<JoinResult> {
    const groupInstanceId = request.groupInstanceId!;
    const leaderBefore = this.leaderId;
    const member = this.swapStaticMember(previous, newMemberId);
    const before = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    member.protocols = request.protocols;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    this.scheduleSessionExpiry(member);
    return new Promise<JoinResult>((resolve) => {
      member.joinCallback = resolve;
      switch (this.stateValue) {
        case 'Stable': {
          if (this.selectProtocol() !== this.protocolName) {
            this.prepareRebalance({ kind: 'other', text: `Group's selectedProtocol will change because static member ${newMemberId} with instance id ${groupInstanceId} joined with change of protocol` });
            return;
          }
          this.env.log?.({ kind: 'text', message: 'Static member which joins during Stable stage and doesn\'t affect the selected protocol will not trigger a rebalance.' });
          member.joinCallback = null;
          const errorCode = this.env.persist(this.snapshot());
          if (errorCode !== ErrorCode.NONE) {
            // Not stored: the old incarnation's id stays the member's, and the new one is told why.
            Object.assign(member, before);
            const restored = this.swapStaticMember(member, previous.memberId);
            this.scheduleSessionExpiry(restored);
            resolve({ ...this.joinError(errorCode, ''), generationId: this.generation, protocolType: this.protocolTypeValue, protocolName: this.protocolName, leader: leaderBefore ?? '' });
            return;
          }
          if (request.supportsSkippingAssignment === true) {
            const isLeader = this.leaderId === newMemberId;
            resolve({ ...this.currentJoinResult(newMemberId), skipAssignment: isLeader });
          } else {
            // Older clients are named the previous leader id, so a replaced leader does not redo the assignment.
            resolve({ ...this.currentJoinResult(newMemberId), leader: leaderBefore ?? '', members: [] });
          }
          return;
        }
        case 'CompletingRebalance':
          // The leader may already be assigning to the old id: the group rebalances.
          this.prepareRebalance({ kind: 'other', text: `Updating metadata for static member ${newMemberId} with instance id ${groupInstanceId}` });
          return;
        default:
          this.tryCompleteJoin();
      }
    });
  }

  /** The member under `newMemberId`, with the old incarnation's parked calls fenced; leader and static mapping follow. */
  private swapStaticMember(previous: Member, newMemberId: string): Member {
    previous.joinCallback?.(this.joinError(ErrorCode.FENCED_INSTANCE_ID, previous.memberId));
    previous.syncCallback?.(this.syncFailure(ErrorCode.FENCED_INSTANCE_ID));
    previous.cancelSessionTimer?.();
    this.members.delete(previous.memberId);
    const member: Member = { ...previous, memberId: newMemberId, joinCallback: null, syncCallback: null, cancelSessionTimer: null };
    this.members.set(newMemberId, member);
    if (this.leaderId === previous.memberId) this.leaderId = newMemberId;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, newMemberId);
    return member;
  }

  private addMemberAndRebalance(request: JoinRequest, memberId: string): Promise<JoinResult> {
    return new Promise<JoinResult>((resolve) => {
      const member: Member = {
        memberId,
        groupInstanceId: request.groupInstanceId,
        clientId: request.clientId,
        clientHost: request.clientHost,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        sessionTimeoutMs: request.sessionTimeoutMs,
        protocolType: request.protocolType,
        protocols: request.protocols,
        assignment: EMPTY,
        joinCallback: resolve,
        syncCallback: null,
        cancelSessionTimer: null,
      };
      if (this.members.size === 0) this.protocolTypeValue = request.protocolType;
      this.members.set(memberId, member);
      if (request.groupInstanceId !== null) this.staticMembers.set(request.groupInstanceId, memberId);
      if (this.leaderId === null) this.leaderId = memberId;
      this.scheduleSessionExpiry(member);
      if (this.stateValue === 'PreparingRebalance') {
        this.extendInitialDelay();
        this.tryCompleteJoin();
      } else {
        this.prepareRebalance({ kind: 'member-added', memberId, groupInstanceId: request.groupInstanceId, clientReason: request.reason ?? null });
      }
    });
  }

  private updateMemberAndRebalance(member: Member, request: JoinRequest): Promise<JoinResult> {
    return new Promise<JoinResult>((resolve) => {
      member.joinCallback?.(this.joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
      member.protocols = request.protocols;
      member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
      member.sessionTimeoutMs = request.sessionTimeoutMs;
      member.joinCallback = resolve;
      if (this.stateValue === 'PreparingRebalance') this.tryCompleteJoin();
      else this.prepareRebalance({ kind: 'other', text: `Updating metadata for member ${member.memberId} during ${this.stateValue}` });
    });
  }

  private prepareRebalance(reason: RebalanceReason): void {
    if (this.stateValue === 'CompletingRebalance') {
      for (const member of this.members.values()) {
        member.assignment = EMPTY;
        member.syncCallback?.(this.syncFailure(ErrorCode.REBALANCE_IN_PROGRESS));
        member.syncCallback = null;
      }
    }
    this.cancelSyncTimer?.();
    this.cancelSyncTimer = null;
    const wasEmpty = this.stateValue === 'Empty';
    this.env.log?.({ kind: 'preparing-rebalance', group: this.groupId, oldGeneration: this.generation, reason });
    this.setState('PreparingRebalance');
    this.cancelJoinTimer?.();
    if (wasEmpty && this.env.initialRebalanceDelayMs > 0) {
      // Kafka holds the first rebalance of an empty group briefly so a fleet of consumers
      // starting together lands in one generation instead of one rebalance per arrival.
      this.initialDelayDeadline = this.env.now() + Math.min(this.rebalanceTimeout(), this.maxInitialDelay());
      this.cancelJoinTimer = this.env.schedule(this.env.initialRebalanceDelayMs, () => this.onInitialDelay());
      return;
    }
    this.initialDelayDeadline = 0;
    this.cancelJoinTimer = this.env.schedule(this.rebalanceTimeout(), () => this.completeJoin());
    this.tryCompleteJoin();
  }

  private maxInitialDelay(): number {
    return this.env.initialRebalanceDelayMs * 10;
  }

  private onInitialDelay(): void {
    this.cancelJoinTimer = null;
    this.initialDelayDeadline = 0;
    if (this.allMembersJoined()) {
      this.completeJoin();
    } else {
      this.cancelJoinTimer = this.env.schedule(this.rebalanceTimeout(), () => this.completeJoin());
    }
  }

  private extendInitialDelay(): void {
    if (this.initialDelayDeadline === 0) return;
    const remaining = this.initialDelayDeadline - this.env.now();
    if (remaining <= 0) return;
    this.cancelJoinTimer?.();
    this.cancelJoinTimer = this.env.schedule(Math.min(this.env.initialRebalanceDelayMs, remaining), () =>
      this.onInitialDelay(),
    );
  }

  private allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const member of this.members.values()) if (member.joinCallback === null) return false;
    return true;
  }

  private tryCompleteJoin(): void {
    if (this.stateValue !== 'PreparingRebalance' || this.initialDelayDeadline !== 0) return;
    if (this.allMembersJoined()) this.completeJoin();
  }

  private completeJoin(): void {
    if (this.stateValue !== 'PreparingRebalance') return;
    this.cancelJoinTimer?.();
    this.cancelJoinTimer = null;
    this.initialDelayDeadline = 0;
    for (const member of [...this.members.values()]) {
      if (member.joinCallback === null) this.dropMember(member);
    }
    this.generation += 1;
    if (this.members.size === 0) {
      this.protocolName = null;
      this.leaderId = null;
      this.setState('Empty');
      this.env.log?.({ kind: 'now-empty', group: this.groupId, generation: this.generation });
      this.env.persist(this.snapshot());
      return;
    }
    this.protocolName = this.selectProtocol();
    if (this.leaderId === null || !this.members.has(this.leaderId)) {
      this.leaderId = this.members.keys().next().value ?? null;
    }
    this.setState('CompletingRebalance');
    this.env.log?.({ kind: 'stabilized', group: this.groupId, generation: this.generation, members: this.members.size });
    for (const member of this.members.values()) {
      const callback = member.joinCallback;
      member.joinCallback = null;
      this.touch(member);
      callback?.(this.currentJoinResult(member.memberId));
    }
    const generation = this.generation;
    this.cancelSyncTimer = this.env.schedule(this.rebalanceTimeout(), () => {
      this.cancelSyncTimer = null;
      if (this.stateValue !== 'CompletingRebalance' || this.generation !== generation) return;
      // Members that never sent SyncGroup are gone; the rest rebalance without them.
      for (const member of [...this.members.values()]) if (member.syncCallback === null) this.dropMember(member);
      this.prepareRebalance({ kind: 'other', text: 'Removing members that did not send SyncGroup within the rebalance timeout' });
    });
  }

  private completeSync(assignments: { memberId: string; assignment: Buffer }[]): void {
    const staticCount = [...this.members.values()].filter((m) => m.groupInstanceId !== null).length;
    this.env.log?.({ kind: 'assignment-received', group: this.groupId, leader: this.leaderId ?? '', generation: this.generation, members: this.members.size, staticMembers: staticCount });
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    for (const member of this.members.values()) member.assignment = byMember.get(member.memberId) ?? EMPTY;
    const errorCode = this.env.persist(this.snapshot());
    if (errorCode !== ErrorCode.NONE) {
      for (const member of this.members.values()) {
        member.assignment = EMPTY;
        member.syncCallback?.(this.syncFailure(errorCode));
        member.syncCallback = null;
      }
      this.prepareRebalance({ kind: 'other', text: `Error ${errorCode} when storing group assignment during SyncGroup` });
      return;
    }
    this.cancelSyncTimer?.();
    this.cancelSyncTimer = null;
    this.setState('Stable');
    for (const member of this.members.values()) {
      const callback = member.syncCallback;
      member.syncCallback = null;
      callback?.(this.syncSuccess(member));
    }
  }

  private removeMember(member: Member, reason: RebalanceReason): void {
    this.dropMember(member);
    switch (this.stateValue) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance(reason);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoin();
        break;
      default:
        break;
    }
  }

  private dropMember(member: Member): void {
    member.cancelSessionTimer?.();
    member.joinCallback?.(this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.syncCallback?.(this.syncFailure(ErrorCode.UNKNOWN_MEMBER_ID));
    this.members.delete(member.memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === member.memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === member.memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  private touch(member: Member): void {
    this.scheduleSessionExpiry(member);
  }

  private scheduleSessionExpiry(member: Member): void {
    member.cancelSessionTimer?.();
    member.cancelSessionTimer = this.env.schedule(member.sessionTimeoutMs, () => {
      member.cancelSessionTimer = null;
      if (this.members.get(member.memberId) !== member) return;
      // A member parked in JoinGroup is bounded by the rebalance timeout, not its session.
      if (member.joinCallback !== null && this.stateValue === 'PreparingRebalance') {
        this.scheduleSessionExpiry(member);
        return;
      }
      this.env.log?.({ kind: 'member-failed', group: this.groupId, memberId: member.memberId });
      this.removeMember(member, { kind: 'session-expired', memberId: member.memberId });
    });
  }

  private supportsProtocols(protocolType: string, protocols: GroupProtocol[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (this.members.size === 0) return true;
    if (protocolType !== this.protocolTypeValue) return false;
    const names = new Set(protocols.map((p) => p.name));
    return this.candidateProtocols().some((name) => names.has(name));
  }

  private candidateProtocols(): string[] {
    let candidates: string[] | null = null;
    for (const member of this.members.values()) {
      const names = member.protocols.map((p) => p.name);
      candidates = candidates === null ? names : candidates.filter((name) => names.includes(name));
    }
    return candidates ?? [];
  }

  /** Each member votes for the first protocol it lists that every member supports. */
  private selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const choice = member.protocols.find((p) => candidates.includes(p.name))?.name;
      if (choice !== undefined) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = candidates[0] ?? '';
    for (const [name, count] of votes) if (count > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  private rebalanceTimeout(): number {
    let timeout = 0;
    for (const member of this.members.values()) timeout = Math.max(timeout, member.rebalanceTimeoutMs);
    return timeout > 0 ? timeout : this.env.initialRebalanceDelayMs;
  }

  private currentJoinResult(memberId: string): JoinResult {
    const isLeader = memberId === this.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generation,
      protocolType: this.protocolTypeValue,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      memberId,
      members: isLeader
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY,
          }))
        : [],
    };
  }

  private joinError(errorCode: number, memberId: string): JoinResult {
    return {
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      memberId,
      members: [],
    };
  }

  private syncSuccess(member: Member): SyncResult {
    return {
      errorCode: ErrorCode.NONE,
      protocolType: this.protocolTypeValue,
      protocolName: this.protocolName,
      assignment: member.assignment,
    };
  }

  private syncFailure(errorCode: number): SyncResult {
    return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
  }

  private setState(state: GroupState): void {
    this.stateValue = state;
    this.stateTimestamp = this.env.now();
  }

  private cancelTimers(): void {
    this.cancelJoinTimer?.();
    this.cancelJoinTimer = null;
    this.cancelSyncTimer?.();
    this.cancelSyncTimer = null;
  }

  /** The GroupMetadata record value for the group as it is now. */
  snapshot(): GroupMetadataRecordValue {
    return {
      protocolType: this.protocolTypeValue ?? '',
      generation: this.generation,
      protocol: this.protocolName,
      leader: this.leaderId,
      currentStateTimestamp: BigInt(this.stateTimestamp ?? -1),
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscriptionBytes: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY,
        assignmentBytes: m.assignment,
      })),
    };
  }
}

function describeMember(m: Member): MemberDescription {
  return {
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    sessionTimeoutMs: m.sessionTimeoutMs,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    protocols: m.protocols.map((p) => p.name),
  };
}

function sameProtocols(a: GroupProtocol[], b: GroupProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]?.name && p.metadata.equals(b[i].metadata));
}
