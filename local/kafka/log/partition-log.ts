import { clusterError } from '../protocol/error-codes.ts';
import {
  ATTR_LOG_APPEND_TIME,
  isControlBatch,
  isTransactionalBatch,
  controlTypeOf,
  splitBatches,
  type AbortedTxn,
  type StoredBatch,
} from './batch-header.ts';
import { patchLogAppendTime, firstOffsetAtOrAfter, compactBatches } from './record-ops.ts';

/**
 * One partition's log: RecordBatch v2 frames in offset order, with the indexes Kafka keeps
 * (offset, time, producer/transaction state). Offsets and timestamps are JavaScript numbers
 * here (a local log never nears 2^53); handlers convert to the protocol's bigint at the edge.
 * Replication is simulated: the high watermark is the log end offset.
 */
export type IsolationLevel = 'read_uncommitted' | 'read_committed';
export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface AppendOptions {
  /** overrides the log's timestamp type for this append */
  timestampType?: TimestampType;
  /** written into each batch's partitionLeaderEpoch field */
  leaderEpoch?: number;
  /** append time in epoch ms (default Date.now()) */
  now?: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** -1 unless LogAppendTime was applied */
  logAppendTime: number;
  logStartOffset: number;
  recordCount: number;
}

export interface ReadResult {
  /** whole batches, concatenated */
  records: Buffer;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** read_committed only: aborted transactions overlapping the returned range */
  abortedTransactions: AbortedTxn[];
}

export interface PartitionLogOptions {
  topic: string;
  partition: number;
  timestampType?: TimestampType;
}

export interface CompactionResult {
  recordsBefore: number;
  recordsAfter: number;
  batchesBefore: number;
  batchesAfter: number;
}

export type AppendListener = (log: PartitionLog, result: AppendResult) => void;

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  timestampType: TimestampType;

  private batches: StoredBatch[] = [];
  /** running maximum of batch max timestamps: the time index Kafka keeps, searchable by bisection */
  private runningMaxTimestamp: number[] = [];
  private startOffset = 0;
  private endOffset = 0;
  private byteSize = 0;
  private servedBytes = 0;
  /** producerId -> first offset of its open transaction */
  private readonly openTransactions = new Map<number, number>();
  private aborted: AbortedTxn[] = [];
  private readonly listeners = new Set<AppendListener>();

  constructor(options: PartitionLogOptions) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.timestampType = options.timestampType ?? 'CreateTime';
  }

  get logStartOffset(): number {
    return this.startOffset;
  }
  get logEndOffset(): number {
    return this.endOffset;
  }
  get highWatermark(): number {
    return this.endOffset;
  }
  /** the first offset of the oldest open transaction, else the high watermark */
  get lastStableOffset(): number {
    let lso = this.endOffset;
    for (const first of this.openTransactions.values()) if (first < lso) lso = first;
    return lso;
  }
  get sizeInBytes(): number {
    return this.byteSize;
  }
  get batchCount(): number {
    return this.batches.length;
  }
  /** Record bytes Fetch has answered from this log so far: how much of it clients read, and how often. */
  get fetchedBytes(): number {
    return this.servedBytes;
  }
  countFetched(bytes: number): void {
    this.servedBytes += bytes;
  }

  /**
   * Appends the frames of a record set, assigning consecutive offsets from the log end (the
   * client's base offsets are ignored, as a leader does). Throws KAFKA_ERROR CORRUPT_MESSAGE on
   * a malformed record set; nothing is appended then.
   */
  append(records: Buffer, options: AppendOptions = {}): AppendResult {
    let parsed: ReturnType<typeof splitBatches>;
    try {
      parsed = splitBatches(records);
    } catch (error) {
      throw clusterError('CORRUPT_MESSAGE', `${this.name()}: ${(error as Error).message}`);
    }
    if (parsed.length === 0) throw clusterError('CORRUPT_MESSAGE', `${this.name()}: empty record set`);
    const timestampType = options.timestampType ?? this.timestampType;
    const now = options.now ?? Date.now();
    const baseOffset = this.endOffset;
    let recordCount = 0;
    for (const { frame: incoming, header } of parsed) {
      // Copy: the request buffer is reused by the connection, and the log owns its bytes.
      const frame = Buffer.from(incoming);
      const offset = this.endOffset;
      frame.writeBigInt64BE(BigInt(offset), 0);
      if (options.leaderEpoch !== undefined) frame.writeInt32BE(options.leaderEpoch, 12);
      let stored = header;
      if (timestampType === 'LogAppendTime' && !isControlBatch(header.attributes)) {
        patchLogAppendTime(frame, now);
        stored = { ...header, attributes: header.attributes | ATTR_LOG_APPEND_TIME, maxTimestamp: now };
      }
      stored = { ...stored, baseOffset: offset };
      this.push({ baseOffset: offset, lastOffset: offset + header.lastOffsetDelta, frame, header: stored });
      recordCount += header.recordCount;
    }
    const result: AppendResult = {
      baseOffset,
      lastOffset: this.endOffset - 1,
      logAppendTime: timestampType === 'LogAppendTime' ? now : -1,
      logStartOffset: this.startOffset,
      recordCount,
    };
    for (const listener of this.listeners) listener(this, result);
    return result;
  }

  private push(batch: StoredBatch): void {
    const { header } = batch;
    this.batches.push(batch);
    const previousMax = this.runningMaxTimestamp[this.runningMaxTimestamp.length - 1] ?? -Infinity;
    this.runningMaxTimestamp.push(Math.max(previousMax, header.maxTimestamp));
    this.endOffset = batch.lastOffset + 1;
    this.byteSize += batch.frame.length;
    this.trackTransactions(batch);
  }

  private trackTransactions(batch: StoredBatch): void {
    const { attributes, producerId } = batch.header;
    if (!isTransactionalBatch(attributes)) return;
    if (isControlBatch(attributes)) {
      const first = this.openTransactions.get(producerId);
      this.openTransactions.delete(producerId);
      if (controlTypeOf(batch.frame) === 0 && first !== undefined) {
        this.aborted.push({ producerId, firstOffset: first, lastOffset: batch.baseOffset });
      }
    } else if (!this.openTransactions.has(producerId)) {
      this.openTransactions.set(producerId, batch.baseOffset);
    }
  }

  /** Index of the first batch whose last offset is >= offset (batches.length when none). */
  private batchIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Whole batches from the one holding `offset`, up to `maxBytes` (the first batch is returned
   * even when larger, as Kafka does so that a consumer always makes progress). read_committed
   * stops at the last stable offset and lists the aborted transactions in the returned range.
   * Throws KAFKA_ERROR OFFSET_OUT_OF_RANGE outside [logStartOffset, logEndOffset].
   */
  read(offset: number, maxBytes: number, isolation: IsolationLevel = 'read_uncommitted'): ReadResult {
    if (offset < this.startOffset || offset > this.endOffset) {
      throw clusterError('OFFSET_OUT_OF_RANGE', `${this.name()}: offset ${offset} is outside [${this.startOffset}, ${this.endOffset}]`);
    }
    const lastStableOffset = this.lastStableOffset;
    const limit = isolation === 'read_committed' ? lastStableOffset : this.endOffset;
    const frames: Buffer[] = [];
    let bytes = 0;
    let lastReturned = offset - 1;
    for (let i = this.batchIndexFor(offset); i < this.batches.length; i++) {
      const batch = this.batches[i]!;
      if (batch.baseOffset >= limit) break;
      if (frames.length > 0 && bytes + batch.frame.length > maxBytes) {
        // Kafka sends the log slice up to the byte limit, so the trailing batch arrives cut; clients drop it.
        if (bytes < maxBytes) {
          frames.push(batch.frame.subarray(0, maxBytes - bytes));
          bytes = maxBytes;
        }
        break;
      }
      frames.push(batch.frame);
      bytes += batch.frame.length;
      lastReturned = batch.lastOffset;
      if (bytes >= maxBytes) break;
    }
    const abortedTransactions =
      isolation === 'read_committed' && frames.length > 0 ? this.abortedBetween(offset, lastReturned) : [];
    return {
      records: frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes),
      highWatermark: this.endOffset,
      lastStableOffset,
      logStartOffset: this.startOffset,
      abortedTransactions,
    };
  }

  /** Aborted transactions whose range overlaps [from, to]. */
  abortedBetween(from: number, to: number): AbortedTxn[] {
    return this.aborted.filter((t) => t.lastOffset >= from && t.firstOffset <= to);
  }

  /** The open transactions: producerId -> first offset. */
  openTransactionStarts(): ReadonlyMap<number, number> {
    return this.openTransactions;
  }

  /** Stored batches from the one holding `offset` on, in order (a coordinator replays its shard with this). */
  *batchesFrom(offset = this.startOffset): IterableIterator<StoredBatch> {
    for (let i = this.batchIndexFor(offset); i < this.batches.length; i++) yield this.batches[i]!;
  }

  /**
   * ListOffsets by timestamp: the first offset whose record timestamp is >= `timestamp`, with
   * that record's timestamp; null when no record is that recent (Kafka then answers the log end
   * with timestamp -1 at v1+).
   */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    let lo = 0;
    let hi = this.runningMaxTimestamp.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.runningMaxTimestamp[mid]! < timestamp) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.batches.length; i++) {
      const batch = this.batches[i]!;
      if (batch.header.maxTimestamp < timestamp || isControlBatch(batch.header.attributes)) continue;
      const found = firstOffsetAtOrAfter(batch, timestamp, this.startOffset);
      if (found !== null) return found;
    }
    return null;
  }

  /** ListOffsets MAX_TIMESTAMP (-3): the first record carrying the largest timestamp, or null for an empty log. */
  maxTimestampEntry(): { offset: number; timestamp: number } | null {
    const max = this.runningMaxTimestamp[this.runningMaxTimestamp.length - 1];
    return max === undefined ? null : this.offsetForTimestamp(max);
  }

  /** Moves the log start forward (DeleteRecords, retention); whole batches below it are dropped. */
  deleteRecordsBefore(offset: number): void {
    if (offset > this.endOffset) {
      throw clusterError('OFFSET_OUT_OF_RANGE', `${this.name()}: cannot delete before ${offset}, the log ends at ${this.endOffset}`);
    }
    if (offset <= this.startOffset) return;
    this.startOffset = offset;
    const keepFrom = this.batchIndexFor(offset);
    this.replaceBatches(this.batches.slice(keepFrom));
    this.aborted = this.aborted.filter((t) => t.lastOffset >= offset);
  }

  /**
   * Time retention (retention.ms): whole batches whose newest timestamp is older than
   * `olderThan` (epoch ms) go from the front of the log, as Kafka deletes whole segments.
   * Returns the new log start offset.
   */
  deleteBatchesOlderThan(olderThan: number): number {
    let first = 0;
    while (first < this.batches.length && this.batches[first]!.header.maxTimestamp < olderThan) first++;
    const next = this.batches[first];
    this.deleteRecordsBefore(next === undefined ? this.endOffset : Math.max(next.baseOffset, this.startOffset));
    return this.startOffset;
  }

  /**
   * Compaction on demand, as the log cleaner does for cleanup.policy=compact: for every key only
   * the record with the highest offset survives (tombstones included), records of aborted
   * transactions go, control batches stay, offsets keep their gaps, and batches are rewritten.
   */
  compact(): CompactionResult {
    const before = this.batches;
    const rewritten = compactBatches(before, this.aborted);
    this.replaceBatches(rewritten);
    return {
      recordsBefore: before.reduce((n, b) => n + b.header.recordCount, 0),
      recordsAfter: rewritten.reduce((n, b) => n + b.header.recordCount, 0),
      batchesBefore: before.length,
      batchesAfter: rewritten.length,
    };
  }

  private replaceBatches(batches: StoredBatch[]): void {
    this.batches = batches;
    this.runningMaxTimestamp = [];
    this.byteSize = 0;
    let running = -Infinity;
    for (const b of batches) {
      running = Math.max(running, b.header.maxTimestamp);
      this.runningMaxTimestamp.push(running);
      this.byteSize += b.frame.length;
    }
  }

  /** Calls `listener` after every append (Fetch long polls wake up on it); returns the unsubscribe function. */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many append listeners wait on this log (a parked long poll is one): lets callers wait by condition. */
  get appendListenerCount(): number {
    return this.listeners.size;
  }

  private name(): string {
    return `${this.topic}-${this.partition}`;
  }
}
