import { ByteReader } from '../bytes/reader.ts';
import { ByteWriter } from '../bytes/writer.ts';
import { isFlexible, isValidVersion, type CompiledField, type CompiledStruct, type MessageSchema } from './compile.ts';
import type { MessageValue } from './types.ts';
import { inRange } from './versions.ts';

/** Bytes that do not fit the schema (as opposed to running out of bytes, a ByteUnderflowError). */
export class SchemaCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaCodecError';
  }
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

function isNullDefault(field: CompiledField): boolean {
  return field.rawDefault === null || field.rawDefault === 'null';
}

/** The value a reader sees for a field that is not on the wire in its version. */
export function defaultValue(field: CompiledField): unknown {
  if (field.isArray) return isNullDefault(field) ? null : [];
  const raw = field.rawDefault;
  switch (field.kind) {
    case 'bool':
      return raw === true || raw === 'true';
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64':
      return raw === undefined || raw === null || raw === '' ? 0 : Number(raw);
    case 'int64':
      return raw === undefined || raw === null || raw === '' ? 0n : BigInt(raw);
    case 'string':
      return isNullDefault(field) ? null : typeof raw === 'string' ? raw : '';
    case 'bytes':
    case 'records':
      return isNullDefault(field) ? null : Buffer.alloc(0);
    case 'uuid':
      return ZERO_UUID;
    case 'struct':
      return isNullDefault(field) ? null : defaultStruct(field.struct as CompiledStruct);
  }
}

function defaultStruct(struct: CompiledStruct): MessageValue {
  const value: MessageValue = {};
  for (const field of struct.fields) value[field.name] = defaultValue(field);
  return value;
}

function fieldIsFlexible(field: CompiledField, version: number, messageFlexible: boolean): boolean {
  if (!messageFlexible) return false;
  return field.flexibleVersions === undefined ? true : inRange(field.flexibleVersions, version);
}

// ---------------------------------------------------------------- reading

function readLength(reader: ByteReader, flexible: boolean, wide: boolean): number {
  if (flexible) return reader.readUnsignedVarint() - 1;
  return wide ? reader.readInt32() : reader.readInt16();
}

function nullCheck(field: CompiledField, version: number, path: string): void {
  if (!inRange(field.nullableVersions, version)) {
    throw new SchemaCodecError(`${path}: null is not allowed in version ${version}`);
  }
}

function readScalar(
  field: CompiledField,
  version: number,
  flexible: boolean,
  reader: ByteReader,
  path: string,
): unknown {
  switch (field.kind) {
    case 'bool':
      return reader.readBoolean();
    case 'int8':
      return reader.readInt8();
    case 'int16':
      return reader.readInt16();
    case 'uint16':
      return reader.readUInt16();
    case 'int32':
      return reader.readInt32();
    case 'uint32':
      return reader.readUInt32();
    case 'int64':
      return reader.readInt64();
    case 'float64':
      return reader.readFloat64();
    case 'uuid':
      return reader.readUuid();
    case 'string': {
      const length = readLength(reader, flexible, false);
      if (length < 0) {
        if (length !== -1) throw new SchemaCodecError(`${path}: negative string length ${length}`);
        nullCheck(field, version, path);
        return null;
      }
      return reader.readUtf8(length);
    }
    case 'bytes':
    case 'records': {
      const length = readLength(reader, flexible, true);
      if (length < 0) {
        if (length !== -1) throw new SchemaCodecError(`${path}: negative bytes length ${length}`);
        nullCheck(field, version, path);
        return null;
      }
      return reader.readBytes(length);
    }
    case 'struct':
      // A nullable (non-array) struct carries a presence byte: -1 null, 1 present.
      if (!field.isArray && inRange(field.nullableVersions, version) && reader.readInt8() < 0) return null;
      return readStruct(field.struct as CompiledStruct, version, flexible, reader, path);
  }
}

function readField(
  field: CompiledField,
  version: number,
  messageFlexible: boolean,
  reader: ByteReader,
  path: string,
): unknown {
  const flexible = fieldIsFlexible(field, version, messageFlexible);
  const where = `${path}.${field.name}`;
  if (!field.isArray) return readScalar(field, version, flexible, reader, where);
  const count = readLength(reader, flexible, true);
  if (count < 0) {
    if (count !== -1) throw new SchemaCodecError(`${where}: negative array length ${count}`);
    nullCheck(field, version, where);
    return null;
  }
  // Every element takes at least one byte, so a count beyond what is left is corrupt, not a huge allocation.
  if (count > reader.remaining) throw new SchemaCodecError(`${where}: array length ${count} exceeds the bytes left`);
  const items = new Array<unknown>(count);
  for (let i = 0; i < count; i++) items[i] = readScalar(field, version, flexible, reader, `${where}[${i}]`);
  return items;
}

function readTaggedSection(
  struct: CompiledStruct,
  version: number,
  reader: ByteReader,
  value: MessageValue,
  path: string,
): void {
  const tagged = struct.plan(version).tagged;
  const count = reader.readUnsignedVarint();
  let previousTag = -1;
  for (let i = 0; i < count; i++) {
    const tag = reader.readUnsignedVarint();
    const size = reader.readUnsignedVarint();
    if (tag <= previousTag) throw new SchemaCodecError(`${path}: tagged fields out of order (${tag} after ${previousTag})`);
    previousTag = tag;
    const field = tagged.get(tag);
    if (field === undefined) {
      (value._unknownTaggedFields ??= []).push([tag, reader.readBytes(size)]);
      continue;
    }
    const start = reader.position;
    const sub = new ByteReader(reader.buffer, start, start + size);
    reader.skip(size);
    value[field.name] = isNullableStruct(field, version) ? readTaggedNullableStruct(field, version, sub, path) : readField(field, version, true, sub, path);
    if (sub.remaining !== 0) throw new SchemaCodecError(`${path}.${field.name}: ${sub.remaining} unread byte(s) in tagged field ${tag}`);
  }
}

function readStruct(
  struct: CompiledStruct,
  version: number,
  flexible: boolean,
  reader: ByteReader,
  path: string,
): MessageValue {
  const plan = struct.plan(version);
  const value: MessageValue = {};
  for (const field of plan.inline) value[field.name] = readField(field, version, flexible, reader, path);
  for (const field of plan.tagged.values()) value[field.name] = defaultValue(field);
  for (const field of plan.absent) value[field.name] = defaultValue(field);
  if (flexible) readTaggedSection(struct, version, reader, value, path);
  return value;
}

function assertVersion(schema: MessageSchema, version: number): void {
  if (!Number.isInteger(version) || !isValidVersion(schema, version)) {
    throw new SchemaCodecError(`${schema.name}: version ${version} is not a valid version`);
  }
}

/** Reads one message at `version` from the reader's position; leaves the reader after it. */
export function readMessage<T extends MessageValue = MessageValue>(
  schema: MessageSchema,
  version: number,
  reader: ByteReader,
): T {
  assertVersion(schema, version);
  return readStruct(schema.root, version, isFlexible(schema, version), reader, schema.name) as T;
}

// ---------------------------------------------------------------- writing

function writeLength(writer: ByteWriter, flexible: boolean, wide: boolean, length: number): void {
  if (flexible) writer.writeUnsignedVarint(length + 1);
  else if (wide) writer.writeInt32(length);
  else writer.writeInt16(length);
}

function requireType(ok: boolean, path: string, expected: string, value: unknown): void {
  if (!ok) throw new SchemaCodecError(`${path}: expected ${expected}, got ${typeof value}`);
}

function writeScalar(
  field: CompiledField,
  version: number,
  flexible: boolean,
  writer: ByteWriter,
  value: unknown,
  path: string,
): void {
  if (value === null && field.kind !== 'struct') {
    if (!['string', 'bytes', 'records'].includes(field.kind)) {
      throw new SchemaCodecError(`${path}: null is not a ${field.kind}`);
    }
    nullCheck(field, version, path);
    writeLength(writer, flexible, field.kind !== 'string', -1);
    return;
  }
  switch (field.kind) {
    case 'bool':
      writer.writeBoolean(Boolean(value));
      return;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64': {
      requireType(typeof value === 'number', path, 'a number', value);
      const n = value as number;
      if (field.kind === 'int8') writer.writeInt8(n);
      else if (field.kind === 'int16') writer.writeInt16(n);
      else if (field.kind === 'uint16') writer.writeUInt16(n);
      else if (field.kind === 'int32') writer.writeInt32(n);
      else if (field.kind === 'uint32') writer.writeUInt32(n);
      else writer.writeFloat64(n);
      return;
    }
    case 'int64':
      requireType(typeof value === 'bigint' || typeof value === 'number', path, 'a bigint', value);
      writer.writeInt64(BigInt(value as bigint | number));
      return;
    case 'uuid':
      requireType(typeof value === 'string', path, 'a UUID string', value);
      writer.writeUuid(value as string);
      return;
    case 'string': {
      requireType(typeof value === 'string', path, 'a string', value);
      const bytes = Buffer.from(value as string, 'utf8');
      if (!flexible && bytes.length > 0x7fff) throw new SchemaCodecError(`${path}: string longer than 32767 bytes`);
      writeLength(writer, flexible, false, bytes.length);
      writer.writeBytes(bytes);
      return;
    }
    case 'bytes':
    case 'records': {
      requireType(value instanceof Uint8Array, path, 'a Buffer', value);
      const bytes = value as Uint8Array;
      writeLength(writer, flexible, true, bytes.length);
      writer.writeBytes(bytes);
      return;
    }
    case 'struct':
      if (value === null) {
        if (field.isArray) throw new SchemaCodecError(`${path}: null array element`);
        nullCheck(field, version, path);
        writer.writeInt8(-1);
        return;
      }
      if (!field.isArray && inRange(field.nullableVersions, version)) writer.writeInt8(1);
      writeStruct(field.struct as CompiledStruct, version, flexible, writer, value as MessageValue, path);
      return;
  }
}

function writeField(
  field: CompiledField,
  version: number,
  messageFlexible: boolean,
  writer: ByteWriter,
  value: unknown,
  path: string,
): void {
  const flexible = fieldIsFlexible(field, version, messageFlexible);
  const where = `${path}.${field.name}`;
  const actual = value === undefined ? defaultValue(field) : value;
  if (!field.isArray) {
    writeScalar(field, version, flexible, writer, actual, where);
    return;
  }
  if (actual === null) {
    nullCheck(field, version, where);
    writeLength(writer, flexible, true, -1);
    return;
  }
  requireType(Array.isArray(actual), where, 'an array', actual);
  const items = actual as unknown[];
  writeLength(writer, flexible, true, items.length);
  for (let i = 0; i < items.length; i++) writeScalar(field, version, flexible, writer, items[i], `${where}[${i}]`);
}

function isNullableStruct(field: CompiledField, version: number): boolean {
  return field.kind === 'struct' && !field.isArray && inRange(field.nullableVersions, version);
}

/**
 * A nullable struct in a tagged field is not framed like an inline one: its presence marker is
 * an unsigned varint, 0 for null and 1 before the struct (Kafka's generated code; e.g. the
 * ClassicMemberMetadata of every ConsumerGroupMemberMetadataValue a 4.x broker writes is `00`).
 */
function readTaggedNullableStruct(field: CompiledField, version: number, reader: ByteReader, path: string): MessageValue | null {
  const marker = reader.readUnsignedVarint();
  if (marker === 0) return null;
  if (marker !== 1) throw new SchemaCodecError(`${path}.${field.name}: presence marker ${marker}, expected 0 (null) or 1`);
  return readStruct(field.struct as CompiledStruct, version, true, reader, path);
}

/**
 * The bytes of a nullable struct's tagged field, or null when Kafka leaves it out. Kafka's
 * generated writer always writes a null one (as the marker 0) and leaves out only a struct equal
 * to a new default-valued struct.
 */
function encodeTaggedNullableStruct(field: CompiledField, version: number, value: MessageValue | null, path: string): Buffer | null {
  const writer = new ByteWriter(32);
  if (value === null) {
    writer.writeUnsignedVarint(0);
    return Buffer.from(writer.toBuffer());
  }
  const struct = field.struct as CompiledStruct;
  const encoded = new ByteWriter(32);
  writeStruct(struct, version, true, encoded, value, path);
  const defaults = new ByteWriter(32);
  writeStruct(struct, version, true, defaults, defaultStruct(struct), path);
  const body = Buffer.from(encoded.toBuffer());
  if (body.equals(Buffer.from(defaults.toBuffer()))) return null;
  writer.writeUnsignedVarint(1);
  writer.writeBytes(body);
  return Buffer.from(writer.toBuffer());
}

function encodeField(field: CompiledField, version: number, value: unknown, path: string): Buffer {
  const writer = new ByteWriter(32);
  writeField(field, version, true, writer, value, path);
  return Buffer.from(writer.toBuffer());
}

function writeStruct(
  struct: CompiledStruct,
  version: number,
  flexible: boolean,
  writer: ByteWriter,
  value: MessageValue,
  path: string,
): void {
  if (typeof value !== 'object' || value === null) throw new SchemaCodecError(`${path}: expected an object`);
  const plan = struct.plan(version);
  for (const field of plan.inline) writeField(field, version, flexible, writer, value[field.name], path);
  if (!flexible) return;
  const entries: Array<[number, Buffer]> = [];
  for (const [tag, field] of plan.tagged) {
    const fieldValue = value[field.name];
    if (isNullableStruct(field, version)) {
      // A missing field takes its default, and Kafka writes a null one.
      const bytes = encodeTaggedNullableStruct(field, version, (fieldValue === undefined ? defaultValue(field) : fieldValue) as MessageValue | null, path);
      if (bytes !== null) entries.push([tag, bytes]);
      continue;
    }
    if (fieldValue === undefined) continue;
    const bytes = encodeField(field, version, fieldValue, path);
    // Kafka writes a tagged field only when it differs from its default.
    if (bytes.equals(encodeField(field, version, defaultValue(field), path))) continue;
    entries.push([tag, bytes]);
  }
  for (const [tag, bytes] of value._unknownTaggedFields ?? []) entries.push([tag, Buffer.from(bytes)]);
  entries.sort((a, b) => a[0] - b[0]);
  writer.writeUnsignedVarint(entries.length);
  for (const [tag, bytes] of entries) {
    writer.writeUnsignedVarint(tag);
    writer.writeUnsignedVarint(bytes.length);
    writer.writeBytes(bytes);
  }
}

/** Appends one message at `version` to the writer. Missing fields take their schema defaults. */
export function writeMessage(schema: MessageSchema, version: number, value: MessageValue, writer: ByteWriter): void {
  assertVersion(schema, version);
  writeStruct(schema.root, version, isFlexible(schema, version), writer, value, schema.name);
}

/** Convenience: one message as a fresh Buffer. */
export function encodeMessage(schema: MessageSchema, version: number, value: MessageValue): Buffer {
  const writer = new ByteWriter(128);
  writeMessage(schema, version, value, writer);
  return Buffer.from(writer.toBuffer());
}

/** Convenience: decode a whole buffer, rejecting trailing bytes. */
export function decodeMessage<T extends MessageValue = MessageValue>(
  schema: MessageSchema,
  version: number,
  bytes: Buffer,
): T {
  const reader = new ByteReader(bytes);
  const value = readMessage<T>(schema, version, reader);
  if (reader.remaining !== 0) throw new SchemaCodecError(`${schema.name} v${version}: ${reader.remaining} trailing byte(s)`);
  return value;
}
