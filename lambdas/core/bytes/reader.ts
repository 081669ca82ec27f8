/**
 * Big-endian cursor over a Buffer with the primitive types of the Kafka protocol.
 * Reads past the end throw a ByteUnderflowError so callers can tell "truncated" from "corrupt".
 */
export class ByteUnderflowError extends Error {
  constructor(needed: number, position: number, length: number) {
    super(`needed ${needed} byte(s) at position ${position}, only ${length - position} left`);
    this.name = 'ByteUnderflowError';
  }
}

export class ByteReader {
  readonly buffer: Buffer;
  position: number;
  readonly end: number;

  constructor(buffer: Buffer, start = 0, end = buffer.length) {
    this.buffer = buffer;
    this.position = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private need(n: number): number {
    const at = this.position;
    if (n < 0 || at + n > this.end) throw new ByteUnderflowError(n, at, this.end);
    this.position = at + n;
    return at;
  }

  readInt8(): number {
    return this.buffer.readInt8(this.need(1));
  }
  readUInt8(): number {
    return this.buffer.readUInt8(this.need(1));
  }
  readInt16(): number {
    return this.buffer.readInt16BE(this.need(2));
  }
  readUInt16(): number {
    return this.buffer.readUInt16BE(this.need(2));
  }
  readInt32(): number {
    return this.buffer.readInt32BE(this.need(4));
  }
  readUInt32(): number {
    return this.buffer.readUInt32BE(this.need(4));
  }
  readInt64(): bigint {
    return this.buffer.readBigInt64BE(this.need(8));
  }
  readFloat64(): number {
    return this.buffer.readDoubleBE(this.need(8));
  }
  readBoolean(): boolean {
    return this.readInt8() !== 0;
  }

  /** Unsigned LEB128 varint up to 32 bits (Kafka's "unsigned varint"). */
  readUnsignedVarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.readUInt8();
      if (shift === 28 && byte > 0x0f) throw new RangeError('unsigned varint longer than 32 bits');
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
  }

  /** Zig-zag signed varint (int32), as used inside record batches. */
  readVarint(): number {
    const raw = this.readUnsignedVarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zig-zag signed varlong (int64). Fast path while the value fits in 53 bits. */
  readVarlong(): bigint {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.readUInt8();
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new RangeError('varlong longer than 64 bits');
    }
    return (value >> 1n) ^ -(value & 1n);
  }

  /** Zig-zag varlong returned as a JS number; callers use it where values are small (deltas, lengths). */
  readVarlongAsNumber(): number {
    return Number(this.readVarlong());
  }

  readBytes(length: number): Buffer {
    const at = this.need(length);
    return this.buffer.subarray(at, at + length);
  }

  readUuid(): string {
    const hex = this.readBytes(16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  readUtf8(length: number): string {
    const at = this.need(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  skip(length: number): void {
    this.need(length);
  }
}
