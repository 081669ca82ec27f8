/**
 * The progress line a scan shows on a terminal: where it is, how many records, how fast, how
 * long to go. One line, rewritten in place on a TTY; results never go there (stdout).
 */
import type { ScanProgress } from '../../lambdas/core/scanner/progress.ts';

interface Sample {
  at: number;
  position: bigint;
  records: number;
}

/** Turns the scanner's reports into text; remembers each partition's first report to measure rates. */
export class ScanProgressFormatter {
  private readonly firstSeen = new Map<number, Sample>();

  constructor(private readonly now: () => number) {}

  format(progress: ScanProgress): string {
    const at = this.now();
    const first = this.firstSeen.get(progress.partition) ?? { at, position: progress.position, records: progress.records };
    this.firstSeen.set(progress.partition, first);
    const seconds = (at - first.at) / 1000;
    const parts = [`__consumer_offsets-${progress.partition}: offset ${progress.position}`];
    if (progress.end > 0n) parts[0] += ` of ${progress.end}${percent(progress.position, progress.end)}`;
    parts.push(`${groupDigits(progress.records)} records`);
    if (seconds >= 0.5) {
      parts.push(`${groupDigits(Math.round((progress.records - first.records) / seconds))} records/s`);
      const offsetsPerSecond = Number(progress.position - first.position) / seconds;
      const remaining = Number(progress.end - progress.position);
      if (offsetsPerSecond > 0 && remaining > 0) parts.push(`~${formatDuration(remaining / offsetsPerSecond)} left`);
    }
    return `scanning ${parts.join(', ')}`;
  }
}

function percent(position: bigint, end: bigint): string {
  return end > 0n ? ` (${Number((position * 100n) / end)}%)` : '';
}

export function groupDigits(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatDuration(seconds: number): string {
  const total = Math.max(1, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

const CLEAR_LINE = '\r\u001b[2K';

/**
 * stderr shared by a rewritten status line and ordinary lines: on a terminal the status line is
 * cleared before anything else is written, so notes and errors never land in its middle. Off a
 * terminal, status lines are written only when asked (--debug), one per line.
 */
export class StatusLine {
  private showing = false;

  constructor(
    private readonly stderr: { write(text: string): unknown },
    private readonly mode: 'terminal' | 'lines' | 'off',
  ) {}

  update(text: string): void {
    if (this.mode === 'off') return;
    if (this.mode === 'lines') {
      this.stderr.write(`${text}\n`);
      return;
    }
    this.stderr.write(`${CLEAR_LINE}${text}`);
    this.showing = true;
  }

  /** Writes a whole line, clearing the status line first. */
  line(text: string): void {
    this.clear();
    this.stderr.write(`${text}\n`);
  }

  clear(): void {
    if (!this.showing) return;
    this.stderr.write(CLEAR_LINE);
    this.showing = false;
  }
}
