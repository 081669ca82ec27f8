/** Growable big-endian buffer builder with the primitive types of the Kafka protocol. */
export class ByteWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = Buffer.allocUnsafe(initialCapacity);
  }

  get size(): number {
    return this.length;
  }

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buffer.length) {
      let capacity = this.buffer.length * 2;
      while (capacity < at + n) capacity *= 2;
      const grown = Buffer.allocUnsafe(capacity);
      this.buffer.copy(grown, 0, 0, at);
      this.buffer = grown;
    }
    this.length = at + n;
    return at;
  }

  writeInt8(value: number): this {
    const at = this.reserve(1);
    this.buffer.writeInt8(value, at);
    return this;
  }
  writeUInt8(value: number): this {
    const at = this.reserve(1);
    this.buffer.writeUInt8(value, at);
    return this;
  }
  writeInt16(value: number): this {
    const at = this.reserve(2);
    this.buffer.writeInt16BE(value, at);
    return this;
  }
  writeUInt16(value: number): this {
    const at = this.reserve(2);
    this.buffer.writeUInt16BE(value, at);
    return this;
  }
  writeInt32(value: number): this {
    const at = this.reserve(4);
    this.buffer.writeInt32BE(value, at);
    return this;
  }
  writeUInt32(value: number): this {
    const at = this.reserve(4);
    this.buffer.writeUInt32BE(value >>> 0, at);
    return this;
  }
  writeInt64(value: bigint): this {
    const at = this.reserve(8);
    this.buffer.writeBigInt64BE(value, at);
    return this;
  }
  writeFloat64(value: number): this {
    const at = this.reserve(8);
    this.buffer.writeDoubleBE(value, at);
    return this;
  }
  writeBoolean(value: boolean): this {
    return this.writeInt8(value ? 1 : 0);
  }

  writeUnsignedVarint(value: number): this {
    let v = value >>> 0;
    while (v >= 0x80) {
      this.writeUInt8((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    return this.writeUInt8(v);
  }

  writeVarint(value: number): this {
    return this.writeUnsignedVarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  writeVarlong(value: bigint): this {
    let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    while (v >= 0x80n) {
      this.writeUInt8(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    return this.writeUInt8(Number(v));
  }

  writeBytes(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length);
    this.buffer.set(bytes, at);
    return this;
  }

  writeUuid(uuid: string): this {
    const hex = uuid.replace(/-/g, '');
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
    return this.writeBytes(Buffer.from(hex, 'hex'));
  }

  /** Overwrites 4 bytes at an earlier position (length and CRC back-patching). */
  patchInt32(position: number, value: number): void {
    this.buffer.writeInt32BE(value, position);
  }
  patchUInt32(position: number, value: number): void {
    this.buffer.writeUInt32BE(value >>> 0, position);
  }

  /** A view of what was written so far; copy it if the writer will be reused. */
  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
