import { describe, expect, it } from 'vitest';
import type { RecoveryError } from '../../../lambdas/core/errors.ts';
import { parseBootstrap, parseInteger, parsePartitionList, parseSince } from '../../../bin/cli/values.ts';

const NOW = Date.parse('2026-03-10T12:00:00Z');

function invalid(run: () => unknown): RecoveryError {
  try {
    run();
  } catch (error) {
    expect((error as RecoveryError).code).toBe('INVALID_INPUT');
    return error as RecoveryError;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('parseSince', () => {
  it('reads durations back from now', () => {
    expect(parseSince('90m', NOW)).toBe(NOW - 90 * 60_000);
    expect(parseSince('1h30m', NOW)).toBe(NOW - 90 * 60_000);
    expect(parseSince('2d', NOW)).toBe(NOW - 2 * 86_400_000);
    expect(parseSince('500ms', NOW)).toBe(NOW - 500);
  });

  it('reads ISO times, zone-less ones as UTC', () => {
    expect(parseSince('2026-03-10T10:00:00Z', NOW)).toBe(Date.parse('2026-03-10T10:00:00Z'));
    expect(parseSince('2026-03-10T10:00:00', NOW)).toBe(Date.parse('2026-03-10T10:00:00Z'));
    expect(parseSince('2026-03-10T11:00:00+01:00', NOW)).toBe(Date.parse('2026-03-10T10:00:00Z'));
    expect(parseSince('2026-03-09', NOW)).toBe(Date.parse('2026-03-09T00:00:00Z'));
  });

  it('reads epoch milliseconds and refuses what looks like seconds', () => {
    expect(parseSince('1773136800000', NOW)).toBe(1773136800000);
    expect(invalid(() => parseSince('1773136800', NOW)).message).toContain('epoch seconds');
  });

  it.each(['yesterday', '1 hour', '-5m', '2026-13-45T00:00:00Z', '5y', ''])('rejects "%s" naming --since', (value) => {
    expect(invalid(() => parseSince(value, NOW)).details['field']).toBe('--since');
  });

  it('rejects a time in the future', () => {
    expect(invalid(() => parseSince('2026-03-11T00:00:00Z', NOW)).message).toContain('future');
  });
});

describe('parseInteger and parsePartitionList', () => {
  it('accepts whole numbers in range only', () => {
    expect(parseInteger('7', '--broker')).toBe(7);
    for (const bad of ['7.5', 'x', '', '-1', '1e3', '99999999999']) expect(invalid(() => parseInteger(bad, '--broker')).details['field']).toBe('--broker');
  });

  it('reads lists, ranges and repeats into one sorted set', () => {
    expect(parsePartitionList(['12', '3,7', '0-2', '7'], '--partition')).toEqual([0, 1, 2, 3, 7, 12]);
    expect(invalid(() => parsePartitionList(['5-2'], '--partition')).message).toContain('backwards');
    expect(invalid(() => parsePartitionList(['a'], '--partition')).details['field']).toBe('--partition');
    expect(invalid(() => parsePartitionList(['1-x'], '--partition')).message).toMatch(/"1-x" is not a partition number or range.*0-4/);
  });
});

describe('parseBootstrap', () => {
  it('splits and validates host:port lists', () => {
    expect(parseBootstrap('b-1:9092, b-2:9092,')).toEqual(['b-1:9092', 'b-2:9092']);
    expect(invalid(() => parseBootstrap('b-1')).details['field']).toBe('--bootstrap');
    expect(invalid(() => parseBootstrap(' , ')).details['field']).toBe('--bootstrap');
  });
});
