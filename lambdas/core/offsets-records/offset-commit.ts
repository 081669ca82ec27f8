import { ByteReader, ByteWriter } from '../bytes/index.ts';
import { invalidInput } from '../errors.ts';
import { corruptKey, corruptValue, RecordDecodeFailure } from './failure.ts';
import type { OffsetCommitKey, OffsetCommitValue, UnknownTaggedFields } from './types.ts';

/**
 * Hand-written codec for OffsetCommitKey / OffsetCommitValue (and the legacy type-0 pair), the
 * records a scan meets millions of times. It follows Kafka 4.3.1's OffsetCommitValue.json exactly
 * and is checked against the schema-driven decoder in the tests:
 *   v0, v2: offset, metadata, commitTimestamp
 *   v1:     offset, metadata, commitTimestamp, expireTimestamp
 *   v3:     offset, leaderEpoch, metadata, commitTimestamp
 *   v4:     as v3 with compact metadata and a tagged-field section (tag 0 = topicId)
 */

export const OFFSET_COMMIT_VALUE_VERSIONS = { min: 0, max: 4 } as const;
const FIRST_FLEXIBLE_VERSION = 4;
const TOPIC_ID_TAG = 0;
const UUID_BYTES = 16;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function readKeyString(reader: ByteReader, field: string): string {
  const length = reader.readInt16();
  if (length < 0) throw corruptKey(`${field} is null, which an offset commit key never holds`);
  return reader.readUtf8(length);
}

/** The key struct after the int16 record type. Throws RecordDecodeFailure or ByteUnderflowError. */
export function readOffsetCommitKey(key: Buffer): OffsetCommitKey {
  const reader = new ByteReader(key, 2);
  const group = readKeyString(reader, 'group');
  const topic = readKeyString(reader, 'topic');
  const partition = reader.readInt32();
  if (reader.remaining !== 0) throw corruptKey(`${reader.remaining} unexpected byte(s) after the partition`);
  return { group, topic, partition };
}

function readMetadata(reader: ByteReader, flexible: boolean): string {
  // Compact strings store length + 1, so 0 means null; metadata is never nullable.
  const length = flexible ? reader.readUnsignedVarint() - 1 : reader.readInt16();
  if (length < 0) throw corruptValue('metadata is null, which OffsetCommitValue does not allow');
  return length === 0 ? '' : reader.readUtf8(length);
}

const HEX_BYTE = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Table lookups instead of toString('hex') + slicing: this runs once per v4 commit in a scan. */
function formatUuid(bytes: Buffer, start: number): string {
  let out = '';
  for (let i = 0; i < UUID_BYTES; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX_BYTE[bytes[start + i] as number] as string;
  }
  return out;
}

/**
 * Commits of one topic tend to follow each other in the log, so the last topic id's string is
 * reused when the next one has the same 16 bytes: no new string per record, and the latest-value
 * maps of a scan share one string per topic instead of holding one per partition.
 */
const lastTopicIdWords = new Int32Array(4);
let lastTopicId: string | null = null;

function topicIdAt(bytes: Buffer, start: number): string {
  const a = bytes.readInt32BE(start);
  const b = bytes.readInt32BE(start + 4);
  const c = bytes.readInt32BE(start + 8);
  const d = bytes.readInt32BE(start + 12);
  if (
    lastTopicId !== null &&
    a === lastTopicIdWords[0] &&
    b === lastTopicIdWords[1] &&
    c === lastTopicIdWords[2] &&
    d === lastTopicIdWords[3]
  ) {
    return lastTopicId;
  }
  lastTopicIdWords[0] = a;
  lastTopicIdWords[1] = b;
  lastTopicIdWords[2] = c;
  lastTopicIdWords[3] = d;
  lastTopicId = formatUuid(bytes, start);
  return lastTopicId;
}

/**
 * The value after its int16 version (passed in). Unknown tagged fields are copied, so a decoded
 * value never pins the (possibly megabytes large) fetch buffer it came from.
 */
export function readOffsetCommitValue(value: Buffer, valueVersion: number): OffsetCommitValue {
  if (valueVersion < OFFSET_COMMIT_VALUE_VERSIONS.min || valueVersion > OFFSET_COMMIT_VALUE_VERSIONS.max) {
    throw new RecordDecodeFailure(
      'UNKNOWN_VALUE_VERSION',
      `OffsetCommitValue version ${valueVersion} is not one of ${OFFSET_COMMIT_VALUE_VERSIONS.min}-${OFFSET_COMMIT_VALUE_VERSIONS.max}`,
    );
  }
  const flexible = valueVersion >= FIRST_FLEXIBLE_VERSION;
  const reader = new ByteReader(value, 2);
  const offset = reader.readInt64();
  const leaderEpoch = valueVersion >= 3 ? reader.readInt32() : -1;
  const metadata = readMetadata(reader, flexible);
  const commitTimestamp = reader.readInt64();
  const expireTimestamp = valueVersion === 1 ? reader.readInt64() : -1n;
  let topicId: string | null = null;
  const unknownTaggedFields: UnknownTaggedFields = [];
  if (flexible) {
    const count = reader.readUnsignedVarint();
    let previousTag = -1;
    for (let i = 0; i < count; i++) {
      const tag = reader.readUnsignedVarint();
      const size = reader.readUnsignedVarint();
      // Writers emit tags in ascending order; anything else is corruption, not a newer format.
      if (tag <= previousTag) throw corruptValue(`tagged fields out of order (${tag} after ${previousTag})`);
      previousTag = tag;
      const start = reader.position;
      reader.skip(size);
      if (tag === TOPIC_ID_TAG) {
        if (size !== UUID_BYTES) throw corruptValue(`tagged topicId has ${size} byte(s), a UUID has ${UUID_BYTES}`);
        const uuid = topicIdAt(value, start);
        topicId = uuid === ZERO_UUID ? null : uuid;
      } else {
        unknownTaggedFields.push([tag, Buffer.from(value.subarray(start, start + size))]);
      }
    }
  }
  if (reader.remaining !== 0) {
    throw corruptValue(`${reader.remaining} unexpected byte(s) after OffsetCommitValue v${valueVersion}`);
  }
  return {
    valueVersion,
    offset,
    leaderEpoch,
    metadata,
    commitTimestamp,
    expireTimestamp,
    topicId,
    unknownTaggedFields,
  };
}

function requireInt64(value: unknown, field: string): bigint {
  if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) {
    throw invalidInput(field, `expected a bigint in the int64 range, got ${String(value)}`, 'Pass it as a bigint, e.g. 42n.');
  }
  return value;
}

function requireInt32(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
    throw invalidInput(field, `expected an int32, got ${String(value)}`, 'Pass an integer between -2147483648 and 2147483647.');
  }
  return value;
}

function requireString(value: unknown, field: string, maxBytes: number): Buffer {
  if (typeof value !== 'string') throw invalidInput(field, `expected a string, got ${typeof value}`, 'Pass text.');
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > maxBytes) {
    throw invalidInput(field, `is ${bytes.length} UTF-8 bytes long`, `Keep it at most ${maxBytes} bytes.`);
  }
  return bytes;
}

const MAX_INT16_STRING = 0x7fff;

export function encodeOffsetCommitKey(key: OffsetCommitKey, recordType: 0 | 1 = 1): Buffer {
  if (recordType !== 0 && recordType !== 1) {
    throw invalidInput('recordType', `expected 0 or 1, got ${String(recordType)}`, 'Use 1 (0 is the Kafka 0.8.2 layout).');
  }
  const group = requireString(key.group, 'group', MAX_INT16_STRING);
  const topic = requireString(key.topic, 'topic', MAX_INT16_STRING);
  const partition = requireInt32(key.partition, 'partition');
  const writer = new ByteWriter(2 + 2 + group.length + 2 + topic.length + 4);
  writer.writeInt16(recordType).writeInt16(group.length).writeBytes(group);
  writer.writeInt16(topic.length).writeBytes(topic).writeInt32(partition);
  return Buffer.from(writer.toBuffer());
}

export interface OffsetCommitValueInput {
  offset: bigint;
  /** Written from version 3 on; default -1 (unknown). */
  leaderEpoch?: number;
  metadata: string;
  commitTimestamp: bigint;
  /** Written only by version 1; default -1. */
  expireTimestamp?: bigint;
  /** Written only by version 4+ and only when set (tag 0). */
  topicId?: string | null;
  /** Version 4+: tagged fields to carry through unchanged (tag 0 is topicId and not allowed here). */
  unknownTaggedFields?: UnknownTaggedFields;
}

/**
 * Fields that a version does not carry are left out, as Kafka does for "ignorable" fields
 * (leaderEpoch before v3, expireTimestamp outside v1, topicId before v4).
 */
export function encodeOffsetCommitValue(input: OffsetCommitValueInput, valueVersion: number): Buffer {
  if (!Number.isInteger(valueVersion) || valueVersion < 0 || valueVersion > OFFSET_COMMIT_VALUE_VERSIONS.max) {
    throw invalidInput('valueVersion', `expected 0-4, got ${String(valueVersion)}`, 'Use 3 (Kafka 2.1-4.0) or 4 (Kafka 4.1+).');
  }
  const offset = requireInt64(input.offset, 'offset');
  const leaderEpoch = requireInt32(input.leaderEpoch ?? -1, 'leaderEpoch');
  const flexible = valueVersion >= FIRST_FLEXIBLE_VERSION;
  const metadata = requireString(input.metadata, 'metadata', flexible ? 0x7ffffffe : MAX_INT16_STRING);
  const commitTimestamp = requireInt64(input.commitTimestamp, 'commitTimestamp');
  const expireTimestamp = requireInt64(input.expireTimestamp ?? -1n, 'expireTimestamp');

  const writer = new ByteWriter(64 + metadata.length);
  writer.writeInt16(valueVersion).writeInt64(offset);
  if (valueVersion >= 3) writer.writeInt32(leaderEpoch);
  if (flexible) writer.writeUnsignedVarint(metadata.length + 1);
  else writer.writeInt16(metadata.length);
  writer.writeBytes(metadata).writeInt64(commitTimestamp);
  if (valueVersion === 1) writer.writeInt64(expireTimestamp);
  if (flexible) writeTaggedFields(writer, input);
  return Buffer.from(writer.toBuffer());
}

function writeTaggedFields(writer: ByteWriter, input: OffsetCommitValueInput): void {
  const tagged: Array<[number, Buffer]> = [];
  if (input.topicId !== undefined && input.topicId !== null && input.topicId !== ZERO_UUID) {
    const hex = typeof input.topicId === 'string' ? input.topicId.replace(/-/g, '') : '';
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
      throw invalidInput('topicId', `"${String(input.topicId)}" is not a UUID`, 'Use the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.');
    }
    tagged.push([TOPIC_ID_TAG, Buffer.from(hex, 'hex')]);
  }
  for (const [tag, bytes] of input.unknownTaggedFields ?? []) {
    if (!Number.isInteger(tag) || tag <= TOPIC_ID_TAG || tag > 0x7fffffff) {
      throw invalidInput('unknownTaggedFields', `tag ${String(tag)} is not an unknown tag`, 'Use tags above 0; tag 0 is topicId.');
    }
    tagged.push([tag, bytes]);
  }
  // Kafka writes tagged fields in ascending tag order.
  tagged.sort((a, b) => a[0] - b[0]);
  writer.writeUnsignedVarint(tagged.length);
  for (const [tag, bytes] of tagged) writer.writeUnsignedVarint(tag).writeUnsignedVarint(bytes.length).writeBytes(bytes);
}
