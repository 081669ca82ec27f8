import { crc32c } from '../../../lambdas/core/record-batch/crc32c.ts';
import { decodeRecordBatches } from '../../../lambdas/core/record-batch/decode.ts';
import { ATTRIBUTES_OFFSET, ATTR_LOG_APPEND_TIME, CRC_OFFSET } from './batch-header.ts';
import type { StoredBatch } from './partition-log.ts';

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
