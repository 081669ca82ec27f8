/**
 * How many segments a shard's window is split into: its size in bytes over a target per segment.
 * The broker does not tell a partition's bytes per offset range, so one Fetch at the window's
 * start samples it (bytes of the whole batches returned over the offsets they span) and the
 * window's offset span is scaled by it. Compacted logs have gaps in their offsets, which the
 * sample sees too; the count only sizes the work, the merge is exact whatever it is.
 */
import { invalidInput } from '../errors.ts';
import type { SegmentPlan, ScanWindow } from '../model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../ports.ts';
import type { KafkaPort } from '../ports.ts';
import { resolveScanWindow } from '../scanner/index.ts';
import { planShardSegments } from './shard-scan.ts';
import { resolveWindow } from './validate.ts';

/** Segments per shard at most: past this, more parallel readers only load the one troubled broker. */
export const MAX_SEGMENTS_PER_SHARD = 64;

const SAMPLE_BYTES = 1024 * 1024;
/** RecordBatch v2: baseOffset int64, batchLength int32 (bytes after it), ..., lastOffsetDelta int32 at byte 23. */
const BATCH_HEADER_BYTES = 27;

export interface SizedSegmentPlan {
  plan: SegmentPlan;
  /** Bytes of the window as sampled (0 for an empty window). */
  estimatedBytes: number;
}

/** Bytes per offset in the whole batches of one record set, or null when it holds none. */
export function bytesPerOffset(records: Buffer, firstOffset: bigint): number | null {
  let at = 0;
  let lastOffset: bigint | null = null;
  while (at + BATCH_HEADER_BYTES <= records.length) {
    const frame = 12 + records.readInt32BE(at + 8);
    if (frame < BATCH_HEADER_BYTES || at + frame > records.length) break;
    lastOffset = records.readBigInt64BE(at) + BigInt(records.readInt32BE(at + 23));
    at += frame;
  }
  if (lastOffset === null || lastOffset < firstOffset) return null;
  return at / Number(lastOffset - firstOffset + 1n);
}

/** Splits the window so that each segment holds about `targetBytes` (at least 1, at most MAX_SEGMENTS_PER_SHARD). */
export async function planShardSegmentsBySize(port: KafkaPort, partition: number, window: ScanWindow, targetBytes: number): Promise<SizedSegmentPlan> {
  if (!Number.isFinite(targetBytes) || targetBytes < 1) {
    throw invalidInput('segmentBytes', `expected a positive number of bytes, got ${String(targetBytes)}`, 'Set recovery:segmentBytes to e.g. 268435456 (256 MiB).');
  }
  const range = await resolveScanWindow(port, partition, resolveWindow(window));
  const span = range.end - range.start;
  if (span <= 0n) return { plan: await planShardSegments(port, partition, window, 1), estimatedBytes: 0 };
  const sample = await port.fetch({ topic: CONSUMER_OFFSETS_TOPIC, partition, offset: range.start, maxBytes: SAMPLE_BYTES, isolation: 'read_uncommitted' });
  const perOffset = bytesPerOffset(sample.records, range.start);
  // Nothing whole in the sample (a batch over 1 MiB): at least the sample's size per offset.
  const estimatedBytes = Math.round((perOffset ?? sample.records.length) * Number(span));
  const count = Math.min(MAX_SEGMENTS_PER_SHARD, Math.max(1, Math.ceil(estimatedBytes / targetBytes)));
  return { plan: await planShardSegments(port, partition, window, count), estimatedBytes };
}
