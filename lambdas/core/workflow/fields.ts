/**
 * Small readers for untrusted JSON: each names the offending field and says how to fix it,
 * because these messages reach the person who typed the execution input.
 */
import { invalidInput } from '../errors.ts';

export type JsonObject = Record<string, unknown>;

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 60 ? `${value.slice(0, 57)}...` : value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function requireObject(value: unknown, field: string, fix: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidInput(field, `must be a JSON object, got ${describeValue(value)}`, fix);
  }
  return value as JsonObject;
}

export function requireString(value: unknown, field: string, fix: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidInput(field, value === undefined ? 'is missing' : `must be a non-empty string, got ${describeValue(value)}`, fix);
  }
  return value;
}

export function optionalString(value: unknown, field: string, fix: string): string | undefined {
  return value === undefined || value === null ? undefined : requireString(value, field, fix);
}

export function requireInteger(value: unknown, field: string, fix: string, range: { min?: number; max?: number } = {}): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidInput(field, value === undefined ? 'is missing' : `must be a whole number, got ${describeValue(value)}`, fix);
  }
  if ((range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max)) {
    throw invalidInput(field, `${value} is out of range [${range.min ?? '-inf'}, ${range.max ?? 'inf'}]`, fix);
  }
  return value;
}

export function optionalBoolean(value: unknown, field: string, fix: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidInput(field, `must be true or false, got ${describeValue(value)}`, fix);
  return value;
}

export function requireArray(value: unknown, field: string, fix: string): unknown[] {
  if (!Array.isArray(value)) throw invalidInput(field, value === undefined ? 'is missing' : `must be an array, got ${describeValue(value)}`, fix);
  return value;
}

/** Unknown keys are usually typos ("group" for "groups"); say which key was meant. */
export function rejectUnknownKeys(object: JsonObject, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const guess = known.find((candidate) => candidate.toLowerCase().startsWith(key.toLowerCase().slice(0, 4)));
    throw invalidInput(
      prefix ? `${prefix}.${key}` : key,
      'is not a known field',
      guess ? `Did you mean "${guess}"? Known fields: ${known.join(', ')}` : `Known fields: ${known.join(', ')}`,
    );
  }
}
