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
