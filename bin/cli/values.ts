/** Parsers for flag values. Pure; every failure is INVALID_INPUT naming the flag and the fix. */
import { invalidInput } from '../../lambdas/core/errors.ts';
import { parseBrokerAddress } from '../../lambdas/kafka/config.ts';

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Before this, an all-digit --since is far more likely epoch seconds than milliseconds (it would be 1973). */
const EPOCH_MS_FLOOR = 100_000_000_000;

/**
 * --since: an ISO-8601 time ("2024-05-01T10:00:00Z"), a duration back from now ("90m", "1h30m",
 * "2d") or epoch milliseconds. Returns epoch milliseconds.
 */
export function parseSince(value: string, nowMs: number, flag = '--since'): number {
  const text = value.trim();
  const fix = 'Use an ISO time (2024-05-01T10:00:00Z), a duration back from now (30m, 6h, 1h30m, 2d) or epoch milliseconds';
  let since: number;
  if (/^\d+$/.test(text)) {
    since = Number(text);
    if (since < EPOCH_MS_FLOOR) throw invalidInput(flag, `${text} looks like epoch seconds, not milliseconds`, `Multiply by 1000 (${text}000). ${fix}`);
  } else if (/^(\d+(ms|s|m|h|d|w))+$/.test(text)) {
    let total = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(amount) * (DURATION_UNITS_MS[unit as string] as number);
    since = nowMs - total;
  } else if (ISO_TIME.test(text)) {
    const impossible = impossibleDateTime(text);
    if (impossible) throw invalidInput(flag, `"${value}" is not a real time (${impossible})`, fix);
    // A date or time without a zone would be read in the machine's zone; incidents are in UTC.
    const zoned = /T|\s/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text.replace(' ', 'T')}Z` : text;
    since = Date.parse(zoned);
  } else {
    throw invalidInput(flag, `"${value}" is not a time`, fix);
  }
  if (!Number.isFinite(since)) throw invalidInput(flag, `"${value}" is not a valid date`, fix);
  if (since < 0) throw invalidInput(flag, `"${value}" is before 1970, older than any Kafka log`, fix);
  if (since > nowMs) throw invalidInput(flag, `"${value}" is in the future`, 'Pick a time before now; the scan reads what was written since then');
  return since;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * JavaScript rolls impossible dates over (2024-02-30 becomes March 1st) instead of refusing
 * them; an incident window must be the one typed. Says what is wrong, or undefined.
 */
function impossibleDateTime(text: string): string | undefined {
  const [, year, month, day, hour, minute, second, zone] = ISO_TIME.exec(text) as RegExpExecArray;
  const m = Number(month);
  if (m < 1 || m > 12) return `month ${month} does not exist`;
  const daysInMonth = new Date(Date.UTC(Number(year), m, 0)).getUTCDate();
  if (Number(day) < 1 || Number(day) > daysInMonth) return `${MONTHS[m - 1]} ${year} has ${daysInMonth} days`;
  if (hour !== undefined && Number(hour) > 23) return `hour ${hour} does not exist; use 00-23`;
  if (minute !== undefined && Number(minute) > 59) return `minute ${minute} does not exist`;
  if (second !== undefined && Number(second) > 59) return `second ${second} does not exist`;
  const offset = zone !== undefined && zone !== 'Z' ? /^[+-](\d{2}):?(\d{2})$/.exec(zone) : null;
  if (offset && (Number(offset[1]) > 18 || Number(offset[2]) > 59)) return `zone offset ${zone} does not exist`;
  return undefined;
}

export function parseInteger(value: string, flag: string, { min = 0, max = 2_147_483_647, example = min }: { min?: number; max?: number; example?: number } = {}): number {
  const text = value.trim();
  const number = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw invalidInput(flag, `"${value}" is not a whole number from ${min} to ${max}`, `Pass e.g. ${flag} ${example}`);
  }
  return number;
}

/** "3", "3,7", "0-4" and repeated flags, de-duplicated and sorted. */
export function parsePartitionList(values: readonly string[], flag: string): number[] {
  const partitions = new Set<number>();
  for (const value of values) {
    for (const part of value.split(',')) {
      const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
      if (range) {
        const from = parseInteger(range[1] as string, flag);
        const to = parseInteger(range[2] as string, flag);
        if (to < from) throw invalidInput(flag, `range "${part}" runs backwards`, `Write it low-high, e.g. ${to}-${from}`);
        if (to - from > 10_000) throw invalidInput(flag, `range "${part}" is too wide`, 'Name at most 10000 partitions');
        for (let p = from; p <= to; p++) partitions.add(p);
      } else if (/^\s*\d+\s*$/.test(part)) {
        partitions.add(parseInteger(part, flag));
      } else {
        throw invalidInput(flag, `"${part}" is not a partition number or range`, `Pass e.g. ${flag} 7, ${flag} 3,7,12 or ${flag} 0-4`);
      }
    }
  }
  if (partitions.size === 0) throw invalidInput(flag, 'names no partition', `Pass e.g. ${flag} 7 or ${flag} 3,7,12`);
  return [...partitions].sort((a, b) => a - b);
}

/** "host:port[,host:port]" -> validated list. */
export function parseBootstrap(value: string, flag = '--bootstrap'): string[] {
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length === 0) throw invalidInput(flag, 'is empty', 'Pass host:port[,host:port]');
  for (const entry of entries) parseBrokerAddress(entry, flag);
  return entries;
}
