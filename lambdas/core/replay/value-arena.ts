/**
 * Where the replay keeps the winning values too long to sit beside their key in the key table
 * (offset-slots.ts), as bytes: one growing buffer with a region per key. Copying a value's bytes
 * into the key's region costs a fraction of making a string of them (a native call, then garbage
 * for the collector a moment later).
 *
 * A region is reused while the new value fits in it; a longer value gets a new region twice its
 * size at the end, so what is left behind stays below the size of the regions in use. Regions
 * start on 4-byte boundaries so that values are copied a 32-bit word at a time (`view`).
 */

const INITIAL_BYTES = 4096;
/** Smallest region: an OffsetCommitValue v3 with empty metadata is 32 bytes. */
const MIN_REGION = 40;

export class ValueArena {
  bytes: Buffer = Buffer.alloc(INITIAL_BYTES);
  /** The same bytes, for word-at-a-time copies (little-endian whatever the platform). */
  view: DataView = viewOf(this.bytes);
  private used = 0;

  /** A region of regionSize(length) bytes; its start (a multiple of 4). */
  reserve(length: number): number {
    const size = regionSize(length);
    if (this.used + size > this.bytes.length) {
      const grown = Buffer.alloc(Math.max(this.bytes.length * 2, this.used + size));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
      this.view = viewOf(grown);
    }
    const at = this.used;
    this.used += size;
    return at;
  }

  /** Bytes in use by regions, for memory figures. */
  get size(): number {
    return this.used;
  }
}

/** The size of the region reserved for a value of `length` bytes: room for it to grow to twice that, a multiple of 4. */
export function regionSize(length: number): number {
  return (Math.max(MIN_REGION, length * 2) + 3) & ~3;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
