/** The scan window flags shared by the commands that read __consumer_offsets. */
import type { RecoveryScanOptions } from '../../../lambdas/core/operations/index.ts';
import { invalidInput } from '../../../lambdas/core/errors.ts';
import type { ScanStats, ScanWindow } from '../../../lambdas/core/model.ts';
import type { ScanProgress } from '../../../lambdas/core/scanner/progress.ts';
import type { CommandContext, FlagDefinition, FlagValues } from '../command.ts';
import { ScanProgressFormatter } from '../progress.ts';
import { parseSince } from '../values.ts';

export const SCAN_FLAGS: Record<string, FlagDefinition> = {
  since: { type: 'string', placeholder: 'TIME', description: 'read records written since: ISO time, duration back from now (6h, 1h30m, 2d) or epoch ms; default: the whole retained log' },
  'from-offset': { type: 'string', placeholder: 'N', description: 'start at this __consumer_offsets log offset instead (with --since, the later start wins)' },
};

/** The flags of the commands that read whole shards (`groups`, `offsets`): how a big one is read. */
export const SHARD_FLAGS: Record<string, FlagDefinition> = {
  checkpoint: {
    type: 'string',
    placeholder: 'FILE',
    description: 'save progress here when the scan stops (Ctrl-C, a lost broker); the same command with the same FILE continues where it stopped; removed when the scan finishes',
  },
  segments: { type: 'string', placeholder: 'K', description: 'split each partition\'s window into K offset ranges read at once and merged exactly (default 1)' },
  'fetch-bytes': { type: 'string', placeholder: 'BYTES', description: 'bytes asked for per Fetch: 8388608, 8MiB, 512KiB (default 8MiB)' },
};

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 * 1024, mib: 1024 * 1024 };

/** `--fetch-bytes`: a byte count, with an optional KiB/MiB unit. */
export function parseByteSize(value: string, flag: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? BYTE_UNITS[match[2]!.toLowerCase()] : undefined;
  const bytes = match && unit !== undefined ? Number(match[1]) * unit : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1024 || bytes > 256 * 1024 * 1024) {
    throw invalidInput(flag, `"${value}" is not a fetch size from 1KiB to 256MiB`, `Pass bytes or KiB/MiB, e.g. ${flag} 8MiB`);
  }
  return bytes;
}

export function scanWindow(flags: FlagValues, nowMs: number): ScanWindow {
  const window: ScanWindow = {};
  if (typeof flags['since'] === 'string') window.since = parseSince(flags['since'], nowMs);
  const fromOffset = flags['from-offset'];
  if (typeof fromOffset === 'string') {
    if (!/^\d{1,19}$/.test(fromOffset.trim()) || BigInt(fromOffset.trim()) > 2n ** 63n - 1n) {
      throw invalidInput('--from-offset', `"${fromOffset}" is not a log offset`, 'Pass a whole number >= 0, e.g. --from-offset 120000');
    }
    window.fromOffset = BigInt(fromOffset.trim()).toString();
  }
  return window;
}

const lastProgress = new WeakMap<CommandContext, ScanProgress>();

/**
 * Where the command's scan last reported to be: what an interruption can still say when the scan
 * is stuck in a request (a large fetch on a slow link) and cannot report its stop itself.
 */
export function lastScanProgress(context: CommandContext): ScanProgress | undefined {
  return lastProgress.get(context);
}

/**
 * Progress on stderr while a long scan runs (position, records, rate, time left), so a person
 * knows it is alive; shown on a terminal or with --debug, never mixed into the results.
 */
export function scanOptions(context: CommandContext): RecoveryScanOptions {
  const formatter = new ScanProgressFormatter(() => context.io.now());
  return {
    onProgress: (p) => {
      lastProgress.set(context, p);
      context.progress(formatter.format(p));
    },
    progressIntervalMs: 500,
    ...(context.io.signal ? { signal: context.io.signal } : {}),
  };
}

export function scanSummary(scan: ScanStats): string {
  const skipped = Object.entries(scan.skipped).map(([reason, count]) => `${reason}=${count}`);
  return [
    `scanned partition ${scan.partition} offsets ${scan.startOffset}..${scan.endOffset}${scan.complete ? '' : ` (INCOMPLETE: stopped at ${scan.nextOffset})`}`,
    `${scan.records} records, ${scan.batches} batches, ${scan.bytes} bytes`,
    scan.abortedRecords > 0 ? `${scan.abortedRecords} aborted` : '',
    skipped.length > 0 ? `skipped ${skipped.join(' ')}` : '',
    scan.retries ? `${scan.retries} retries` : '',
  ]
    .filter((part) => part.length > 0)
    .join('; ')
    .concat((scan.notes ?? []).map((note) => `\n  note: ${note}`).join(''));
}
