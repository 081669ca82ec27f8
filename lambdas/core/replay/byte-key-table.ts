/**
 * A hash table from byte strings to small integers, looked up straight from a range of a record
 * section: the replay finds an offset key's slot without making a string of the key.
 *
 * Making a latin1 string per record and asking a Map cost about as much as the rest of an
 * all-groups replay put together (V8 has to hash every new string from scratch, and each one is
 * garbage a moment later). Here a key is hashed four bytes at a time in place (through a DataView), and a hit is
 * confirmed by comparing every byte (as 32-bit words) with the copy kept in the table: equal hashes
 * never decide.
 *
 * The hash is seeded per table, so a log crafted to collide cannot be prepared in advance
 * (colliding keys would only make lookups slower, never wrong).
 */

const EMPTY = -1;
const MIN_CAPACITY = 64;

export class ByteKeyTable {
  /** Open addressing, linear probing: an entry's id, or EMPTY. Kept at most half full. */
  private buckets = new Int32Array(MIN_CAPACITY).fill(EMPTY);
  private mask = MIN_CAPACITY - 1;
  /** Per id: its hash, its length in bytes, and where its words start in `words`. */
  private hashes = new Int32Array(MIN_CAPACITY);
  private lengths = new Int32Array(MIN_CAPACITY);
  private wordStarts = new Int32Array(MIN_CAPACITY);
  /** Every key's bytes as little-endian 32-bit words, the last one padded with zero bytes. */
  private words = new Int32Array(MIN_CAPACITY * 16);
  private wordsUsed = 0;
  private count = 0;
  private readonly seed = (Math.random() * 0x100000000) | 0;

  get size(): number {
    return this.count;
  }

  /**
   * The id of the bytes [start, end) of `view`, or -1 when the table does not hold them. A
   * DataView, made once per record section by the caller: its 32-bit reads are single loads.
   */
  find(view: DataView, start: number, end: number): number {
    const hash = hashWords(view, start, end, this.seed);
    const length = end - start;
    const buckets = this.buckets;
    const mask = this.mask;
    for (let b = hash & mask; ; b = (b + 1) & mask) {
      const id = buckets[b]!;
      if (id === EMPTY) return -1;
      if (this.hashes[id] === hash && this.lengths[id] === length && this.holds(id, view, start, end)) return id;
    }
  }

  /** Adds bytes the table does not hold yet and returns their id (ids count up from 0). */
  add(data: Uint8Array, start: number, end: number): number {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const length = end - start;
    const wordCount = (length + 3) >>> 2;
    const id = this.count;
    if (id === this.hashes.length) this.growEntries();
    if (this.wordsUsed + wordCount > this.words.length) this.growWords(this.wordsUsed + wordCount);
    const at = this.wordsUsed;
    let i = start;
    let w = 0;
    for (; i + 4 <= end; i += 4) this.words[at + w++] = view.getInt32(i, true);
    if (i < end) this.words[at + w] = tailWord(view, i, end);
    const hash = hashWords(view, start, end, this.seed);
    this.hashes[id] = hash;
    this.lengths[id] = length;
    this.wordStarts[id] = at;
    this.wordsUsed += wordCount;
    this.count++;
    if (this.count * 2 > this.buckets.length) this.rehash(this.buckets.length * 2);
    else this.place(id, hash);
    return id;
  }

  /** Every byte compared, four at a time; equal hashes never decide. */
  private holds(id: number, view: DataView, start: number, end: number): boolean {
    const words = this.words;
    let at = this.wordStarts[id]!;
    let i = start;
    for (; i + 4 <= end; i += 4) if (words[at++] !== view.getInt32(i, true)) return false;
    return i === end || words[at] === tailWord(view, i, end);
  }

  private place(id: number, hash: number): void {
    const mask = this.mask;
    let b = hash & mask;
    while (this.buckets[b] !== EMPTY) b = (b + 1) & mask;
    this.buckets[b] = id;
  }

  private rehash(capacity: number): void {
    this.buckets = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    for (let id = 0; id < this.count; id++) this.place(id, this.hashes[id]!);
  }

  private growEntries(): void {
    const grow = (from: Int32Array) => {
      const to = new Int32Array(from.length * 2);
      to.set(from);
      return to;
    };
    this.hashes = grow(this.hashes);
    this.lengths = grow(this.lengths);
    this.wordStarts = grow(this.wordStarts);
  }

  private growWords(needed: number): void {
    const grown = new Int32Array(Math.max(needed, this.words.length * 2));
    grown.set(this.words.subarray(0, this.wordsUsed));
    this.words = grown;
  }
}

/** The last 1-3 bytes as a little-endian word padded with zeros. */
function tailWord(view: DataView, start: number, end: number): number {
  let word = 0;
  for (let i = start, shift = 0; i < end; i++, shift += 8) word |= view.getUint8(i) << shift;
  return word;
}

/** Multiply-xorshift mixing of the bytes as little-endian 32-bit words (the last one padded with zeros), then a Murmur3 finish. */
export function hashWords(view: DataView, start: number, end: number, seed: number): number {
  let h = seed ^ (end - start);
  let i = start;
  for (; i + 4 <= end; i += 4) h = mix(h, view.getInt32(i, true));
  if (i < end) h = mix(h, tailWord(view, i, end));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function mix(h: number, word: number): number {
  // Multiplying carries a difference only upwards, the shift brings the high bits back down.
  h = Math.imul(h ^ word, 0x9e3779b1);
  return h ^ (h >>> 16);
}
