import { CONSUMER_OFFSETS } from '../cluster/cluster.ts';
import { RUNTIME_LOGGER } from './log-lines.ts';

/**
 * What a group's coordinator tells the broker log, as events, and how each coordinator generation
 * words them: the 4.x coordinator runtime (`[GroupCoordinator id=N topic=... partition=P]`, the
 * group coordinator's Java classes as loggers) and 3.x's classic Scala coordinator
 * (`[GroupCoordinator N]:`, the partition in parentheses, `None` for a missing instance id). The
 * wordings were read from real 4.1.1 and 3.9.2 brokers playing the same scenario
 * (test/integration/local/real-kafka/conformance-groups.test.ts). An event a release does not
 * print at INFO renders as null.
 */
export type LogWording = 'runtime' | 'classic';

export type RebalanceReason =
  | { kind: 'member-added'; memberId: string; groupInstanceId: string | null; clientReason: string | null }
  | { kind: 'member-left'; memberIds: string[]; clientReason: string | null }
  | { kind: 'session-expired'; memberId: string }
  /** reasons no comparison with a real broker has covered yet: printed as given on both wordings */
  | { kind: 'other'; text: string };

export interface MemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: string[];
}

export type GroupLogEvent =
  | { kind: 'unknown-member-joins'; group: string; memberId: string; state: string }
  | { kind: 'pending-member-joins'; group: string; memberId: string; state: string }
  /** JoinGroup before v4 (no MEMBER_ID_REQUIRED): a dynamic member is added at its first join */
  | { kind: 'unknown-member-added'; group: string; memberId: string; state: string }
  | { kind: 'preparing-rebalance'; group: string; oldGeneration: number; reason: RebalanceReason }
  | { kind: 'stabilized'; group: string; generation: number; members: number }
  | { kind: 'assignment-received'; group: string; leader: string; generation: number; members: number; staticMembers: number }
  | { kind: 'now-empty'; group: string; generation: number }
  /** LeaveGroup accepted, before the member is removed (4.x prints it here) */
  | { kind: 'member-leaving'; group: string; memberId: string; clientReason: string | null }
  /** LeaveGroup done, the rebalance it caused started (3.x prints it here) */
  | { kind: 'member-left'; group: string; member: MemberDescription; clientReason: string | null }
  | { kind: 'member-failed'; group: string; memberId: string }
  /** an OffsetCommit outside group management created the group */
  | { kind: 'simple-group-created'; group: string }
  | { kind: 'groups-deleted'; groups: string[]; offsets: number }
  | { kind: 'offsets-deleted'; group: string; partitions: string[] }
  /** offset expiry left an Empty group with no offsets */
  | { kind: 'group-expired'; group: string; generation: number }
  /** a line no comparison with a real broker has covered yet: printed as given, with each wording's prefix and logger */
  | { kind: 'text'; message: string };

export interface RenderedLogLine {
  message: string;
  logger: string;
}

export interface ShardIdentity {
  brokerId: number;
  partition: number;
}

const RUNTIME_PACKAGE = 'org.apache.kafka.coordinator.group';
const CLASSIC_COORDINATOR_LOGGER = 'kafka.coordinator.group.GroupCoordinator';
const CLASSIC_MANAGER_LOGGER = 'kafka.coordinator.group.GroupMetadataManager';

function clientReason(reason: string | null): string {
  return reason ?? 'not provided';
}

function runtimeReason(reason: RebalanceReason): string {
  switch (reason.kind) {
    case 'member-added':
      return `Adding new member ${reason.memberId} with group instance id ${reason.groupInstanceId ?? 'null'}; client reason: ${clientReason(reason.clientReason)}`;
    case 'member-left':
      return `explicit \`LeaveGroup\` request for (${reason.memberIds.join(', ')}) members.`;
    case 'session-expired':
      return `removing member ${reason.memberId} on heartbeat expiration.`;
    case 'other':
      return reason.text;
  }
}

function classicReason(reason: RebalanceReason): string {
  switch (reason.kind) {
    case 'member-added':
      return `Adding new member ${reason.memberId} with group instance id ${scalaOption(reason.groupInstanceId)}; client reason: ${clientReason(reason.clientReason)}`;
    case 'member-left':
      return `${reason.memberIds.map((id) => `Removing member ${id} on LeaveGroup`).join(', ')}; client reason: ${clientReason(reason.clientReason)}`;
    case 'session-expired':
      return `removing member ${reason.memberId} on heartbeat expiration`;
    case 'other':
      return reason.text;
  }
}

function scalaOption(value: string | null): string {
  return value === null ? 'None' : `Some(${value})`;
}

function runtimeLine(event: GroupLogEvent): { message: string; logger: string } | null {
  const manager = `${RUNTIME_PACKAGE}.GroupMetadataManager`;
  switch (event.kind) {
    case 'unknown-member-joins':
      return { logger: manager, message: `Dynamic member with unknown member id joins group ${event.group} in ${event.state} state. Created a new member id ${event.memberId} and requesting the member to rejoin with this id.` };
    case 'pending-member-joins':
      return { logger: manager, message: `Pending dynamic member with id ${event.memberId} joins group ${event.group} in ${event.state} state. Adding to the group now.` };
    case 'unknown-member-added':
      return { logger: manager, message: `Dynamic member with unknown member id joins group ${event.group} in state ${event.state}. Created a new member id ${event.memberId} and added the member to the group.` };
    case 'preparing-rebalance':
      return { logger: manager, message: `Preparing to rebalance group ${event.group} in state PreparingRebalance with old generation ${event.oldGeneration} (reason: ${runtimeReason(event.reason)}).` };
    case 'stabilized':
      return { logger: manager, message: `Stabilized group ${event.group} generation ${event.generation} with ${event.members} members.` };
    case 'assignment-received':
      return { logger: manager, message: assignmentReceived(event) };
    case 'now-empty':
      return { logger: manager, message: `Group ${event.group} with generation ${event.generation} is now empty.` };
    case 'member-leaving':
      return { logger: manager, message: `[Group ${event.group}] Member ${event.memberId} has left group through explicit \`LeaveGroup\` request; client reason: ${clientReason(event.clientReason)}` };
    case 'member-failed':
      return { logger: manager, message: `Member ${event.memberId} in group ${event.group} has failed, removing it from the group.` };
    case 'simple-group-created':
      return { logger: `${RUNTIME_PACKAGE}.OffsetMetadataManager`, message: `[GroupId ${event.group}] Creating a simple consumer group via manual offset commit.` };
    case 'groups-deleted':
      return { logger: `${RUNTIME_PACKAGE}.GroupCoordinatorShard`, message: `The following groups were deleted: ${event.groups.join(', ')}. A total of ${event.offsets} offsets were removed.` };
    case 'text':
      return { logger: manager, message: event.message };
    case 'member-left':
    case 'offsets-deleted':
    case 'group-expired':
      return null;
  }
}

function classicLine(event: GroupLogEvent, partition: string): string | null {
  switch (event.kind) {
    case 'unknown-member-joins':
      return `Dynamic member with unknown member id joins group ${event.group} in ${event.state} state. Created a new member id ${event.memberId} and request the member to rejoin with this id.`;
    case 'unknown-member-added':
      // sic: 3.9.2 capitalizes "Member" in this line only.
      return `Dynamic Member with unknown member id joins group ${event.group} in ${event.state} state. Created a new member id ${event.memberId} for this member and add to the group.`;
    case 'preparing-rebalance':
      return `Preparing to rebalance group ${event.group} in state PreparingRebalance with old generation ${event.oldGeneration} (${partition}) (reason: ${classicReason(event.reason)})`;
    case 'stabilized':
      return `Stabilized group ${event.group} generation ${event.generation} (${partition}) with ${event.members} members`;
    case 'assignment-received':
      return assignmentReceived(event);
    case 'now-empty':
      return `Group ${event.group} with generation ${event.generation} is now empty (${partition})`;
    case 'member-left':
      return `Member ${memberMetadata(event.member)} has left group ${event.group} through explicit \`LeaveGroup\`; client reason: ${clientReason(event.clientReason)}`;
    case 'member-failed':
      return `Member ${event.memberId} in group ${event.group} has failed, removing it from the group`;
    case 'groups-deleted':
      return `The following groups were deleted: ${event.groups.join(', ')}. A total of ${event.offsets} offsets were removed.`;
    case 'offsets-deleted':
      return `The following offsets of the group ${event.group} were deleted: ${event.partitions.join(', ')}. A total of ${event.partitions.length} offsets were removed.`;
    case 'text':
      return event.message;
    case 'pending-member-joins':
    case 'member-leaving':
    case 'simple-group-created':
    case 'group-expired':
      return null;
  }
}

function assignmentReceived(event: Extract<GroupLogEvent, { kind: 'assignment-received' }>): string {
  return `Assignment received from leader ${event.leader} for group ${event.group} for generation ${event.generation}. The group has ${event.members} members, ${event.staticMembers} of which are static.`;
}

export function renderGroupLogLine(event: GroupLogEvent, wording: LogWording, shard: ShardIdentity): RenderedLogLine | null {
  if (wording === 'runtime') {
    const line = runtimeLine(event);
    return line === null ? null : { logger: line.logger, message: `[GroupCoordinator id=${shard.brokerId} topic=${CONSUMER_OFFSETS} partition=${shard.partition}] ${line.message}` };
  }
  if (event.kind === 'group-expired') {
    // The classic GroupMetadataManager's own line, under its own prefix and logger.
    return { logger: CLASSIC_MANAGER_LOGGER, message: `[GroupMetadataManager brokerId=${shard.brokerId}] Group ${event.group} transitioned to Dead in generation ${event.generation}` };
  }
  const message = classicLine(event, `${CONSUMER_OFFSETS}-${shard.partition}`);
  return message === null ? null : { logger: CLASSIC_COORDINATOR_LOGGER, message: `[GroupCoordinator ${shard.brokerId}]: ${message}` };
}

/** What a shard's load found, for the lines that close it. */
export interface LoadSummary {
  epoch: number;
  elapsedMs: number;
  /** records replayed (control records not counted) and the partition's size */
  records: number;
  bytes: number;
  /** every group the shard serves after the load */
  groups: Array<{ group: string; generation: number; members: number }>;
  /** each member of each GroupMetadata record read, in log order (3.x logs them one by one) */
  memberRecords: Array<{ group: string; generation: number; member: MemberDescription }>;
}

/** The line that opens a shard's load. */
export function loadScheduledLine(wording: LogWording, shard: ShardIdentity, epoch: number): RenderedLogLine {
  const tp = `${CONSUMER_OFFSETS}-${shard.partition}`;
  return wording === 'runtime'
    ? { logger: RUNTIME_LOGGER, message: `[GroupCoordinator id=${shard.brokerId}] Scheduling loading of metadata from ${tp} with epoch ${epoch}` }
    : { logger: CLASSIC_MANAGER_LOGGER, message: `[GroupMetadataManager brokerId=${shard.brokerId}] Scheduling loading of offsets and group metadata from ${tp} for epoch ${epoch}` };
}

/** The lines of a load that succeeded: the groups it found, then the summary. */
export function loadFinishedLines(wording: LogWording, shard: ShardIdentity, load: LoadSummary): RenderedLogLine[] {
  const tp = `${CONSUMER_OFFSETS}-${shard.partition}`;
  if (wording === 'runtime') {
    return [
      ...load.groups.map((g) => ({
        logger: `${RUNTIME_PACKAGE}.GroupMetadataManager`,
        message: `[GroupCoordinator id=${shard.brokerId} topic=${CONSUMER_OFFSETS} partition=${shard.partition}] Loaded classic group ${g.group} with ${g.members} members.`,
      })),
      {
        logger: RUNTIME_LOGGER,
        message: `[GroupCoordinator id=${shard.brokerId}] Finished loading of metadata from ${tp} with epoch ${load.epoch} in ${load.elapsedMs}ms where 0ms was spent in the scheduler. Loaded ${load.records} records which total to ${load.bytes} bytes.`,
      },
    ];
  }
  return [
    ...load.memberRecords.map((r) => ({
      // GroupMetadata's companion object logs it, without a prefix.
      logger: 'kafka.coordinator.group.GroupMetadata$',
      message: `Loaded member ${memberMetadata(r.member)} in group ${r.group} with generation ${r.generation}.`,
    })),
    ...load.groups.map((g) => ({ logger: CLASSIC_COORDINATOR_LOGGER, message: `[GroupCoordinator ${shard.brokerId}]: Loading group metadata for ${g.group} with generation ${g.generation}` })),
    {
      logger: CLASSIC_MANAGER_LOGGER,
      message: `[GroupMetadataManager brokerId=${shard.brokerId}] Finished loading offsets and group metadata from ${tp} in ${load.elapsedMs} milliseconds for epoch ${load.epoch}, of which 0 milliseconds was spent in the scheduler.`,
    },
  ];
}

function memberMetadata(m: MemberDescription): string {
  return `MemberMetadata(memberId=${m.memberId}, groupInstanceId=${scalaOption(m.groupInstanceId)}, clientId=${m.clientId}, clientHost=${m.clientHost}, sessionTimeoutMs=${m.sessionTimeoutMs}, rebalanceTimeoutMs=${m.rebalanceTimeoutMs}, supportedProtocols=List(${m.protocols.join(', ')}))`;
}
