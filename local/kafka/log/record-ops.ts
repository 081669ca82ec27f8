import { crc32c } from '../../../lambdas/core/record-batch/crc32c.ts';
import { decodeRecordBatches } from '../../../lambdas/core/record-batch/decode.ts';
import { encodeRecordBatch, type RecordToEncode } from '../../../lambdas/core/record-batch/encode.ts';
import {
  ATTRIBUTES_OFFSET,
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_LOG_APPEND_TIME,
  ATTR_TRANSACTIONAL,
  CRC_OFFSET,
  readBatchHeader,
  type AbortedTxn,
  type StoredBatch,
} from './batch-header.ts';

/**
 * LogAppendTime, as a broker applies it: set the timestamp-type bit, put the append time into
 * maxTimestamp (records then read as that time) and recompute the CRC, which covers the
 * attributes onwards. The base offset is outside the CRC, so patching it needs nothing more.
 */
export function patchLogAppendTime(frame: Buffer, appendTime: number): void {
  frame.writeInt16BE(frame.readInt16BE(ATTRIBUTES_OFFSET) | ATTR_LOG_APPEND_TIME, ATTRIBUTES_OFFSET);
  frame.writeBigInt64BE(BigInt(appendTime), 35);
  frame.writeUInt32BE(crc32c(frame, ATTRIBUTES_OFFSET, frame.length), CRC_OFFSET);
}

/**
 * The first record of `batch` at or after `minOffset` whose timestamp is >= `timestamp`
 * (LogAppendTime batches: every record carries the batch's max timestamp).
 */
export function firstOffsetAtOrAfter(
  batch: StoredBatch,
  timestamp: number,
  minOffset: number,
): { offset: number; timestamp: number } | null {
  if ((batch.header.attributes & ATTR_LOG_APPEND_TIME) !== 0) {
    const offset = Math.max(batch.baseOffset, minOffset);
    return offset <= batch.lastOffset ? { offset, timestamp: batch.header.maxTimestamp } : null;
  }
  const decoded = decodeRecordBatches(batch.frame, { verifyCrc: false }).batches[0];
  if (decoded === undefined || decoded.kind !== 'records') return null;
  for (let i = 0; i < decoded.recordCount; i++) {
    const offset = batch.baseOffset + decoded.offsetDeltaAt(i);
    const ts = decoded.timestampMsAt(i);
    if (offset >= minOffset && ts >= timestamp) return { offset, timestamp: ts };
  }
  return null;
}

function isAborted(batch: StoredBatch, aborted: readonly AbortedTxn[]): boolean {
  if ((batch.header.attributes & ATTR_TRANSACTIONAL) === 0) return false;
  const pid = batch.header.producerId;
  return aborted.some((t) => t.producerId === pid && t.firstOffset <= batch.baseOffset && batch.baseOffset <= t.lastOffset);
}

/**
 * The log cleaner's pass over whole batches: the newest record per key wins (a tombstone
 * included, so deletes stay visible), aborted transactional data and emptied batches go,
 * control batches and keyless records stay. Surviving records keep their offsets, so the
 * log has gaps; a batch that lost records is re-encoded with its original header values.
 */
export function compactBatches(batches: readonly StoredBatch[], aborted: readonly AbortedTxn[]): StoredBatch[] {
  const decoded = batches.map((b) => {
    if ((b.header.attributes & ATTR_CONTROL) !== 0 || isAborted(b, aborted)) return null;
    const entry = decodeRecordBatches(b.frame, { verifyCrc: false }).batches[0];
    return entry !== undefined && entry.kind === 'records' ? entry : null;
  });
  const latest = new Map<string, number>();
  decoded.forEach((d, i) => {
    if (d === null) return;
    const base = batches[i]!.baseOffset;
    for (let r = 0; r < d.recordCount; r++) {
      const key = d.keyAt(r);
      if (key !== null) latest.set(key.toString('latin1'), base + d.offsetDeltaAt(r));
    }
  });
  const out: StoredBatch[] = [];
  batches.forEach((batch, i) => {
    const d = decoded[i];
    if (d === null || d === undefined) {
      // Control markers stay; aborted data goes; frames we cannot read are kept untouched.
      const control = (batch.header.attributes & ATTR_CONTROL) !== 0;
      if (control || !isAborted(batch, aborted)) out.push(batch);
      return;
    }
    const keep: RecordToEncode[] = [];
    for (let r = 0; r < d.recordCount; r++) {
      const key = d.keyAt(r);
      const offsetDelta = d.offsetDeltaAt(r);
      if (key !== null && latest.get(key.toString('latin1')) !== batch.baseOffset + offsetDelta) continue;
      keep.push({
        key: key === null ? null : Buffer.from(key),
        value: d.valueAt(r) === null ? null : Buffer.from(d.valueAt(r)!),
        timestamp: d.timestampMsAt(r),
        offsetDelta,
        headers: d.headersAt(r).map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })),
      });
    }
    if (keep.length === d.recordCount) {
      out.push(batch);
      return;
    }
    if (keep.length === 0) return;
    const h = batch.header;
    const frame = encodeRecordBatch({
      baseOffset: batch.baseOffset,
      records: keep,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      isTransactional: (h.attributes & ATTR_TRANSACTIONAL) !== 0,
      compression: recompressAs(h.attributes & ATTR_COMPRESSION_MASK),
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      timestampType: (h.attributes & ATTR_LOG_APPEND_TIME) !== 0 ? 'log-append-time' : 'create-time',
      lastOffsetDelta: h.lastOffsetDelta,
      maxTimestamp: h.maxTimestamp,
    });
    out.push({ baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, frame, header: readBatchHeader(frame) });
  });
  return out;
}

/**
 * The cleaner keeps a batch's codec, as Kafka's does; zstd needs a compressor the log does not
 * hold, so a compacted zstd batch is rewritten uncompressed (same records, offsets and header).
 */
function recompressAs(codec: number): 'none' | 'gzip' | 'snappy' | 'lz4' {
  return codec === 1 ? 'gzip' : codec === 2 ? 'snappy' : codec === 3 ? 'lz4' : 'none';
}
