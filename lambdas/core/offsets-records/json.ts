import type { OffsetsRecord } from './types.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

function toJson(value: unknown): JsonValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    // int64 travels as a decimal string, the convention of model.ts, so 2^63-2 survives JSON.
    case 'bigint':
      return value.toString();
    case 'undefined':
      return undefined;
    case 'object':
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
      if (Array.isArray(value)) return value.map((item) => toJson(item) ?? null);
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>)
          .map(([key, item]): [string, JsonValue | undefined] => [key, toJson(item)])
          .filter((entry): entry is [string, JsonValue] => entry[1] !== undefined),
      );
    default:
      return String(value);
  }
}

/**
 * A decoded record as plain JSON (bigint -> decimal string, bytes -> hex, absent fields left
 * out): what the CLI's `decode` prints and what a step output may carry.
 */
export function offsetsRecordToJson(record: OffsetsRecord): { [key: string]: JsonValue } {
  return toJson(record) as { [key: string]: JsonValue };
}
