/**
 * The group-less scan of one `__consumer_offsets` partition: ListOffsets to find where to start
 * and where the log ends now, then read_committed Fetches from the partition leader up to that
 * end, every complete batch handed to a sink in log order. Only metadata, ListOffsets and Fetch
 * are used: the scan never joins a group, commits or creates anything.
 */
import { RecoveryError, invalidInput } from '../errors.ts';
import type { ScanPosition, ScanStats, UnreadRange } from '../model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../ports.ts';
import type { AbortedTransaction, FetchResult, KafkaPort } from '../ports.ts';
import { decodeRecordBatches } from '../record-batch/index.ts';
import type { DataBatch, DecodeResult, RecordBatch } from '../record-batch/index.ts';
import { ProgressThrottle } from './progress.ts';
import type { ProgressListener, ScanProgress } from './progress.ts';
import { DEFAULT_RETRY, backoffDelayMs, classifyFailure, sleep, validateRetryPolicy } from './retry.ts';
import type { RetryPolicy } from './retry.ts';
import { describeOffsetsTopic, requireOffsetsPartition } from './offsets-topic.ts';
import { resolveScanRange } from './start.ts';

/**
 * Receives every entry of the scanned range in log order: data and control batches, and the
 * corrupt or unreadable frames that were skipped (so the sink can report them too).
 * OffsetsLogReplay (../replay) is the sink recovery uses.
 */
export interface ScanSink {
  /** Called once before the first Fetch of a run; a batch may begin before `next` (Fetch returns whole batches). */
  begin?(range: { start: bigint; next: bigint; end: bigint }): void;
  apply(batch: RecordBatch, abortedTransactions: readonly AbortedTransaction[]): void;
}

export interface ScanOptions {
  partition: number;
  /** Start at the first record appended at or after this time (epoch ms; ListOffsets by timestamp). */
  since?: number;
  /** Start at this log offset (clamped up to the log start, with a note). With `since`, the later start wins. */
  fromOffset?: bigint;
  /**
   * Stop at this log offset (exclusive) instead of the log end, when it is lower: reading what
   * lies before a window, or the end of one segment of a window split for parallel scans. A batch
   * that straddles it is delivered whole; the sink drops the records beyond it (OffsetsLogReplay's
   * endOffset).
   */
  untilOffset?: bigint;
  /** Continue an interrupted scan (from SCAN_INTERRUPTED `details.position`); feed the same sink. */
  resumeFrom?: ScanPosition;
  /** Bytes asked for per Fetch (default 1 MiB; shard scans ask for SHARD_SCAN_FETCH_BYTES); grown automatically for a larger batch. */
  maxBytesPerFetch?: number;
  /** The most a single Fetch may ask for when a batch does not fit (default 64 MiB). */
  maxBytesLimit?: number;
  onProgress?: ProgressListener;
  /** Minimum time between two progress reports (default 1000 ms; the last report always goes out). */
  progressIntervalMs?: number;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /**
   * Epoch ms: once passed, the scan stops between two Fetches with SCAN_INTERRUPTED and its
   * position (`details.deadlinePassed: true`). Checked on the clock, not by a timer, so a port
   * that answers without yielding to the event loop cannot outrun it.
   */
  deadline?: number;
  /** Fetch maxWaitMs: how long the broker may hold a Fetch that has no data yet (default 100 ms). */
  fetchMaxWaitMs?: number;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;
const DEFAULT_MAX_BYTES_LIMIT = 64 * 1024 * 1024;
const DEFAULT_PROGRESS_INTERVAL_MS = 1000;
const DEFAULT_FETCH_MAX_WAIT_MS = 100;
/** Enough notes to explain a scan without letting a badly damaged log flood the result. */
const MAX_NOTES = 50;

export async function scanOffsetsPartition(port: KafkaPort, options: ScanOptions, sink: ScanSink): Promise<ScanStats> {
  const scan = new PartitionScan(port, options, sink);
  return scan.run();
}

class PartitionScan {
  private readonly partition: number;
  private readonly retry: RetryPolicy;
  private readonly maxBytesLimit: number;
  private readonly progress: ProgressThrottle;
  private fetchSize: number;
  private start = 0n;
  private next = 0n;
  private end = 0n;
  private stoppedEarly = false;
  /** False until the start and end are known: errors before that carry no resume position. */
  private started = false;
  /** Consecutive Fetches that moved nothing forward, and the pause before the next one. */
  private stalls = 0;
  private stallDelayMs = 0;
  private readonly counts = {
    records: 0,
    bytes: 0,
    batches: 0,
    controlBatches: 0,
    fetches: 0,
    retries: 0,
    metadataRefreshes: 0,
    logStartResets: 0,
  };
  private readonly skipped: Record<string, number> = {};
  private readonly unreadRanges: UnreadRange[] = [];
  private readonly notes: string[] = [];
  private droppedNotes = 0;

  constructor(
    private readonly port: KafkaPort,
    private readonly options: ScanOptions,
    private readonly sink: ScanSink,
  ) {
    this.partition = validatePartition(options.partition);
    this.retry = validateRetryPolicy({ ...DEFAULT_RETRY, ...options.retry });
    this.fetchSize = positiveInteger('maxBytesPerFetch', options.maxBytesPerFetch ?? DEFAULT_MAX_BYTES);
    this.maxBytesLimit = Math.max(this.fetchSize, positiveInteger('maxBytesLimit', options.maxBytesLimit ?? DEFAULT_MAX_BYTES_LIMIT));
    const interval = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    if (!Number.isFinite(interval) || interval < 0) {
      throw invalidInput('progressIntervalMs', `expected a number >= 0, got ${String(interval)}`, 'Pass milliseconds, e.g. 1000.');
    }
    this.progress = new ProgressThrottle(options.onProgress, interval);
  }

  async run(): Promise<ScanStats> {
    const offsetsTopic = await this.withRecovery('Metadata', () => describeOffsetsTopic(this.port));
    requireOffsetsPartition(offsetsTopic, this.partition);
    const range = await resolveScanRange(this.port, this.partition, this.options, (label, call) => this.withRecovery(label, call));
    this.start = range.start;
    this.next = range.next;
    this.end = range.end;
    this.started = true;
    for (const note of range.notes) this.note(note);
    this.sink.begin?.({ start: this.start, next: this.next, end: this.end });

    while (this.next < this.end && !this.stoppedEarly) {
      this.throwIfAborted();
      const result = await this.fetchNext();
      if (result === null) continue; // the position moved (log start reset); fetch again
      this.consume(result);
      this.progress.report(this.snapshot());
      if (this.stallDelayMs > 0) await this.pause(this.stallDelayMs);
    }
    this.progress.final(this.snapshot());
    return this.stats();
  }

  /** One Fetch at the current position; null when OFFSET_OUT_OF_RANGE moved the position instead. */
  private async fetchNext(): Promise<FetchResult | null> {
    try {
      return await this.withRecovery('Fetch', () => {
        this.counts.fetches++;
        return this.port.fetch({
          topic: CONSUMER_OFFSETS_TOPIC,
          partition: this.partition,
          offset: this.next,
          maxBytes: this.fetchSize,
          isolation: 'read_committed',
          maxWaitMs: this.options.fetchMaxWaitMs ?? DEFAULT_FETCH_MAX_WAIT_MS,
        });
      });
    } catch (error) {
      if (classifyFailure(error) !== 'offset-out-of-range') throw error;
      await this.recoverFromOutOfRange();
      return null;
    }
  }

  private consume(result: FetchResult): void {
    const decoded = decodeRecordBatches(result.records);
    const before = this.next;
    this.stallDelayMs = 0;
    for (const entry of decoded.batches) {
      // The CRC does not cover baseOffset: a frame placed beyond the leader's own high watermark
      // is damaged, and believing it would end the scan early or skip real batches.
      if (entry.baseOffset >= result.highWatermark && result.highWatermark >= 0n) {
        this.countSkip('CORRUPT_BATCH');
        this.note(`ignored a batch claiming offset ${entry.baseOffset}, beyond the high watermark ${result.highWatermark}: its header is damaged`);
        continue;
      }
      // Appended after the scan started (or the range up to the end was compacted away). A corrupt
      // frame's baseOffset is not covered by its CRC, so it never ends the scan on its own say-so.
      if (entry.kind !== 'corrupt' && entry.baseOffset >= this.end) {
        this.next = this.end;
        return;
      }
      this.consumeEntry(entry, result.abortedTransactions);
    }
    if (this.next > before) {
      this.stalls = 0;
      return;
    }
    this.handleNoProgress(result, decoded);
  }

  private consumeEntry(entry: RecordBatch, aborted: readonly AbortedTransaction[]): void {
    switch (entry.kind) {
      case 'records':
        // A fetch starts at the batch holding the position; a batch entirely behind it was read already.
        if (entry.lastOffset < this.next) return;
        this.sink.apply(entry, aborted);
        this.counts.batches++;
        this.counts.bytes += entry.byteLength;
        if (entry.isControl) this.counts.controlBatches++;
        else this.counts.records += recordsWithin(entry, this.next, this.end);
        this.advanceTo(entry.lastOffset + 1n);
        return;
      case 'unsupported-compression':
        if (entry.lastOffset < this.next) return;
        this.sink.apply(entry, aborted);
        this.countSkip('UNSUPPORTED_COMPRESSION');
        this.note(`skipped offsets ${entry.baseOffset}-${entry.lastOffset}: batch compressed with ${entry.compression}, which this tool cannot read`);
        this.advanceTo(entry.lastOffset + 1n);
        return;
      case 'unsupported-magic':
        if (entry.baseOffset < this.next) return;
        this.sink.apply(entry, aborted);
        this.countSkip('UNSUPPORTED_MAGIC');
        this.note(`skipped a magic ${entry.magic} message set at offset ${entry.baseOffset}: formats older than Kafka 0.11 are not read`);
        this.advanceTo(entry.baseOffset + 1n);
        return;
      case 'corrupt': {
        // A damaged header may still give the batch's extent; without one, step past its first offset.
        const after = entry.header && entry.header.lastOffsetDelta >= 0 ? entry.header.lastOffset + 1n : entry.baseOffset + 1n;
        if (after <= this.next) return;
        this.sink.apply(entry, aborted);
        this.countSkip('CORRUPT_BATCH');
        this.note(`skipped corrupt batch at offsets ${entry.baseOffset}-${after - 1n}: ${entry.reason}`);
        this.advanceTo(after);
        return;
      }
    }
  }

  private advanceTo(offset: bigint): void {
    if (offset > this.next) this.next = offset;
  }

  /** The Fetch gave nothing usable at the current position: find out why and act on it. */
  private handleNoProgress(result: FetchResult, decoded: DecodeResult): void {
    const last = decoded.batches[decoded.batches.length - 1];
    if (last?.kind === 'corrupt' && !last.resumable) {
      throw this.interrupted(
        'CORRUPT_DATA',
        `the batch at offset ${last.baseOffset} has an impossible frame length (${last.reason}), so the next batch cannot be found`,
      );
    }
    if (decoded.truncatedTail) {
      this.growFetchSize(result.records, decoded.bytesConsumed);
      return;
    }
    if (result.highWatermark <= this.next) {
      this.stopEarly(
        `the log end moved back to ${result.highWatermark} (below the ${this.end} captured at the start, e.g. after an unclean leader election); stopped at ${this.next}`,
      );
      return;
    }
    // Nothing readable below the high watermark: an open transaction holds the last stable offset
    // back, or the broker answered before data arrived. Both can clear up, so wait and retry.
    this.stalls++;
    if (this.stalls > this.retry.attempts) {
      const why =
        result.lastStableOffset <= this.next
          ? `an open transaction holds the last stable offset at ${result.lastStableOffset}`
          : 'the leader returned no records';
      this.stopEarly(`${why}; stopped at ${this.next} of ${this.end} after ${this.retry.attempts} retries (read_committed cannot read past it)`);
      return;
    }
    this.counts.retries++;
    this.stallDelayMs = backoffDelayMs(this.retry, this.stalls - 1);
  }

  private growFetchSize(records: Buffer, frameStart: number): void {
    // The partial frame's header says how big the whole batch is; ask for at least that much.
    const needed = records.length - frameStart >= 12 ? 12 + records.readInt32BE(frameStart + 8) : this.fetchSize * 2;
    if (needed > this.maxBytesLimit || this.fetchSize >= this.maxBytesLimit) {
      throw this.interrupted(
        'SCAN_INTERRUPTED',
        `the batch at offset ${this.next} needs ${needed} bytes, more than maxBytesLimit ${this.maxBytesLimit}; raise maxBytesLimit`,
      );
    }
    const grown = Math.min(this.maxBytesLimit, Math.max(needed, this.fetchSize * 2));
    this.note(`fetch size raised from ${this.fetchSize} to ${grown} bytes for the batch at offset ${this.next}`);
    this.fetchSize = grown;
  }

  /** Retention deleted the segment under the position: continue at the new log start. */
  private async recoverFromOutOfRange(): Promise<void> {
    const [earliest] = await this.withRecovery('ListOffsets (earliest)', () =>
      this.port.listOffsets(CONSUMER_OFFSETS_TOPIC, [this.partition], { kind: 'earliest' }),
    );
    const logStart = earliest?.offset ?? this.next;
    if (logStart > this.next) {
      this.counts.logStartResets++;
      this.note(`log start moved to ${logStart} under retention while the scan was at ${this.next}: offsets in between were deleted and not read`);
      // Deleted data cannot be re-read; the range is reported so that offsets it may have superseded are not called certain.
      const resumeAt = logStart < this.end ? logStart : this.end;
      this.unreadRanges.push({ from: this.next.toString(), to: resumeAt.toString(), reason: 'LOG_START_MOVED' });
      this.next = resumeAt;
      return;
    }
    const [latest] = await this.withRecovery('ListOffsets (latest)', () =>
      this.port.listOffsets(CONSUMER_OFFSETS_TOPIC, [this.partition], { kind: 'latest' }),
    );
    const logEnd = latest?.offset ?? this.next;
    if (logEnd <= this.next) {
      this.stopEarly(`the log end moved back to ${logEnd} (below the ${this.end} captured at the start); stopped at ${this.next}`);
      return;
    }
    // In range by now (a leader was catching up): retry the Fetch, within the retry budget.
    this.stalls++;
    if (this.stalls > this.retry.attempts) {
      throw this.interrupted('SCAN_INTERRUPTED', `the leader keeps answering OFFSET_OUT_OF_RANGE for offset ${this.next} inside [${logStart}, ${logEnd})`);
    }
    this.counts.retries++;
    await this.pause(backoffDelayMs(this.retry, this.stalls - 1));
  }

  /**
   * Runs a port call, refreshing metadata after stale-leader answers and backing off after
   * dropped connections, up to the retry budget; then the scan stops with a resumable error.
   */
  private async withRecovery<T>(label: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.throwIfAborted();
      try {
        return await call();
      } catch (error) {
        const kind = classifyFailure(error);
        if (kind === 'fatal' || kind === 'offset-out-of-range') throw error;
        if (attempt >= this.retry.attempts) {
          const reason = error instanceof Error ? error.message : String(error);
          throw this.interrupted('SCAN_INTERRUPTED', `${label} failed ${attempt + 1} times: ${reason}`, error);
        }
        this.counts.retries++;
        await this.refreshMetadata();
        await this.pause(backoffDelayMs(this.retry, attempt));
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    try {
      await sleep(ms, this.options.signal);
    } catch (reason) {
      throw this.abortedError(reason);
    }
  }

  private async refreshMetadata(): Promise<void> {
    try {
      this.counts.metadataRefreshes++;
      await this.port.refreshMetadata();
    } catch {
      // The refresh itself may hit the same outage; the retried call will tell.
    }
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw this.abortedError(this.options.signal.reason);
    // Only once the range is known: a stop always leaves a position to continue from.
    if (this.started && this.options.deadline !== undefined && Date.now() >= this.options.deadline) {
      const error = this.interrupted('SCAN_INTERRUPTED', 'the deadline passed');
      error.details['deadlinePassed'] = true;
      throw error;
    }
  }

  private abortedError(reason: unknown): RecoveryError {
    if (reason instanceof RecoveryError) return reason;
    return this.interrupted('SCAN_INTERRUPTED', 'the scan was cancelled', reason);
  }

  private interrupted(code: 'SCAN_INTERRUPTED' | 'CORRUPT_DATA', why: string, cause?: unknown): RecoveryError {
    if (!this.started) {
      return new RecoveryError(code, `Scan of ${CONSUMER_OFFSETS_TOPIC}-${this.partition} could not start: ${why}.`, {
        details: { partition: this.partition, reason: why },
        retryable: code === 'SCAN_INTERRUPTED',
        cause,
      });
    }
    const position = this.position();
    return new RecoveryError(
      code,
      `Scan of ${CONSUMER_OFFSETS_TOPIC}-${this.partition} stopped at offset ${this.next} (end ${this.end}): ${why}.` +
        (code === 'SCAN_INTERRUPTED' ? ' Resume with resumeFrom = error.details.position and the same sink.' : ''),
      {
        details: { partition: this.partition, reason: why, position, stats: this.stats() },
        retryable: code === 'SCAN_INTERRUPTED',
        cause,
      },
    );
  }

  private stopEarly(note: string): void {
    this.note(note);
    this.stoppedEarly = true;
  }

  private countSkip(reason: string): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  private note(note: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(note);
    else this.droppedNotes++;
  }

  private position(): ScanPosition {
    return {
      partition: this.partition,
      startOffset: this.start.toString(),
      nextOffset: this.next.toString(),
      endOffset: this.end.toString(),
    };
  }

  private snapshot(): ScanProgress {
    const { records, bytes, batches } = this.counts;
    return { partition: this.partition, records, bytes, batches, position: this.next, end: this.end };
  }

  private stats(): ScanStats {
    const notes = this.droppedNotes > 0 ? [...this.notes, `${this.droppedNotes} more notes left out`] : [...this.notes];
    const stats: ScanStats = {
      partition: this.partition,
      startOffset: this.start.toString(),
      endOffset: this.end.toString(),
      nextOffset: this.next.toString(),
      complete: !this.stoppedEarly && this.next >= this.end && this.unreadRanges.length === 0,
      records: this.counts.records,
      bytes: this.counts.bytes,
      batches: this.counts.batches,
      skipped: { ...this.skipped },
      abortedRecords: 0,
      controlBatches: this.counts.controlBatches,
      fetches: this.counts.fetches,
      retries: this.counts.retries,
      metadataRefreshes: this.counts.metadataRefreshes,
      logStartResets: this.counts.logStartResets,
      notes,
    };
    if (this.unreadRanges.length > 0) stats.unreadRanges = this.unreadRanges.map((range) => ({ ...range }));
    if (this.options.resumeFrom) stats.resumedFrom = this.options.resumeFrom.nextOffset;
    return stats;
  }
}

/**
 * The records of `batch` at offsets in [from, end): a Fetch returns whole batches, so the batch
 * that holds a segment's first offset was delivered whole to the segment before it too, and each
 * of its records must count in one segment only (the counts of a split scan add up to one pass's).
 */
function recordsWithin(batch: DataBatch, from: bigint, end: bigint): number {
  if (batch.baseOffset >= from && batch.lastOffset < end) return batch.recordCount;
  // Deltas fit a number: lastOffsetDelta is an int32.
  const low = batch.baseOffset >= from ? 0 : Number(from - batch.baseOffset);
  const high = batch.lastOffset < end ? Infinity : Number(end - batch.baseOffset);
  let count = 0;
  for (let i = 0; i < batch.recordCount; i++) {
    const delta = batch.offsetDeltaAt(i);
    if (delta >= low && delta < high) count++;
  }
  return count;
}

function validatePartition(partition: unknown): number {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0) {
    throw invalidInput('partition', `expected an integer >= 0, got ${String(partition)}`, `Pass a partition number of ${CONSUMER_OFFSETS_TOPIC}.`);
  }
  return partition;
}

function positiveInteger(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw invalidInput(field, `expected an integer >= 1, got ${String(value)}`, 'Pass a byte count, e.g. 1048576.');
  }
  return value;
}
