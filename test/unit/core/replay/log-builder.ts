/**
 * Builds a `__consumer_offsets` partition log in memory, batch by batch, with the real record
 * encoders and the RecordBatch writer, and replays it.
 */
import {
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../../../lambdas/core/offsets-records/index.ts';
import type { AbortedTransaction } from '../../../../lambdas/core/ports.ts';
import { decodeRecordBatches, encodeControlBatch, encodeRecordBatch } from '../../../../lambdas/core/record-batch/index.ts';
import type { RecordToEncode } from '../../../../lambdas/core/record-batch/index.ts';
import { OffsetsLogReplay } from '../../../../lambdas/core/replay/index.ts';
import type { ReplayOptions } from '../../../../lambdas/core/replay/index.ts';

export const T0 = 1_700_000_000_000n;

export function commit(
  group: string,
  topic: string,
  partition: number,
  offset: bigint,
  options: { timestamp?: bigint; metadata?: string; leaderEpoch?: number; valueVersion?: number } = {},
): RecordToEncode {
  const timestamp = options.timestamp ?? T0;
  return {
    key: encodeOffsetCommitKey({ group, topic, partition }),
    value: encodeOffsetCommitValue(
      { offset, leaderEpoch: options.leaderEpoch ?? 3, metadata: options.metadata ?? '', commitTimestamp: timestamp },
      options.valueVersion ?? 3,
    ),
    timestamp,
  };
}

export function tombstone(group: string, topic: string, partition: number, timestamp = T0): RecordToEncode {
  return { key: encodeOffsetCommitKey({ group, topic, partition }), value: null, timestamp };
}

export function groupMetadata(group: string, generation: number, timestamp = T0): RecordToEncode {
  return {
    key: encodeGroupMetadataKey(group),
    value: encodeGroupMetadataValue(
      { protocolType: 'consumer', generation, protocol: 'range', leader: null, currentStateTimestamp: timestamp, members: [] },
      3,
    ),
    timestamp,
  };
}

export function groupMetadataTombstone(group: string, timestamp = T0): RecordToEncode {
  return { key: encodeGroupMetadataKey(group), value: null, timestamp };
}

export function rawRecord(keyHex: string, valueHex: string | null, timestamp = T0): RecordToEncode {
  return { key: Buffer.from(keyHex, 'hex'), value: valueHex === null ? null : Buffer.from(valueHex, 'hex'), timestamp };
}

export class LogBuilder {
  nextOffset: bigint;
  readonly frames: Buffer[] = [];

  constructor(startOffset = 0n) {
    this.nextOffset = startOffset;
  }

  /** A plain (non-transactional) batch, as the group coordinator writes for OffsetCommit. */
  plain(records: RecordToEncode[], options: { compression?: 'none' | 'gzip'; lastOffsetDelta?: number } = {}): bigint {
    return this.push(encodeRecordBatch({ baseOffset: this.nextOffset, records, ...options }), records, options.lastOffsetDelta);
  }

  /** A TxnOffsetCommit batch of one producer. */
  transactional(producerId: bigint, records: RecordToEncode[]): bigint {
    const frame = encodeRecordBatch({
      baseOffset: this.nextOffset,
      records,
      producerId,
      producerEpoch: 0,
      baseSequence: 0,
      isTransactional: true,
    });
    return this.push(frame, records);
  }

  marker(producerId: bigint, type: 'COMMIT' | 'ABORT', timestamp = T0): bigint {
    const frame = encodeControlBatch({ baseOffset: this.nextOffset, producerId, producerEpoch: 0, type, coordinatorEpoch: 5, timestamp });
    return this.push(frame, [{ key: null, value: null, timestamp }]);
  }

  /** Offsets removed by compaction (or never handed out): the next batch starts further on. */
  gap(count: bigint): void {
    this.nextOffset += count;
  }

  buffer(): Buffer {
    return Buffer.concat(this.frames);
  }

  private push(frame: Buffer, records: RecordToEncode[], lastOffsetDelta?: number): bigint {
    const baseOffset = this.nextOffset;
    const last = lastOffsetDelta ?? records.reduce((max, r, i) => Math.max(max, r.offsetDelta ?? i), 0);
    this.frames.push(frame);
    this.nextOffset = baseOffset + BigInt(last) + 1n;
    return baseOffset;
  }
}

export function replay(
  log: Buffer,
  options: ReplayOptions = {},
  abortedTransactions?: AbortedTransaction[],
): OffsetsLogReplay {
  const result = new OffsetsLogReplay(options);
  for (const batch of decodeRecordBatches(log).batches) result.apply(batch, abortedTransactions);
  return result;
}

/** group -> "topic/partition" -> offset, as decimal strings, for compact expectations. */
export function offsetsByGroup(result: OffsetsLogReplay): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const group of result.groups()) {
    const entries: Record<string, string> = {};
    for (const topic of result.committedOffsets(group)) {
      for (const p of topic.partitions) entries[`${topic.topic}/${p.partition}`] = p.offset.toString();
    }
    out[group] = entries;
  }
  return out;
}
