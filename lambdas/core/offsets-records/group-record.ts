import { ByteReader } from '../bytes/index.ts';
import { invalidInput } from '../errors.ts';
import { decodeMessage, isValidVersion, readMessage, type MessageValue } from '../schema/index.ts';
import { corruptKey, corruptValue, RecordDecodeFailure } from './failure.ts';
import { isGroupRecordType, RECORD_TYPE_NAMES } from './record-types.ts';
import { coordinatorSchema, encodeWithSchema } from './schema-access.ts';

/**
 * KIP-848 consumer-group, KIP-932 share-group and KIP-1071 streams-group records (types 3-8,
 * 10-17, 19-23). Offset recovery only needs their group id, which every one of their keys
 * carries as GroupId; the key and, on request, the value are decoded through Kafka's schemas.
 */

const KEY_VERSION = 0;

function requireGroupRecordType(recordType: number): string {
  const name = RECORD_TYPE_NAMES.get(recordType);
  if (name === undefined || !isGroupRecordType(recordType)) {
    throw invalidInput(
      'recordType',
      `${String(recordType)} is not a consumer-, share- or streams-group record type`,
      'Use one of 3-8, 10-17, 19-23 (0-2 have their own encoders).',
    );
  }
  return name;
}

/** Key fields (camelCase) of a group record key, after its int16 type. Throws RecordDecodeFailure. */
export function readGroupRecordKey(key: Buffer, typeName: string): { group: string; fields: Record<string, string> } {
  let raw: MessageValue;
  try {
    raw = decodeMessage(coordinatorSchema(`${typeName}Key`), KEY_VERSION, key.subarray(2));
  } catch (error) {
    throw corruptKey(`${typeName}Key: ${error instanceof Error ? error.message : String(error)}`);
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string') fields[name] = value;
  }
  const group = fields['groupId'];
  if (group === undefined) throw corruptKey(`${typeName}Key has no GroupId`);
  return { group, fields };
}

/** Checks the value version, and decodes the value only when asked (`full`). */
export function readGroupRecordValue(value: Buffer, valueVersion: number, typeName: string, full: boolean): MessageValue | undefined {
  const schema = coordinatorSchema(`${typeName}Value`);
  if (!isValidVersion(schema, valueVersion)) {
    throw new RecordDecodeFailure('UNKNOWN_VALUE_VERSION', `${typeName}Value version ${valueVersion} is not defined by Kafka 4.3.1`);
  }
  if (!full) return undefined;
  const reader = new ByteReader(value, 2);
  const decoded = readMessage(schema, valueVersion, reader);
  if (reader.remaining !== 0) throw corruptValue(`${reader.remaining} unexpected byte(s) after ${typeName}Value v${valueVersion}`);
  return decoded;
}

/**
 * A key of a group record type, for test data and the local cluster. `fields` holds the other key
 * fields in camelCase (memberId, regularExpression); ones left out are written as "".
 */
export function encodeGroupRecordKey(recordType: number, group: string, fields: Record<string, string> = {}): Buffer {
  const name = requireGroupRecordType(recordType);
  if (typeof group !== 'string') throw invalidInput('group', `expected a string, got ${typeof group}`, 'Pass the group id.');
  const body = encodeWithSchema(coordinatorSchema(`${name}Key`), KEY_VERSION, { ...fields, groupId: group }, 'key');
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeInt16BE(recordType, 0);
  body.copy(out, 2);
  return out;
}

/** A value (int16 version + struct) of a group record type; absent fields take schema defaults. */
export function encodeGroupRecordValue(recordType: number, value: MessageValue, valueVersion = 0): Buffer {
  const name = requireGroupRecordType(recordType);
  const schema = coordinatorSchema(`${name}Value`);
  if (!Number.isInteger(valueVersion) || !isValidVersion(schema, valueVersion)) {
    throw invalidInput('valueVersion', `${String(valueVersion)} is not a version of ${name}Value`, 'Use 0.');
  }
  const body = encodeWithSchema(schema, valueVersion, value, 'value');
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeInt16BE(valueVersion, 0);
  body.copy(out, 2);
  return out;
}
