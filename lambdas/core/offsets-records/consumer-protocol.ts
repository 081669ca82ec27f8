import { ByteReader } from '../bytes/index.ts';
import { invalidInput, RecoveryError } from '../errors.ts';
import { readMessage, type MessageValue } from '../schema/index.ts';
import { consumerProtocolSchema, copyOrNull, encodeWithSchema } from './schema-access.ts';
import type { ConsumerAssignment, ConsumerSubscription, TopicPartitions } from './types.ts';

/**
 * The consumer protocol embedded in a classic group's member metadata: an int16 version, then
 * ConsumerProtocolSubscription / ConsumerProtocolAssignment at that version (never flexible).
 * Like Kafka's ConsumerProtocol, a version newer than the schema knows is read with the newest
 * known layout (the schema promises new versions only append fields) and its extra bytes are
 * ignored; at a known version, leftover bytes mean the data is corrupt.
 */

const LATEST_VERSION = 3;

function corrupt(what: string, detail: string): RecoveryError {
  return new RecoveryError('CORRUPT_DATA', `${what}: ${detail}`);
}

function readEmbedded(bytes: Buffer, schemaName: string): { version: number; value: MessageValue } {
  if (bytes.length < 2) throw corrupt(schemaName, `${bytes.length} byte(s) cannot hold the int16 version`);
  const version = bytes.readInt16BE(0);
  if (version < 0) throw corrupt(schemaName, `negative version ${version}`);
  const readAs = Math.min(version, LATEST_VERSION);
  const reader = new ByteReader(bytes, 2);
  let value: MessageValue;
  try {
    value = readMessage(consumerProtocolSchema(schemaName), readAs, reader);
  } catch (error) {
    throw corrupt(schemaName, error instanceof Error ? error.message : String(error));
  }
  if (version <= LATEST_VERSION && reader.remaining !== 0) {
    throw corrupt(schemaName, `${reader.remaining} unexpected byte(s) after version ${version}`);
  }
  return { version, value };
}

function toTopicPartitions(items: unknown): TopicPartitions[] {
  if (!Array.isArray(items)) return [];
  return items.map((item: MessageValue) => ({ topic: item['topic'] as string, partitions: item['partitions'] as number[] }));
}

/** Throws RecoveryError CORRUPT_DATA when the bytes are not a subscription. */
export function decodeConsumerSubscription(bytes: Buffer): ConsumerSubscription {
  const { version, value } = readEmbedded(bytes, 'ConsumerProtocolSubscription');
  return {
    version,
    topics: value['topics'] as string[],
    userData: copyOrNull(value['userData']),
    ownedPartitions: toTopicPartitions(value['ownedPartitions']),
    generationId: value['generationId'] as number,
    rackId: value['rackId'] as string | null,
  };
}

/** Throws RecoveryError CORRUPT_DATA when the bytes are not an assignment. */
export function decodeConsumerAssignment(bytes: Buffer): ConsumerAssignment {
  const { version, value } = readEmbedded(bytes, 'ConsumerProtocolAssignment');
  return {
    version,
    assignedPartitions: toTopicPartitions(value['assignedPartitions']),
    userData: copyOrNull(value['userData']),
  };
}

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 0 || version > LATEST_VERSION) {
    throw invalidInput('version', `expected 0-${LATEST_VERSION}, got ${String(version)}`, 'Use 3, what current Java clients write.');
  }
}

function withVersionPrefix(version: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeInt16BE(version, 0);
  body.copy(out, 2);
  return out;
}

export interface ConsumerSubscriptionInput {
  topics: string[];
  userData?: Buffer | null;
  /** Written from version 1 on. */
  ownedPartitions?: TopicPartitions[];
  /** Written from version 2 on; default -1. */
  generationId?: number;
  /** Written from version 3 on; default null. */
  rackId?: string | null;
}

export function encodeConsumerSubscription(subscription: ConsumerSubscriptionInput, version = LATEST_VERSION): Buffer {
  checkVersion(version);
  const body = encodeWithSchema(
    consumerProtocolSchema('ConsumerProtocolSubscription'),
    version,
    {
      topics: subscription.topics,
      userData: subscription.userData ?? null,
      ownedPartitions: subscription.ownedPartitions ?? [],
      generationId: subscription.generationId ?? -1,
      rackId: subscription.rackId ?? null,
    },
    'subscription',
  );
  return withVersionPrefix(version, body);
}

export interface ConsumerAssignmentInput {
  assignedPartitions: TopicPartitions[];
  userData?: Buffer | null;
}

export function encodeConsumerAssignment(assignment: ConsumerAssignmentInput, version = LATEST_VERSION): Buffer {
  checkVersion(version);
  const body = encodeWithSchema(
    consumerProtocolSchema('ConsumerProtocolAssignment'),
    version,
    { assignedPartitions: assignment.assignedPartitions, userData: assignment.userData ?? null },
    'assignment',
  );
  return withVersionPrefix(version, body);
}
