/**
 * A hash table from byte strings to entries of a fixed number of 32-bit words (the payload),
 * looked up straight from a range of a record section: the replay finds an offset key's entry
 * without making a string of the key.
 *
 * Making a latin1 string per record and asking a Map cost about as much as the rest of an
 * all-groups replay put together (V8 has to hash every new string from scratch, and each one is
 * garbage a moment later). Here a key is hashed four bytes at a time in place (through a
 * DataView), and a hit is confirmed by comparing every byte (as 32-bit words) with the copy kept
 * in the table: equal hashes never decide.
 *
 * Layout: an all-groups replay looks a key up for nearly every record, over more keys than the
 * first caches hold, and measured its time by the cache misses (1,000 keys replayed 1.6x faster
 * than 10,000, 100,000 keys 6x slower). So a bucket holds the hash and where the entry starts
 * (a mismatch is seen without leaving the bucket), and an entry holds its length, its id, the
 * caller's payload and the key's words side by side in one array: a lookup and what the caller
 * keeps per key touch neighbouring memory.
 *
 * The hash is seeded per table, so a log crafted to collide cannot be prepared in advance
 * (colliding keys would only make lookups slower, never wrong).
 */

const EMPTY = -1;
const MIN_CAPACITY = 64;
/** Int32s per bucket: the hash, then the entry's start in `ints` (or EMPTY). */
const BUCKET = 2;
/** Int32s before an entry's payload: the key's length in bytes, then the entry's id. */
const ENTRY_HEADER = 2;

export class ByteKeyTable {
  /**
   * The entries, as 32-bit words; `floats`, `view` and `bytes` see the same memory. Replaced
   * when the table grows (payload positions stay valid; read these again after an `add`).
   * Entries start on 8-byte boundaries, so a payload's even words can hold float64s.
   */
  ints: Int32Array;
  floats: Float64Array;
  view: DataView;
  bytes: Buffer;
  private used = 0;
  /** Open addressing, linear probing; kept at most half full. */
  private buckets = emptyBuckets(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  /** Per id: its hash and its payload's position, to rehash without hashing the bytes again. */
  private hashes = new Int32Array(MIN_CAPACITY);
  private payloads = new Int32Array(MIN_CAPACITY);
  private count = 0;
  private readonly seed = (Math.random() * 0x100000000) | 0;

  /** `payloadInts`: the 32-bit words kept per key for the caller (an even number), zero at first. */
  constructor(readonly payloadInts: number) {
    if (payloadInts < 0 || payloadInts % 2 !== 0) throw new RangeError(`payloadInts must be even, got ${payloadInts}`);
    this.ints = new Int32Array(MIN_CAPACITY * 16);
    this.floats = new Float64Array(this.ints.buffer);
    this.view = new DataView(this.ints.buffer);
    this.bytes = Buffer.from(this.ints.buffer);
  }

  get size(): number {
    return this.count;
  }

  /**
   * The payload position (an index into `ints`) of the bytes [start, end) of `view`, or -1 when
   * the table does not hold them. A DataView, made once per record section by the caller: its
   * 32-bit reads are single loads.
   */
  find(view: DataView, start: number, end: number): number {
    const hash = hashWords(view, start, end, this.seed);
    const buckets = this.buckets;
    const mask = this.mask;
    for (let b = hash & mask; ; b = (b + 1) & mask) {
      const at = buckets[b * BUCKET + 1]!;
      if (at === EMPTY) return -1;
      if (buckets[b * BUCKET] === hash && this.holds(at, view, start, end)) return at + ENTRY_HEADER;
    }
  }

  /** The id of the entry whose payload is at `payload` (ids count up from 0 in the order keys were added). */
  idOf(payload: number): number {
    return this.ints[payload - 1]!;
  }

  /** Adds bytes the table does not hold yet; returns the new entry's payload position. */
  add(data: Uint8Array, start: number, end: number): number {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const length = end - start;
    // Rounded up to whole 8-byte units, so that the next entry starts on one too.
    const size = (ENTRY_HEADER + this.payloadInts + ((length + 3) >>> 2) + 1) & ~1;
    const id = this.count;
    if (id === this.hashes.length) this.growIds();
    if (this.used + size > this.ints.length) this.growEntries(this.used + size);
    const ints = this.ints;
    const at = this.used;
    ints[at] = length;
    ints[at + 1] = id;
    let i = start;
    let w = at + ENTRY_HEADER + this.payloadInts;
    for (; i + 4 <= end; i += 4) ints[w++] = view.getInt32(i, true);
    if (i < end) ints[w] = tailWord(view, i, end);
    const hash = hashWords(view, start, end, this.seed);
    this.hashes[id] = hash;
    this.payloads[id] = at + ENTRY_HEADER;
    this.used += size;
    this.count++;
    if (this.count * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    else this.place(hash, at);
    return at + ENTRY_HEADER;
  }

  /** Every byte compared, four at a time; equal hashes never decide. */
  private holds(at: number, view: DataView, start: number, end: number): boolean {
    const ints = this.ints;
    if (ints[at] !== end - start) return false;
    let w = at + ENTRY_HEADER + this.payloadInts;
    let i = start;
    for (; i + 4 <= end; i += 4) if (ints[w++] !== view.getInt32(i, true)) return false;
    return i === end || ints[w] === tailWord(view, i, end);
  }

  private place(hash: number, at: number): void {
    const buckets = this.buckets;
    const mask = this.mask;
    let b = hash & mask;
    while (buckets[b * BUCKET + 1] !== EMPTY) b = (b + 1) & mask;
    buckets[b * BUCKET] = hash;
    buckets[b * BUCKET + 1] = at;
  }

  private rehash(capacity: number): void {
    this.buckets = emptyBuckets(capacity);
    this.mask = capacity - 1;
    for (let id = 0; id < this.count; id++) this.place(this.hashes[id]!, this.payloads[id]! - ENTRY_HEADER);
  }

  private growIds(): void {
    const grow = (from: Int32Array) => {
      const to = new Int32Array(from.length * 2);
      to.set(from);
      return to;
    };
    this.hashes = grow(this.hashes);
    this.payloads = grow(this.payloads);
  }

  private growEntries(needed: number): void {
    const grown = new Int32Array(Math.max(needed, this.ints.length * 2));
    grown.set(this.ints.subarray(0, this.used));
    this.ints = grown;
    this.floats = new Float64Array(grown.buffer);
    this.view = new DataView(grown.buffer);
    this.bytes = Buffer.from(grown.buffer);
  }
}

function emptyBuckets(capacity: number): Int32Array {
  return new Int32Array(capacity * BUCKET).fill(EMPTY);
}

/**
 * The word that ends a key whose length is not a multiple of 4: the last four bytes (overlapping
 * the previous word) when the key has four, else its 1-3 bytes padded with zeros. With the whole
 * words before it, it covers every byte, so equal words mean equal bytes for keys of one length.
 */
function tailWord(view: DataView, start: number, end: number): number {
  if (end - start >= 4) return view.getInt32(end - 4, true);
  let word = 0;
  for (let i = start, shift = 0; i < end; i++, shift += 8) word |= view.getUint8(i) << shift;
  return word;
}

/**
 * The bytes as little-endian 32-bit words (the last one from tailWord) mixed in two lanes, even
 * and odd words, so that the multiplications of neighbouring words overlap instead of waiting on
 * each other; then the lanes joined and a Murmur3 finish. Each step shifts high bits down after
 * its multiplication: a multiplication carries a difference only upwards, and without the shift
 * differences in the top bytes of two words of a lane cancel out (keys such as group "g10",
 * partition 31 and group "g40", partition 0 collided by the thousand).
 */
export function hashWords(view: DataView, start: number, end: number, seed: number): number {
  let a = seed ^ (end - start);
  let b = seed ^ 0x5bd1e995;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    a = Math.imul(a ^ view.getInt32(i, true), 0x9e3779b1);
    a ^= a >>> 16;
    b = Math.imul(b ^ view.getInt32(i + 4, true), 0x85ebca77);
    b ^= b >>> 16;
  }
  if (i + 4 <= end) {
    a = Math.imul(a ^ view.getInt32(i, true), 0x9e3779b1);
    a ^= a >>> 16;
    i += 4;
  }
  if (i < end) {
    b = Math.imul(b ^ tailWord(view, i, end), 0x85ebca77);
    b ^= b >>> 16;
  }
  let h = a ^ Math.imul(b ^ (b >>> 15), 0xc2b2ae3d);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
