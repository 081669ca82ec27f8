import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeControlBatch, encodeRecordBatch } from '../../../../../lambdas/core/record-batch/index.ts';
import { PartitionLog } from '../../../../../local/kafka/log/partition-log.ts';
import { kafkaErrorName } from '../../../../../lambdas/core/errors.ts';

const rec = (key: string | null, value: string | null, timestamp: number) => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp,
});

function batch(records: ReturnType<typeof rec>[], extra: Partial<Parameters<typeof encodeRecordBatch>[0]> = {}): Buffer {
  // Producers send base offset 0; the leader assigns the real ones.
  return encodeRecordBatch({ baseOffset: 0, records, ...extra });
}

function decodeAll(records: Buffer) {
  return decodeRecordBatches(records).batches.flatMap((b) => (b.kind === 'records' ? b.records() : []));
}

describe('PartitionLog', () => {
  it('assigns consecutive offsets from the log end and reads whole batches', () => {
    const log = new PartitionLog({ topic: 't', partition: 0 });
    const first = log.append(batch([rec('a', '1', 1000), rec('b', '2', 1001)]));
    const second = log.append(batch([rec('c', '3', 1002)]));
    expect([first.baseOffset, first.lastOffset, second.baseOffset]).toEqual([0, 1, 2]);
    expect(first.logAppendTime).toBe(-1);
    expect(log.logEndOffset).toBe(3);
    const read = log.read(1, 1 << 20);
    // the batch holding offset 1 starts at 0: whole batches are returned, as Kafka does
    expect(decodeAll(read.records).map((r) => Number(r.offset))).toEqual([0, 1, 2]);
    expect(read.highWatermark).toBe(3);
    expect(log.read(3, 100).records.length).toBe(0);
  });

  it('returns one oversized first batch whole, then cuts the log slice at maxBytes as Kafka does', () => {
    const log = new PartitionLog({ topic: 't', partition: 0 });
    const big = 'x'.repeat(500);
    log.append(batch([rec('a', big, 1)]));
    log.append(batch([rec('b', big, 2)]));
    const first = log.read(0, 10).records;
    expect(decodeAll(first)).toHaveLength(1);
    const cut = log.read(0, 1000).records;
    // the first batch whole, then the head of the second up to the limit: readers drop the partial batch
    expect(cut.length).toBe(1000);
    expect(cut.subarray(0, first.length).equals(first)).toBe(true);
    expect(decodeRecordBatches(cut)).toMatchObject({ truncatedTail: true, bytesConsumed: first.length });
    expect(decodeAll(cut)).toHaveLength(1);
    expect(decodeAll(log.read(0, 10_000).records)).toHaveLength(2);
  });

  it('applies LogAppendTime with a valid CRC and the append time as every record timestamp', () => {
    const log = new PartitionLog({ topic: '__consumer_offsets', partition: 0, timestampType: 'LogAppendTime' });
    const result = log.append(batch([rec('k', 'v', 5), rec('k2', 'v2', 6)]), { now: 1_700_000_000_000 });
    expect(result.logAppendTime).toBe(1_700_000_000_000);
    const decoded = decodeRecordBatches(log.read(0, 1 << 20).records).batches[0]!;
    expect(decoded.kind).toBe('records'); // a CRC mismatch would be 'corrupt'
    if (decoded.kind !== 'records') return;
    expect(decoded.timestampType).toBe('log-append-time');
    expect(decoded.records().map((r) => r.timestamp)).toEqual([1_700_000_000_000n, 1_700_000_000_000n]);
  });

  it('answers OFFSET_OUT_OF_RANGE outside [log start, log end] and after deleteRecordsBefore', () => {
    const log = new PartitionLog({ topic: 't', partition: 0 });
    log.append(batch([rec('a', '1', 1)]));
    log.append(batch([rec('b', '2', 2)]));
    expect(() => log.read(3, 100)).toThrow();
    try {
      log.read(5, 100);
    } catch (error) {
      expect(kafkaErrorName(error)).toBe('OFFSET_OUT_OF_RANGE');
    }
    log.deleteRecordsBefore(1);
    expect(log.logStartOffset).toBe(1);
    expect(() => log.read(0, 100)).toThrow(/outside \[1, 2\]/);
    expect(decodeAll(log.read(1, 100).records).map((r) => Number(r.offset))).toEqual([1]);
  });

  it('applies time retention by whole batches', () => {
    const log = new PartitionLog({ topic: 't', partition: 0 });
    log.append(batch([rec('a', '1', 100), rec('b', '2', 150)]));
    log.append(batch([rec('c', '3', 300)]));
    expect(log.deleteBatchesOlderThan(120)).toBe(0); // the first batch still holds a record at 150
    expect(log.deleteBatchesOlderThan(200)).toBe(2);
    expect(log.deleteBatchesOlderThan(1000)).toBe(3);
    expect(log.read(3, 100).records.length).toBe(0);
  });

  it('finds offsets by timestamp inside CreateTime batches, and null past the newest record', () => {
    const log = new PartitionLog({ topic: 't', partition: 0 });
    log.append(batch([rec('a', '1', 100), rec('b', '2', 200)]));
    log.append(batch([rec('c', '3', 300)]));
    expect(log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 100 });
    expect(log.offsetForTimestamp(150)).toEqual({ offset: 1, timestamp: 200 });
    expect(log.offsetForTimestamp(201)).toEqual({ offset: 2, timestamp: 300 });
    expect(log.offsetForTimestamp(301)).toBeNull();
    expect(log.maxTimestampEntry()).toEqual({ offset: 2, timestamp: 300 });
  });

  it('tracks open transactions for the LSO and indexes aborted ones for read_committed', () => {
    const log = new PartitionLog({ topic: 't', partition: 0 });
    const txn = { producerId: 7, producerEpoch: 0, isTransactional: true };
    log.append(batch([rec('a', 'plain', 1)]));
    log.append(batch([rec('b', 'in-txn', 2)], txn));
    expect(log.lastStableOffset).toBe(1);
    const committedView = log.read(0, 1 << 20, 'read_committed');
    expect(decodeAll(committedView.records).map((r) => Number(r.offset))).toEqual([0]);
    expect(committedView.lastStableOffset).toBe(1);
    log.append(encodeControlBatch({ baseOffset: 0, producerId: 7, producerEpoch: 0, type: 'ABORT', timestamp: 3 }));
    expect(log.lastStableOffset).toBe(3);
    const after = log.read(0, 1 << 20, 'read_committed');
    expect(after.abortedTransactions).toEqual([{ producerId: 7, firstOffset: 1, lastOffset: 2 }]);
    expect(log.read(0, 1 << 20, 'read_uncommitted').abortedTransactions).toEqual([]);
    log.append(batch([rec('c', 'txn2', 4)], { ...txn, producerId: 8 }));
    log.append(encodeControlBatch({ baseOffset: 0, producerId: 8, producerEpoch: 0, type: 'COMMIT', timestamp: 5 }));
    expect(log.lastStableOffset).toBe(5);
    expect(log.abortedBetween(3, 10)).toEqual([]);
  });

  it('compacts to the newest record per key, keeps tombstones and markers, drops aborted data, leaves gaps', () => {
    const log = new PartitionLog({ topic: 't', partition: 0 });
    log.append(batch([rec('a', '1', 1), rec('b', '1', 1), rec('c', '1', 1)])); // 0,1,2
    log.append(batch([rec('a', '2', 2), rec('b', null, 2)])); // 3,4 (b deleted)
    log.append(batch([rec('d', 'aborted', 3)], { producerId: 9, producerEpoch: 0, isTransactional: true })); // 5
    log.append(encodeControlBatch({ baseOffset: 0, producerId: 9, producerEpoch: 0, type: 'ABORT', timestamp: 4 })); // 6
    const result = log.compact();
    expect(result).toMatchObject({ recordsBefore: 7, recordsAfter: 4, batchesBefore: 4, batchesAfter: 3 });
    const batches = decodeRecordBatches(log.read(0, 1 << 20).records).batches;
    expect(batches.every((b) => b.kind === 'records')).toBe(true);
    const survivors = batches.flatMap((b) => (b.kind === 'records' && !b.isControl ? b.records() : []));
    expect(survivors.map((r) => [Number(r.offset), r.key?.toString(), r.value?.toString() ?? null])).toEqual([
      [2, 'c', '1'],
      [3, 'a', '2'],
      [4, 'b', null],
    ]);
    expect(log.logEndOffset).toBe(7);
    expect(decodeAll(log.read(1, 1 << 20).records)[0]!.offset).toBe(2n);
  });

  it('wakes append listeners and rejects malformed record sets without appending', () => {
    const log = new PartitionLog({ topic: 't', partition: 0 });
    const seen: number[] = [];
    const off = log.onAppend((_l, r) => seen.push(r.baseOffset));
    log.append(batch([rec('a', '1', 1)]));
    off();
    log.append(batch([rec('b', '1', 1)]));
    expect(seen).toEqual([0]);
    expect(() => log.append(Buffer.from([1, 2, 3]))).toThrow(/truncated/);
    expect(log.logEndOffset).toBe(2);
  });
});
