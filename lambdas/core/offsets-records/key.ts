import { RECORD_TYPE_NAMES } from './record-types.ts';

/**
 * Cheap looks at a record key without decoding the value. Every known record type starts its key
 * struct with the group id as a non-flexible string (int16 byte length + UTF-8), so the group can
 * be read, or compared byte-for-byte, right after the int16 record type.
 */

const GROUP_LENGTH_AT = 2;
const GROUP_BYTES_AT = 4;

/** The int16 record type at the start of a key, or null when the key is shorter than 2 bytes. */
export function readRecordType(key: Buffer): number | null {
  return key.length >= 2 ? key.readInt16BE(0) : null;
}

/**
 * Record type and group of a key of a known type, or null for keys that are empty, truncated,
 * of an unknown or negative type, or whose group length runs past the key. The rest of the key is
 * not checked: decodeOffsetsRecord does that.
 */
export function peekOffsetsRecordKey(key: Buffer): { recordType: number; group: string } | null {
  if (key.length < GROUP_BYTES_AT) return null;
  const recordType = key.readInt16BE(0);
  if (!RECORD_TYPE_NAMES.has(recordType)) return null;
  const length = key.readInt16BE(GROUP_LENGTH_AT);
  if (length < 0 || GROUP_BYTES_AT + length > key.length) return null;
  return { recordType, group: key.toString('utf8', GROUP_BYTES_AT, GROUP_BYTES_AT + length) };
}

/**
 * A predicate that is true for keys of known record types whose group is exactly `group`,
 * comparing bytes so a one-group scan skips other groups' records without decoding a string.
 */
export function groupKeyMatcher(group: string): (key: Buffer) => boolean {
  const groupBytes = Buffer.from(group, 'utf8');
  if (groupBytes.length > 0x7fff) {
    // No key can carry it (int16 length), so nothing matches.
    return () => false;
  }
  const prefix = Buffer.allocUnsafe(2 + groupBytes.length);
  prefix.writeInt16BE(groupBytes.length, 0);
  groupBytes.copy(prefix, 2);
  const prefixEnd = GROUP_LENGTH_AT + prefix.length;
  return (key: Buffer): boolean =>
    key.length >= prefixEnd &&
    RECORD_TYPE_NAMES.has(key.readInt16BE(0)) &&
    key.compare(prefix, 0, prefix.length, GROUP_LENGTH_AT, prefixEnd) === 0;
}
