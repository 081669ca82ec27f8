/**
 * Allocation-free zig-zag varint readers for the record-section hot path. They read at
 * `varintCursor.position` and advance it, instead of returning a {value, position} pair that
 * would allocate per call. Reading past `limit` or an over-long encoding throws MalformedRecords.
 */

export class MalformedRecords extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'MalformedRecords';
  }
}

export const varintCursor = { position: 0 };

/** Zig-zag int32 (record lengths, offset deltas, key/value/header lengths, header counts). */
export function readVarintAt(bytes: Uint8Array, limit: number): number {
  let p = varintCursor.position;
  let raw = 0;
  let shift = 0;
  for (;;) {
    if (p >= limit) throw new MalformedRecords(`varint runs past the end of its record at byte ${p}`);
    const b = bytes[p++]!;
    raw |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw new MalformedRecords(`varint longer than 5 bytes at byte ${p}`);
  }
  varintCursor.position = p;
  return (raw >>> 1) ^ -(raw & 1);
}

const TWO_POW_53 = 2 ** 53;

/**
 * Zig-zag int64 as a number. Timestamp deltas are milliseconds, far inside 2^53; a larger
 * value cannot come from a real clock, so it is reported as malformed rather than rounded.
 */
export function readVarlongNumberAt(bytes: Uint8Array, limit: number): number {
  let p = varintCursor.position;
  let raw = 0;
  let scale = 1;
  for (let n = 0; ; n++) {
    if (p >= limit) throw new MalformedRecords(`varlong runs past the end of its record at byte ${p}`);
    if (n === 10) throw new MalformedRecords(`varlong longer than 10 bytes at byte ${p}`);
    const b = bytes[p++]!;
    raw += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) break;
    scale *= 128;
  }
  if (raw >= TWO_POW_53) throw new MalformedRecords(`timestamp delta beyond 2^53 ms at byte ${varintCursor.position}`);
  varintCursor.position = p;
  // raw is exact here; zig-zag: even -> raw/2, odd -> -(raw+1)/2.
  return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
}

/** Bytes of the zig-zag varint encoding of an int32 (for exact-size encoding). */
export function varintSize(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let size = 1;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}

export function writeVarintAt(bytes: Uint8Array, position: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let p = position;
  while (v >= 0x80) {
    bytes[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  bytes[p++] = v;
  return p;
}

/** Zig-zag of a safe-integer int64 as a number (exact below 2^52 in magnitude, which deltas are). */
function zigZagNumber(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function varlongNumberSize(value: number): number {
  let v = zigZagNumber(value);
  let size = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

export function writeVarlongNumberAt(bytes: Uint8Array, position: number, value: number): number {
  let v = zigZagNumber(value);
  let p = position;
  while (v >= 128) {
    bytes[p++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  bytes[p++] = v;
  return p;
}
