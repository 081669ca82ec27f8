/**
 * Where a scan starts and where it stops. The end is the log end (high watermark) captured
 * before the first Fetch, so a scan of a busy partition finishes instead of chasing new commits.
 */
import { invalidInput } from '../errors.ts';
import type { ScanPosition } from '../model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../ports.ts';
import type { KafkaPort, ListedOffset, OffsetSpec } from '../ports.ts';

export interface ScanRange {
  /** The first offset of the whole scan (of the original scan, when resuming). */
  start: bigint;
  /** Where this run reads first. */
  next: bigint;
  end: bigint;
  notes: string[];
}

export interface ScanStartOptions {
  since?: number;
  fromOffset?: bigint;
  /** Stop here instead of at the log end, when it is lower (e.g. where a later window begins). */
  untilOffset?: bigint;
  resumeFrom?: ScanPosition;
}

type Recovering = <T>(label: string, call: () => Promise<T>) => Promise<T>;

export async function resolveScanRange(
  port: KafkaPort,
  partition: number,
  options: ScanStartOptions,
  withRecovery: Recovering,
): Promise<ScanRange> {
  const listOne = async (spec: OffsetSpec, label: string): Promise<bigint> => {
    const listed: ListedOffset[] = await withRecovery(`ListOffsets (${label})`, () =>
      port.listOffsets(CONSUMER_OFFSETS_TOPIC, [partition], spec),
    );
    const entry = listed.find((l) => l.partition === partition);
    if (entry === undefined) {
      throw invalidInput('partition', `ListOffsets returned nothing for ${CONSUMER_OFFSETS_TOPIC}-${partition}`, 'Check the partition number against the topic metadata.');
    }
    return entry.offset;
  };

  if (options.resumeFrom !== undefined) return resumeRange(options.resumeFrom, partition);

  const since = options.since === undefined ? undefined : validateSince(options.since);
  const fromOffset = options.fromOffset === undefined ? undefined : validateFromOffset(options.fromOffset);
  const notes: string[] = [];
  let end = await listOne({ kind: 'latest' }, 'latest');
  if (options.untilOffset !== undefined && validateFromOffset(options.untilOffset, 'untilOffset') < end) end = options.untilOffset;
  const logStart = await listOne({ kind: 'earliest' }, 'earliest');
  let start = logStart;

  if (since !== undefined) {
    const byTime = await listOne({ kind: 'timestamp', timestamp: BigInt(since) }, `since ${new Date(since).toISOString()}`);
    // -1 (or nothing) means no record at or after `since`: there is nothing to read.
    start = byTime < 0n ? end : byTime;
  }
  if (fromOffset !== undefined) {
    let clamped = fromOffset;
    if (fromOffset < logStart) {
      notes.push(`fromOffset ${fromOffset} is below the log start ${logStart} (deleted by retention): started at ${logStart}`);
      clamped = logStart;
    } else if (fromOffset > end) {
      notes.push(`fromOffset ${fromOffset} is beyond the log end ${end}: nothing to read`);
      clamped = end;
    }
    if (clamped > start) start = clamped;
  }
  if (start < logStart) start = logStart;
  if (start > end) start = end;
  return { start, next: start, end, notes };
}

function resumeRange(position: ScanPosition, partition: number): ScanRange {
  if (position.partition !== partition) {
    throw invalidInput(
      'resumeFrom.partition',
      `the position belongs to partition ${String(position.partition)}, not ${partition}`,
      'Resume with the position of the same partition.',
    );
  }
  const start = parseOffset('resumeFrom.startOffset', position.startOffset);
  const next = parseOffset('resumeFrom.nextOffset', position.nextOffset);
  const end = parseOffset('resumeFrom.endOffset', position.endOffset);
  if (next < start || next > end) {
    throw invalidInput('resumeFrom.nextOffset', `${next} lies outside [${start}, ${end}]`, 'Pass the position from the SCAN_INTERRUPTED error unchanged.');
  }
  return { start, next, end, notes: [`resumed at offset ${next}`] };
}

function parseOffset(field: string, value: unknown): bigint {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) {
    throw invalidInput(field, `expected a non-negative decimal string, got ${JSON.stringify(value)}`, 'Pass the position from the SCAN_INTERRUPTED error unchanged.');
  }
  return BigInt(value);
}

function validateSince(since: unknown): number {
  if (typeof since !== 'number' || !Number.isInteger(since) || since < 0) {
    throw invalidInput('since', `expected epoch milliseconds (an integer >= 0), got ${String(since)}`, 'Pass e.g. Date.now() - 3_600_000 for one hour back.');
  }
  return since;
}

function validateFromOffset(fromOffset: unknown, field = 'fromOffset'): bigint {
  if (typeof fromOffset !== 'bigint' || fromOffset < 0n) {
    throw invalidInput(field, `expected a bigint >= 0, got ${String(fromOffset)}`, 'Pass a log offset of __consumer_offsets, e.g. 0n.');
  }
  return fromOffset;
}

/**
 * The [start, end) a scan of this window would read now, without reading it: for splitting a
 * window into segments. Port failures propagate (the plan is cheap to ask for again).
 */
export async function resolveScanWindow(port: KafkaPort, partition: number, window: { since?: number; fromOffset?: bigint }): Promise<ScanRange> {
  return resolveScanRange(port, partition, window, (_label, call) => call());
}
