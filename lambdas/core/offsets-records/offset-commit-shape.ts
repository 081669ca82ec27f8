/**
 * Whether an OffsetCommitValue's bytes would decode, answered without allocating: the replay
 * keeps only the winning value per key and decodes it at the end, so it must know on sight that
 * a value is whole, or a damaged record could displace a good commit it cannot stand in for.
 * Accepts exactly what readOffsetCommitValue (offset-commit.ts) accepts; a property test holds
 * the two together.
 */
import { LEGACY_OFFSET_COMMIT } from './record-types.ts';
import type { SkipReason } from './types.ts';

const MAX_VALUE_VERSION = 4;
const FIRST_FLEXIBLE_VERSION = 4;
const TOPIC_ID_TAG = 0;
const UUID_BYTES = 16;

/** Position after an unsigned varint read by readVarintEnd, or -1 when it is cut short or too long. */
let varintValue = 0;

function readVarintEnd(data: Uint8Array, at: number, end: number): number {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    if (at >= end) return -1;
    const byte = data[at++]!;
    if (shift === 28 && byte > 0x0f) return -1;
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) {
      varintValue = value >>> 0;
      return at;
    }
  }
}

/**
 * null when the value at data[start, start + length) decodes as an OffsetCommitValue of a key of
 * `recordType` (0 legacy, 1 current); otherwise the reason decodeOffsetsRecord would skip it for.
 */
export function offsetCommitValueProblem(data: Uint8Array, start: number, length: number, recordType: number): SkipReason | null {
  if (length < 2) return 'CORRUPT_VALUE';
  const version = ((data[start]! << 24) >> 16) | data[start + 1]!;
  if (version < 0 || version > MAX_VALUE_VERSION) return 'UNKNOWN_VALUE_VERSION';
  if (recordType === LEGACY_OFFSET_COMMIT && version !== 0) return 'UNKNOWN_VALUE_VERSION';
  const end = start + length;
  let at = start + 2 + 8 + (version >= 3 ? 4 : 0);
  if (version < FIRST_FLEXIBLE_VERSION) {
    if (at + 2 > end) return 'CORRUPT_VALUE';
    const metadataLength = ((data[at]! << 24) >> 16) | data[at + 1]!;
    if (metadataLength < 0) return 'CORRUPT_VALUE';
    at += 2 + metadataLength + 8 + (version === 1 ? 8 : 0);
    return at === end ? null : 'CORRUPT_VALUE';
  }
  at = readVarintEnd(data, at, end);
  if (at < 0 || varintValue < 1) return 'CORRUPT_VALUE';
  at += varintValue - 1 + 8;
  if (at > end) return 'CORRUPT_VALUE';
  at = readVarintEnd(data, at, end);
  if (at < 0) return 'CORRUPT_VALUE';
  const count = varintValue;
  let previousTag = -1;
  for (let i = 0; i < count; i++) {
    at = readVarintEnd(data, at, end);
    if (at < 0) return 'CORRUPT_VALUE';
    const tag = varintValue;
    at = readVarintEnd(data, at, end);
    if (at < 0) return 'CORRUPT_VALUE';
    const size = varintValue;
    if (tag <= previousTag) return 'CORRUPT_VALUE';
    previousTag = tag;
    if (at + size > end) return 'CORRUPT_VALUE';
    if (tag === TOPIC_ID_TAG && size !== UUID_BYTES) return 'CORRUPT_VALUE';
    at += size;
  }
  return at === end ? null : 'CORRUPT_VALUE';
}
