import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../../lambdas/core/record-batch/index.ts';

/** Bit-at-a-time reference, straight from the definition, to check the table-driven code against. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('matches the published check values (RFC 3720 B.4 and the CRC catalogue)', () => {
    expect(crc32c(Buffer.from('123456789', 'ascii'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0x00))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('agrees with the bitwise definition for every length and alignment up to 80 bytes, views inside larger buffers included', () => {
    const bytes = Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 151 + 7) & 0xff));
    for (let start = 0; start < 9; start++) {
      for (let length = 0; length <= 80; length++) {
        const slice = bytes.subarray(start, start + length);
        expect(crc32c(bytes, start, start + length)).toBe(referenceCrc32c(slice));
        // A view that starts inside its ArrayBuffer (the words are read through a DataView over it).
        expect(crc32c(slice)).toBe(referenceCrc32c(slice));
      }
    }
  });

  it('continues over pieces to the same value as over the whole', () => {
    const bytes = Buffer.from('The quick brown fox jumps over the lazy dog, twice over.', 'utf8');
    const whole = crc32c(bytes);
    for (const cut of [0, 1, 7, 8, 9, 30, bytes.length]) {
      expect(crc32c(bytes, cut, bytes.length, crc32c(bytes, 0, cut))).toBe(whole);
    }
  });
});
