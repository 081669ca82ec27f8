/** What a running scan reports, through `onProgress`, while it works through a partition. */
export interface ScanProgress {
  partition: number;
  /** Data records so far at offsets inside the scanned range (control records excluded). */
  records: number;
  /** Bytes of the complete batches read so far (a batch reaching outside the range counts whole). */
  bytes: number;
  batches: number;
  /** The next log offset the scan will read. */
  position: bigint;
  /** The log end captured when the scan started: the scan stops there. */
  end: bigint;
}

export type ProgressListener = (progress: ScanProgress) => void;

/**
 * Rate-limits progress reports to one per interval so a fast in-memory scan does not flood a
 * terminal or a log, while the first and the final report always go out.
 */
export class ProgressThrottle {
  private lastReportAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly listener: ProgressListener | undefined,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  report(progress: ScanProgress): void {
    if (this.listener === undefined) return;
    const at = this.now();
    if (at - this.lastReportAt < this.intervalMs) return;
    this.lastReportAt = at;
    this.listener(progress);
  }

  final(progress: ScanProgress): void {
    if (this.listener === undefined) return;
    this.lastReportAt = this.now();
    this.listener(progress);
  }
}
