/** JSON for machines: bigints as decimal strings (offsets above 2^53 stay exact), bytes as hex. */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonSafe(v)]));
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toJsonSafe(item);
    return out;
  }
  return value;
}

export function stringifyJson(value: unknown, pretty = false): string {
  return JSON.stringify(toJsonSafe(value), null, pretty ? 2 : undefined);
}
