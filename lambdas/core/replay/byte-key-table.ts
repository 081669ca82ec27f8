/**
 * A hash table from byte strings to small integers, looked up straight from a range of a record
 * section: the replay finds an offset key's slot without making a string of the key.
 *
 * Making a latin1 string per record and asking a Map cost about as much as the rest of an
 * all-groups replay put together (V8 has to hash every new string from scratch, and each one is
 * garbage a moment later). Here a key is hashed four bytes at a time in place, and a hit is
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
  /** The words of the key being looked up, written while it is hashed, so comparing reads no byte twice. */
  private scratch = new Int32Array(64);

  get size(): number {
    return this.count;
  }

  /** The id of data[start, end), or -1 when the table does not hold those bytes. */
  find(data: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const wordCount = (length + 3) >>> 2;
    if (wordCount > this.scratch.length) this.scratch = new Int32Array(wordCount * 2);
    const scratch = this.scratch;
    const hash = hashWords(data, start, end, this.seed, scratch);
    const buckets = this.buckets;
    const mask = this.mask;
    const words = this.words;
    for (let b = hash & mask; ; b = (b + 1) & mask) {
      const id = buckets[b]!;
      if (id === EMPTY) return -1;
      if (this.hashes[id] !== hash || this.lengths[id] !== length) continue;
      const at = this.wordStarts[id]!;
      let w = 0;
      while (w < wordCount && words[at + w] === scratch[w]) w++;
      if (w === wordCount) return id;
    }
  }

  /** Adds bytes the table does not hold yet and returns their id (ids count up from 0). */
  add(data: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const wordCount = (length + 3) >>> 2;
    const id = this.count;
    if (id === this.hashes.length) this.growEntries();
    if (this.wordsUsed + wordCount > this.words.length) this.growWords(this.wordsUsed + wordCount);
    const hash = hashWords(data, start, end, this.seed, this.words.subarray(this.wordsUsed));
    this.hashes[id] = hash;
    this.lengths[id] = length;
    this.wordStarts[id] = this.wordsUsed;
    this.wordsUsed += wordCount;
    this.count++;
    if (this.count * 2 > this.buckets.length) this.rehash(this.buckets.length * 2);
    else this.place(id, hash);
    return id;
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

/**
 * Murmur3-style mixing of the bytes as little-endian 32-bit words (the last one padded with
 * zeros), each word also written to `out` so the caller can compare keys word by word.
 */
export function hashWords(data: Uint8Array, start: number, end: number, seed: number, out: Int32Array): number {
  let h = seed ^ (end - start);
  let i = start;
  let w = 0;
  for (const wordsEnd = end - 3; i < wordsEnd; i += 4) {
    const word = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    out[w++] = word;
    h = mix(h, word);
  }
  if (i < end) {
    let word = 0;
    for (let shift = 0; i < end; i++, shift += 8) word |= data[i]! << shift;
    out[w] = word;
    h = mix(h, word);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function mix(h: number, word: number): number {
  const k = Math.imul(word, 0xcc9e2d51);
  h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
