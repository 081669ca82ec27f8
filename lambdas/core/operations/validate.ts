import { invalidInput } from '../errors.ts';
import type { ScanWindow } from '../model.ts';

/** Kafka limits group ids only by the int16 string length of the record key. */
const MAX_GROUP_ID_BYTES = 0x7fff;

export function validateGroupId(groupId: unknown, field = 'groupId'): string {
  if (typeof groupId !== 'string' || groupId.length === 0) {
    throw invalidInput(field, `expected a non-empty string, got ${groupId === '' ? 'an empty string' : typeof groupId}`, 'Pass the consumer group id, e.g. "orders-service".');
  }
  if (Buffer.byteLength(groupId, 'utf8') > MAX_GROUP_ID_BYTES) {
    throw invalidInput(field, 'is longer than 32767 UTF-8 bytes, which no Kafka group id can be', 'Check the group id.');
  }
  return groupId;
}

export interface ResolvedWindow {
  since?: number;
  fromOffset?: bigint;
  /** Internal: stop before this offset (the look-back before a window); never from user input. */
  untilOffset?: bigint;
}

/** ScanWindow (JSON: fromOffset as a decimal string) to scanner options. */
export function resolveWindow(window: ScanWindow | undefined): ResolvedWindow {
  const resolved: ResolvedWindow = {};
  if (window === undefined || window === null) return resolved;
  if (typeof window !== 'object') {
    throw invalidInput('window', `expected an object like { since }, got ${typeof window}`, 'Pass e.g. { since: Date.now() - 3_600_000 }.');
  }
  if (window.since !== undefined) {
    if (typeof window.since !== 'number' || !Number.isInteger(window.since) || window.since < 0) {
      throw invalidInput('since', `expected epoch milliseconds (an integer >= 0), got ${String(window.since)}`, 'Pass e.g. Date.now() - 3_600_000 for one hour back.');
    }
    resolved.since = window.since;
  }
  if (window.fromOffset !== undefined) {
    if (typeof window.fromOffset !== 'string' || !/^\d+$/.test(window.fromOffset)) {
      throw invalidInput('fromOffset', `expected a non-negative decimal string, got ${JSON.stringify(window.fromOffset)}`, 'Pass a log offset as text, e.g. "12345".');
    }
    resolved.fromOffset = BigInt(window.fromOffset);
  }
  return resolved;
}
