import { describe, expect, it } from 'vitest';
import { ByteReader, ByteUnderflowError, ByteWriter } from '../../../../lambdas/core/bytes/index.ts';

describe('ByteWriter and ByteReader', () => {
  it('round-trip signed and unsigned varints, varlongs and int64 at their edges', () => {
    const ints = [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31)];
    const longs = [0n, -1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];
    const writer = new ByteWriter(1); // starts tiny so every write exercises growth
    for (const n of ints) writer.writeVarint(n);
    for (const n of longs) writer.writeVarlong(n).writeInt64(n);
    writer.writeUnsignedVarint(2 ** 32 - 1);
    const reader = new ByteReader(writer.toBuffer());
    for (const n of ints) expect(reader.readVarint()).toBe(n);
    for (const n of longs) {
      expect(reader.readVarlong()).toBe(n);
      expect(reader.readInt64()).toBe(n);
    }
    expect(reader.readUnsignedVarint()).toBe(2 ** 32 - 1);
    expect(reader.remaining).toBe(0);
  });

  it('encodes varints as Kafka does (zig-zag, little-endian groups of 7 bits)', () => {
    expect(new ByteWriter().writeVarint(-1).toBuffer().toString('hex')).toBe('01');
    expect(new ByteWriter().writeVarint(150).toBuffer().toString('hex')).toBe('ac02');
    expect(new ByteWriter().writeUnsignedVarint(300).toBuffer().toString('hex')).toBe('ac02');
  });

  it('throws ByteUnderflowError past the end, including inside a bounded window', () => {
    const reader = new ByteReader(Buffer.from('0001020304', 'hex'), 1, 3);
    expect(reader.readInt16()).toBe(0x0102);
    expect(() => reader.readInt8()).toThrow(ByteUnderflowError);
    expect(() => new ByteReader(Buffer.from('ffffffffff', 'hex')).readUnsignedVarint()).toThrow(RangeError);
  });

  it('formats UUIDs and patches earlier positions', () => {
    const writer = new ByteWriter(4).writeInt32(0).writeUuid('5b1c4a6e-9d2f-4c3b-8a7e-0f1e2d3c4b5a');
    writer.patchInt32(0, 20);
    const reader = new ByteReader(writer.toBuffer());
    expect(reader.readInt32()).toBe(20);
    expect(reader.readUuid()).toBe('5b1c4a6e-9d2f-4c3b-8a7e-0f1e2d3c4b5a');
    expect(() => new ByteWriter().writeUuid('nope')).toThrow(RangeError);
  });
});
