import { ByteReader } from '../bytes/index.ts';
import { invalidInput } from '../errors.ts';
import { decodeMessage, isValidVersion, readMessage, type MessageValue } from '../schema/index.ts';
import { decodeConsumerAssignment, decodeConsumerSubscription } from './consumer-protocol.ts';
import { corruptKey, corruptValue, RecordDecodeFailure } from './failure.ts';
import { GROUP_METADATA } from './record-types.ts';
import { coordinatorSchema, copyUnknownTaggedFields, encodeWithSchema } from './schema-access.ts';
import type { ConsumerAssignment, ConsumerSubscription, GroupMember, GroupMetadataValue, UnknownTaggedFields } from './types.ts';

/** Classic group metadata (record type 2), decoded and encoded through Kafka's GroupMetadataValue schema. */

const CONSUMER_PROTOCOL_TYPE = 'consumer';

function embeddedError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toMember(raw: MessageValue, protocolType: string): GroupMember {
  const subscriptionBytes = Buffer.from(raw['subscription'] as Buffer);
  const assignmentBytes = Buffer.from(raw['assignment'] as Buffer);
  let subscription: ConsumerSubscription | null = null;
  let assignment: ConsumerAssignment | null = null;
  const problems: string[] = [];
  if (protocolType === CONSUMER_PROTOCOL_TYPE) {
    // A bad embedded subscription loses that member's details, not the group's record.
    try {
      subscription = decodeConsumerSubscription(subscriptionBytes);
    } catch (error) {
      problems.push(embeddedError(error));
    }
    // Members that joined but were never assigned carry an empty assignment.
    if (assignmentBytes.length > 0) {
      try {
        assignment = decodeConsumerAssignment(assignmentBytes);
      } catch (error) {
        problems.push(embeddedError(error));
      }
    }
  }
  const member: GroupMember = {
    memberId: raw['memberId'] as string,
    groupInstanceId: raw['groupInstanceId'] as string | null,
    clientId: raw['clientId'] as string,
    clientHost: raw['clientHost'] as string,
    rebalanceTimeout: raw['rebalanceTimeout'] as number,
    sessionTimeout: raw['sessionTimeout'] as number,
    subscriptionBytes,
    subscription,
    assignmentBytes,
    assignment,
    unknownTaggedFields: copyUnknownTaggedFields(raw),
  };
  if (problems.length > 0) member.embeddedProtocolError = problems.join('; ');
  return member;
}

/** The value after its int16 version. Throws RecordDecodeFailure, SchemaCodecError or ByteUnderflowError. */
export function readGroupMetadataValue(value: Buffer, valueVersion: number): GroupMetadataValue {
  const schema = coordinatorSchema('GroupMetadataValue');
  if (!isValidVersion(schema, valueVersion)) {
    throw new RecordDecodeFailure('UNKNOWN_VALUE_VERSION', `GroupMetadataValue version ${valueVersion} is not one of 0-4`);
  }
  const reader = new ByteReader(value, 2);
  const raw = readMessage(schema, valueVersion, reader);
  if (reader.remaining !== 0) {
    throw corruptValue(`${reader.remaining} unexpected byte(s) after GroupMetadataValue v${valueVersion}`);
  }
  const protocolType = raw['protocolType'] as string;
  return {
    valueVersion,
    protocolType,
    generation: raw['generation'] as number,
    protocol: raw['protocol'] as string | null,
    leader: raw['leader'] as string | null,
    currentStateTimestamp: raw['currentStateTimestamp'] as bigint,
    members: (raw['members'] as MessageValue[]).map((member) => toMember(member, protocolType)),
    unknownTaggedFields: copyUnknownTaggedFields(raw),
  };
}

export interface GroupMemberInput {
  memberId: string;
  /** Written from version 3 on; default null. */
  groupInstanceId?: string | null;
  clientId: string;
  clientHost: string;
  /** Written from version 1 on; default -1. */
  rebalanceTimeout?: number;
  sessionTimeout: number;
  /** The embedded subscription as bytes (see encodeConsumerSubscription). */
  subscriptionBytes: Buffer;
  assignmentBytes: Buffer;
  unknownTaggedFields?: UnknownTaggedFields;
}

export interface GroupMetadataValueInput {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** Written from version 2 on; default -1. */
  currentStateTimestamp?: bigint;
  members: GroupMemberInput[];
  /** Version 4+ only. */
  unknownTaggedFields?: UnknownTaggedFields;
}

/** The full record value: int16 version + GroupMetadataValue at that version (0-4). */
export function encodeGroupMetadataValue(value: GroupMetadataValueInput, valueVersion: number): Buffer {
  const schema = coordinatorSchema('GroupMetadataValue');
  if (!Number.isInteger(valueVersion) || !isValidVersion(schema, valueVersion)) {
    throw invalidInput('valueVersion', `expected 0-4, got ${String(valueVersion)}`, 'Use 3 (what Kafka 2.3-4.3 write).');
  }
  if (!Array.isArray(value.members)) {
    throw invalidInput('members', 'expected an array', 'Pass [] for a group without members.');
  }
  const body = encodeWithSchema(
    schema,
    valueVersion,
    {
      protocolType: value.protocolType,
      generation: value.generation,
      protocol: value.protocol,
      leader: value.leader,
      currentStateTimestamp: value.currentStateTimestamp ?? -1n,
      members: value.members.map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId ?? null,
        clientId: member.clientId,
        clientHost: member.clientHost,
        rebalanceTimeout: member.rebalanceTimeout ?? -1,
        sessionTimeout: member.sessionTimeout,
        subscription: member.subscriptionBytes,
        assignment: member.assignmentBytes,
        _unknownTaggedFields: member.unknownTaggedFields ?? [],
      })),
      _unknownTaggedFields: value.unknownTaggedFields ?? [],
    },
    'groupMetadata',
  );
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeInt16BE(valueVersion, 0);
  body.copy(out, 2);
  return out;
}

/** The group of a GroupMetadataKey, after its int16 type. Throws RecordDecodeFailure. */
export function readGroupMetadataKey(key: Buffer): string {
  let raw: MessageValue;
  try {
    raw = decodeMessage(coordinatorSchema('GroupMetadataKey'), 0, key.subarray(2));
  } catch (error) {
    throw corruptKey(`GroupMetadataKey: ${error instanceof Error ? error.message : String(error)}`);
  }
  return raw['group'] as string;
}

export function encodeGroupMetadataKey(group: string): Buffer {
  if (typeof group !== 'string') throw invalidInput('group', `expected a string, got ${typeof group}`, 'Pass the group id.');
  const body = encodeWithSchema(coordinatorSchema('GroupMetadataKey'), 0, { group }, 'group');
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeInt16BE(GROUP_METADATA, 0);
  body.copy(out, 2);
  return out;
}
