/** A seeded PRNG (mulberry32) so fuzz failures reproduce: the seed is in the test name. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

export function randomInt64(random: () => number): bigint {
  return BigInt.asIntN(64, (BigInt(randomInt(random, 0, 0xffffffff)) << 32n) | BigInt(randomInt(random, 0, 0xffffffff)));
}

const ALPHABET = ['a', 'z', '-', '_', '.', '0', 'ż', 'ł', '\u{1F600}', '中'];

export function randomText(random: () => number, maxChars: number): string {
  let text = '';
  const length = randomInt(random, 0, maxChars);
  for (let i = 0; i < length; i++) text += ALPHABET[randomInt(random, 0, ALPHABET.length - 1)];
  return text;
}
