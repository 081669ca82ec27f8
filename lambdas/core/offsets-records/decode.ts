import { ByteUnderflowError } from '../bytes/index.ts';
import { RecordDecodeFailure } from './failure.ts';
import { readGroupMetadataKey, readGroupMetadataValue } from './group-metadata.ts';
import { readGroupRecordKey, readGroupRecordValue } from './group-record.ts';
import { readOffsetCommitKey, readOffsetCommitValue } from './offset-commit.ts';
import { GROUP_METADATA, LEGACY_OFFSET_COMMIT, OFFSET_COMMIT, RECORD_TYPE_NAMES, REMOVED_RECORD_TYPES } from './record-types.ts';
import type {
  DecodeOptions,
  GroupMetadataRecord,
  GroupRecord,
  OffsetCommitKey,
  OffsetCommitRecord,
  OffsetCommitValue,
  OffsetsRecord,
  SkippedRecord,
  SkipReason,
} from './types.ts';

function skipped(reason: SkipReason, recordType: number | null, detail: string): SkippedRecord {
  return { kind: 'skipped', reason, recordType, detail };
}

/** Any failure inside a decoder becomes a skip: a scan counts it and goes on. */
function failed(error: unknown, fallback: SkipReason, recordType: number): SkippedRecord {
  if (error instanceof RecordDecodeFailure) return skipped(error.reason, recordType, error.message);
  if (error instanceof ByteUnderflowError) return skipped(fallback, recordType, `truncated: ${error.message}`);
  return skipped(fallback, recordType, error instanceof Error ? error.message : String(error));
}

function readValueVersion(value: Buffer): number {
  if (value.length < 2) {
    throw new RecordDecodeFailure('CORRUPT_VALUE', `value has ${value.length} byte(s), too short for the int16 version`);
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new RecordDecodeFailure('UNKNOWN_VALUE_VERSION', `negative value version ${version}`);
  return version;
}

function decodeOffsetCommit(recordType: 0 | 1, key: Buffer, value: Buffer | null): OffsetCommitRecord | SkippedRecord {
  let fields: OffsetCommitKey;
  try {
    fields = readOffsetCommitKey(key);
  } catch (error) {
    return failed(error, 'CORRUPT_KEY', recordType);
  }
  if (value === null) {
    return {
      kind: 'offset-commit',
      recordType,
      group: fields.group,
      topic: fields.topic,
      partition: fields.partition,
      tombstone: true,
      value: undefined,
    };
  }
  let decoded: OffsetCommitValue;
  try {
    const version = readValueVersion(value);
    // Type 0 pairs with LegacyOffsetCommitValue, whose only version 0 has the v0 layout.
    if (recordType === LEGACY_OFFSET_COMMIT && version !== 0) {
      throw new RecordDecodeFailure('UNKNOWN_VALUE_VERSION', `LegacyOffsetCommitValue version ${version} is not 0`);
    }
    decoded = readOffsetCommitValue(value, version);
  } catch (error) {
    return failed(error, 'CORRUPT_VALUE', recordType);
  }
  return {
    kind: 'offset-commit',
    recordType,
    group: fields.group,
    topic: fields.topic,
    partition: fields.partition,
    tombstone: false,
    value: decoded,
  };
}

function decodeGroupMetadata(key: Buffer, value: Buffer | null): GroupMetadataRecord | SkippedRecord {
  let group: string;
  try {
    group = readGroupMetadataKey(key);
  } catch (error) {
    return failed(error, 'CORRUPT_KEY', GROUP_METADATA);
  }
  if (value === null) return { kind: 'group-metadata', recordType: GROUP_METADATA, group, tombstone: true, value: undefined };
  try {
    const decoded = readGroupMetadataValue(value, readValueVersion(value));
    return { kind: 'group-metadata', recordType: GROUP_METADATA, group, tombstone: false, value: decoded };
  } catch (error) {
    return failed(error, 'CORRUPT_VALUE', GROUP_METADATA);
  }
}

function decodeGroupRecord(
  recordType: number,
  typeName: string,
  key: Buffer,
  value: Buffer | null,
  options: DecodeOptions,
): GroupRecord | SkippedRecord {
  let parsedKey: { group: string; fields: Record<string, string> };
  try {
    parsedKey = readGroupRecordKey(key, typeName);
  } catch (error) {
    return failed(error, 'CORRUPT_KEY', recordType);
  }
  const record: GroupRecord = {
    kind: 'group-record',
    recordType,
    typeName,
    group: parsedKey.group,
    key: parsedKey.fields,
    tombstone: value === null,
    valueVersion: null,
  };
  if (value === null) return record;
  try {
    record.valueVersion = readValueVersion(value);
    const decoded = readGroupRecordValue(value, record.valueVersion, typeName, options.decodeGroupRecordValues === true);
    if (decoded !== undefined) record.value = decoded;
  } catch (error) {
    return failed(error, 'CORRUPT_VALUE', recordType);
  }
  return record;
}

/**
 * Decodes one `__consumer_offsets` record (key, and value or null for a tombstone). Never throws:
 * anything that is not a well-formed record of a known type comes back as `kind: 'skipped'`
 * with the reason, so one bad record cannot stop or falsify a scan.
 */
export function decodeOffsetsRecord(key: Buffer | null, value: Buffer | null, options: DecodeOptions = {}): OffsetsRecord {
  try {
    if (key === null || key.length === 0) {
      return skipped('EMPTY_KEY', null, 'the record has no key; every __consumer_offsets record has one');
    }
    if (key.length < 2) return skipped('CORRUPT_KEY', null, `the key has ${key.length} byte(s), too short for the int16 record type`);
    const recordType = key.readInt16BE(0);
    if (recordType === OFFSET_COMMIT || recordType === LEGACY_OFFSET_COMMIT) return decodeOffsetCommit(recordType, key, value);
    if (recordType === GROUP_METADATA) return decodeGroupMetadata(key, value);
    if (recordType < 0) return skipped('NEGATIVE_RECORD_TYPE', recordType, `record type ${recordType} is negative`);
    const typeName = RECORD_TYPE_NAMES.get(recordType);
    if (typeName === undefined) {
      const removed = REMOVED_RECORD_TYPES.get(recordType);
      const detail = removed === undefined ? 'not defined by Kafka 4.3.1' : `removed record type ${removed}`;
      return skipped('UNKNOWN_RECORD_TYPE', recordType, `record type ${recordType}: ${detail}`);
    }
    return decodeGroupRecord(recordType, typeName, key, value, options);
  } catch (error) {
    // Only reachable through a bug in a decoder; still a skip, never an exception in a scan.
    const recordType = key !== null && key.length >= 2 ? key.readInt16BE(0) : null;
    return skipped('CORRUPT_VALUE', recordType, `decoder failure: ${error instanceof Error ? error.message : String(error)}`);
  }
}
