import { describe, expect, it } from 'vitest';
import { RecoveryError } from '../../../../lambdas/core/errors.ts';
import type { ScanPosition } from '../../../../lambdas/core/model.ts';
import { OffsetsLogReplay } from '../../../../lambdas/core/replay/index.ts';
import { scanOffsetsPartition } from '../../../../lambdas/core/scanner/index.ts';
import type { ScanOptions, ScanProgress } from '../../../../lambdas/core/scanner/index.ts';
import { InMemoryKafka } from '../../../support/in-memory-kafka.ts';
import { groupMetadata, offsetCommit, offsetTombstone, unknownTypeRecord } from '../../../support/offsets-records.ts';

const P = 3;
const FAST_RETRY = { attempts: 3, initialDelayMs: 1, maxDelayMs: 4 };

function setup(offsetsPartitions = 10): InMemoryKafka {
  return new InMemoryKafka({ brokers: 3, offsetsPartitions });
}

async function scan(kafka: InMemoryKafka, options: Partial<ScanOptions> = {}, replay = new OffsetsLogReplay()) {
  const stats = await scanOffsetsPartition(kafka, { partition: P, retry: FAST_RETRY, ...options }, replay);
  return { stats, replay };
}

function offsetOf(replay: OffsetsLogReplay, group: string, topic: string, partition: number): bigint | undefined {
  return replay.committedOffset(group, topic, partition)?.offset;
}

/** Ten groups x two partitions, each committed five times with growing offsets, one commit per batch. */
function writeBusyLog(kafka: InMemoryKafka): void {
  const log = kafka.offsetsLog(P);
  for (let round = 1n; round <= 5n; round++) {
    for (let g = 0; g < 10; g++) {
      log.batch([
        offsetCommit({ group: `g${g}`, topic: 'orders', partition: 0, offset: round * 100n + BigInt(g) }),
        offsetCommit({ group: `g${g}`, topic: 'orders', partition: 1, offset: round * 1000n + BigInt(g) }),
      ]);
    }
  }
}

function expectBusyLogResult(replay: OffsetsLogReplay): void {
  expect(replay.groups()).toEqual(['g0', 'g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7', 'g8', 'g9']);
  for (let g = 0; g < 10; g++) {
    expect(offsetOf(replay, `g${g}`, 'orders', 0)).toBe(500n + BigInt(g));
    expect(offsetOf(replay, `g${g}`, 'orders', 1)).toBe(5000n + BigInt(g));
  }
}

describe('scanOffsetsPartition: reading the log', () => {
  it('reads every batch from the log start to the end captured at the start, latest commit winning', async () => {
    const kafka = setup();
    writeBusyLog(kafka);
    const { stats, replay } = await scan(kafka, { maxBytesPerFetch: 1024 });
    expectBusyLogResult(replay);
    expect(stats).toMatchObject({ partition: P, startOffset: '0', endOffset: '100', nextOffset: '100', complete: true, records: 100, batches: 50 });
    expect(stats.fetches).toBeGreaterThan(1);
    expect(stats.bytes).toBe(kafka.log('__consumer_offsets', P).batches.reduce((sum, b) => sum + b.bytes.length, 0));
  });

  it('only reads, never joins, commits or creates anything', async () => {
    const kafka = setup();
    writeBusyLog(kafka);
    await scan(kafka);
    const kinds = new Set(kafka.calls.map((c) => c.split(':')[0]));
    expect([...kinds].sort()).toEqual(['fetch', 'listOffsets', 'metadata']);
  });

  it('an empty partition is a complete scan of nothing', async () => {
    const kafka = setup();
    const { stats, replay } = await scan(kafka);
    expect(stats).toMatchObject({ startOffset: '0', endOffset: '0', complete: true, records: 0, fetches: 0 });
    expect(replay.groups()).toEqual([]);
  });

  it('stops at the end captured when it started, even while commits keep arriving', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    for (let i = 0n; i < 5n; i++) log.record(offsetCommit({ group: 'g', topic: 't', partition: 0, offset: i }));
    kafka.faults.beforeFetch = () => {
      log.record(offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 999n }));
    };
    const { stats, replay } = await scan(kafka, { maxBytesPerFetch: 100 });
    expect(stats.endOffset).toBe('5');
    expect(stats.complete).toBe(true);
    expect(offsetOf(replay, 'g', 't', 0)).toBe(4n);
  });

  it('continues after a batch at lastOffset + 1, across compaction gaps and batches whose tail was compacted away', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    log.batch([offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 1n })]); // offset 0
    // Records 1-3 compacted away; this batch starts at 4, keeps deltas 0 and 2, and its last offset (9) is gone.
    log.batch(
      [offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 2n }), offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 3n })],
      { skipOffsets: 3n, offsetDeltas: [0, 2], lastOffsetDelta: 5 },
    );
    log.batch([offsetCommit({ group: 'g', topic: 't', partition: 2, offset: 4n })], { skipOffsets: 100n }); // offset 110
    const fetchedAt: bigint[] = [];
    kafka.faults.beforeFetch = (request) => fetchedAt.push(request.offset);
    kafka.faults.sizeLimit = 'whole';
    const oneBatch = kafka.log('__consumer_offsets', P).batches[1]!.bytes.length;
    const { stats, replay } = await scan(kafka, { maxBytesPerFetch: oneBatch });
    // After offset 0 the scan asks for 1 (compacted away: the broker answers with the batch at 4),
    // then for 10: the batch's last offset + 1, not the last surviving record (6) + 1.
    expect(fetchedAt).toEqual([0n, 1n, 10n]);
    expect(stats).toMatchObject({ endOffset: '111', nextOffset: '111', complete: true, batches: 3, records: 4 });
    expect(offsetOf(replay, 'g', 't', 0)).toBe(3n);
    expect(offsetOf(replay, 'g', 't', 1)).toBe(2n);
    expect(offsetOf(replay, 'g', 't', 2)).toBe(4n);
  });

  it('reads gzip-compressed batches like plain ones', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    log.batch([offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 1n }), offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 2n })], {
      compression: 'gzip',
    });
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 3n }), { compression: 'gzip' });
    const { stats, replay } = await scan(kafka);
    expect(stats).toMatchObject({ complete: true, records: 3, skipped: {} });
    expect(offsetOf(replay, 'g', 't', 0)).toBe(3n);
    expect(offsetOf(replay, 'g', 't', 1)).toBe(2n);
  });

  it('handles log offsets beyond 2^31 and 2^53 and committed offsets up to 2^63 - 2 without precision loss', async () => {
    const kafka = setup();
    const partitionLog = kafka.log('__consumer_offsets', P);
    const base = 2n ** 53n + 1n;
    partitionLog.logStart = base;
    partitionLog.logEnd = base;
    const log = kafka.offsetsLog(P);
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 2n ** 31n + 5n }));
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 2n ** 53n + 1n }));
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 2, offset: 2n ** 63n - 2n }));
    const { stats, replay } = await scan(kafka);
    expect(stats).toMatchObject({ startOffset: base.toString(), endOffset: (base + 3n).toString(), complete: true });
    expect(offsetOf(replay, 'g', 't', 0)).toBe(2147483653n);
    expect(offsetOf(replay, 'g', 't', 1)).toBe(9007199254740993n);
    expect(offsetOf(replay, 'g', 't', 2)).toBe(9223372036854775806n);
    expect(replay.committedOffset('g', 't', 2)?.logOffset).toBe(base + 2n);
  });

  it('applies transactional commits on COMMIT, drops them on ABORT, with producers interleaved', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 2, offset: 100n }));
    log.batch([offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 500n })], { producerId: 1000n, transactional: true });
    log.batch([offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 999n })], { producerId: 1001n, transactional: true });
    log.batch([offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 600n })], { producerId: 1000n, transactional: true });
    log.batch([offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 777n })], { producerId: 1001n, transactional: true });
    log.marker(1000n, 'COMMIT');
    log.marker(1001n, 'ABORT');
    const { stats, replay } = await scan(kafka, { maxBytesPerFetch: 150 });
    expect(offsetOf(replay, 'g', 't', 0)).toBe(500n);
    expect(offsetOf(replay, 'g', 't', 1)).toBe(600n);
    expect(offsetOf(replay, 'g', 't', 2)).toBe(100n);
    expect(stats).toMatchObject({ controlBatches: 2, complete: true, records: 5 });
    expect(replay.stats().abortedRecords).toBe(2);
  });

  it('stops short, with a note, when an open transaction holds the last stable offset back', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 10n }));
    log.batch([offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 20n })], { producerId: 7n, transactional: true });
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 30n }));
    const { stats, replay } = await scan(kafka);
    expect(stats).toMatchObject({ complete: false, nextOffset: '1', endOffset: '3' });
    expect(stats.notes?.join('\n')).toMatch(/open transaction holds the last stable offset at 1/);
    expect(offsetOf(replay, 'g', 't', 0)).toBe(10n);
  });

  it('tombstones delete, later commits revive, other groups stay untouched', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    log.batch([
      offsetCommit({ group: 'a', topic: 't', partition: 0, offset: 1n }),
      offsetCommit({ group: 'b', topic: 't', partition: 0, offset: 2n }),
    ]);
    log.record(offsetTombstone('a', 't', 0));
    log.record(offsetCommit({ group: 'c', topic: 't', partition: 0, offset: 3n }));
    log.record(offsetTombstone('c', 't', 0));
    log.record(offsetCommit({ group: 'c', topic: 't', partition: 0, offset: 4n }));
    const { replay } = await scan(kafka);
    expect(replay.groups()).toEqual(['b', 'c']);
    expect(offsetOf(replay, 'b', 't', 0)).toBe(2n);
    expect(offsetOf(replay, 'c', 't', 0)).toBe(4n);
  });

  it('counts unknown record types and group metadata without failing', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    log.batch([unknownTypeRecord(99), unknownTypeRecord(-3), offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 0n })]);
    log.record(groupMetadata('g', { members: [['t']] }));
    const { stats, replay } = await scan(kafka);
    expect(stats.complete).toBe(true);
    expect(replay.stats().skipped).toEqual({ UNKNOWN_RECORD_TYPE: 1, NEGATIVE_RECORD_TYPE: 1 });
    expect(offsetOf(replay, 'g', 't', 0)).toBe(0n);
    expect(replay.groupMetadata('g')?.value.members).toHaveLength(1);
  });
});

describe('scanOffsetsPartition: where it starts', () => {
  it('starts at the first record at or after `since` (ListOffsets by timestamp)', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    const early = log.record(offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 1n }));
    const late = log.record(offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 2n }));
    const { stats, replay } = await scan(kafka, { since: Number(late.timestamp) });
    expect(early.timestamp < late.timestamp).toBe(true);
    expect(stats).toMatchObject({ startOffset: '1', complete: true, batches: 1 });
    expect(kafka.calls).toContain('listOffsets:timestamp');
    expect(replay.groups()).toEqual(['g']);
    expect(offsetOf(replay, 'g', 't', 0)).toBeUndefined();
  });

  it('reads nothing when nothing was written since', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    const written = log.record(offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 1n }));
    const { stats } = await scan(kafka, { since: Number(written.timestamp) + 60_000 });
    expect(stats).toMatchObject({ startOffset: '1', endOffset: '1', complete: true, fetches: 0 });
  });

  it('starts at fromOffset, clamped up to the log start with a note', async () => {
    const kafka = setup();
    writeBusyLog(kafka);
    const from = await scan(kafka, { fromOffset: 40n });
    expect(from.stats.startOffset).toBe('40');
    expect(from.stats.records).toBe(60);

    kafka.log('__consumer_offsets', P).deleteBefore(20n);
    const clamped = await scan(kafka, { fromOffset: 5n });
    expect(clamped.stats.startOffset).toBe('20');
    expect(clamped.stats.notes?.[0]).toMatch(/fromOffset 5 is below the log start 20/);
  });

  it('rejects bad input naming the field', async () => {
    const kafka = setup();
    await expect(scan(kafka, { partition: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^partition:/) });
    await expect(scan(kafka, { partition: 10 })).rejects.toMatchObject({ code: 'PARTITION_OUT_OF_RANGE', message: expect.stringMatching(/0-9/) });
    await expect(scan(kafka, { since: -5 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^since:/) });
    await expect(scan(kafka, { fromOffset: -1n })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^fromOffset:/) });
    await expect(scan(kafka, { maxBytesPerFetch: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^maxBytesPerFetch:/) });
    await expect(scan(kafka, { retry: { attempts: -1 } })).rejects.toMatchObject({ message: expect.stringMatching(/^retry.attempts:/) });
    await expect(scan(new InMemoryKafka({ offsetsPartitions: 0 }), { partition: 0 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('scanOffsetsPartition: surviving the cluster', () => {
  it('grows the fetch size when a batch is larger than maxBytes, then fails clearly at the limit', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    const big = Array.from({ length: 40 }, (_, i) => offsetCommit({ group: 'g', topic: 'orders', partition: i, offset: BigInt(i) }));
    log.batch(big);
    log.record(offsetCommit({ group: 'g', topic: 'orders', partition: 99, offset: 7n }));
    const batchSize = kafka.log('__consumer_offsets', P).batches[0]!.bytes.length;

    const grown = await scan(kafka, { maxBytesPerFetch: 64 });
    expect(grown.stats.complete).toBe(true);
    expect(grown.replay.committedOffsets('g')[0]!.partitions).toHaveLength(41);
    expect(grown.stats.notes?.join('\n')).toMatch(/fetch size raised from 64/);

    const error = await scan(kafka, { maxBytesPerFetch: 64, maxBytesLimit: batchSize - 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecoveryError);
    expect(error).toMatchObject({ code: 'SCAN_INTERRUPTED' });
    expect((error as Error).message).toMatch(new RegExp(`__consumer_offsets-${P} stopped at offset 0 .*needs ${batchSize} bytes.*raise maxBytesLimit`));
  });

  it('takes a first batch larger than maxBytes as modern brokers send it (whole), without growing the fetch', async () => {
    const kafka = setup();
    kafka.faults.sizeLimit = 'whole';
    const big = Array.from({ length: 40 }, (_, i) => offsetCommit({ group: 'g', topic: 'orders', partition: i, offset: BigInt(i) }));
    kafka.offsetsLog(P).batch(big);
    kafka.offsetsLog(P).batch(big);
    const { stats, replay } = await scan(kafka, { maxBytesPerFetch: 64 });
    expect(stats).toMatchObject({ complete: true, fetches: 2, batches: 2, notes: [] });
    expect(replay.committedOffsets('g')[0]!.partitions).toHaveLength(40);
  });

  it('refreshes metadata and continues at the same offset when the leader moves mid-scan', async () => {
    const kafka = setup();
    writeBusyLog(kafka);
    const fetchedAt: bigint[] = [];
    kafka.faults.beforeFetch = (request, index) => {
      fetchedAt.push(request.offset);
      if (index === 2) kafka.moveLeader('__consumer_offsets', P, 2);
    };
    const { stats, replay } = await scan(kafka, { maxBytesPerFetch: 1024 });
    expectBusyLogResult(replay);
    expect(stats.complete).toBe(true);
    expect(stats.metadataRefreshes).toBe(1);
    expect(kafka.calls).toContain('refreshMetadata');
    expect(fetchedAt[3]).toBe(fetchedAt[2]); // the refused fetch is repeated at the same position
  });

  it('retries dropped connections with backoff', async () => {
    const kafka = setup();
    writeBusyLog(kafka);
    kafka.faults.dropConnections = 2;
    const { stats, replay } = await scan(kafka, { maxBytesPerFetch: 1024 });
    expectBusyLogResult(replay);
    expect(stats.retries).toBe(2);
  });

  it('gives up after the retries with SCAN_INTERRUPTED saying where it stopped, and resumes from there', async () => {
    const kafka = setup();
    writeBusyLog(kafka);
    kafka.faults.beforeFetch = (_request, index) => {
      if (index === 3) kafka.faults.dropConnections = 100;
    };
    const replay = new OffsetsLogReplay();
    const error = await scan(kafka, { maxBytesPerFetch: 1024 }, replay).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecoveryError);
    const interrupted = error as RecoveryError;
    const position = interrupted.details['position'] as ScanPosition;
    expect(interrupted.code).toBe('SCAN_INTERRUPTED');
    expect(interrupted.retryable).toBe(true);
    expect(position).toMatchObject({ partition: P, startOffset: '0', endOffset: '100' });
    expect(BigInt(position.nextOffset)).toBeGreaterThan(0n);
    expect(interrupted.message).toContain(`__consumer_offsets-${P} stopped at offset ${position.nextOffset}`);
    expect(interrupted.message).toMatch(/connection to the leader/);
    expect(JSON.parse(JSON.stringify(interrupted.toJSON())).details.position).toEqual(position);

    kafka.faults.beforeFetch = undefined;
    kafka.faults.dropConnections = 0;
    const resumed = await scan(kafka, { maxBytesPerFetch: 1024, resumeFrom: position }, replay);
    expectBusyLogResult(replay);
    expect(resumed.stats).toMatchObject({ complete: true, startOffset: '0', resumedFrom: position.nextOffset, nextOffset: '100' });
    // Nothing was applied twice: every record of the log went through the replay exactly once.
    expect(replay.stats().records).toBe(100);
  });

  it('rejects a resume position of another partition or with bad offsets', async () => {
    const kafka = setup();
    const position: ScanPosition = { partition: P + 1, startOffset: '0', nextOffset: '1', endOffset: '2' };
    await expect(scan(kafka, { resumeFrom: position })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^resumeFrom.partition:/) });
    await expect(scan(kafka, { resumeFrom: { ...position, partition: P, nextOffset: 'x' } })).rejects.toMatchObject({
      message: expect.stringMatching(/^resumeFrom.nextOffset:/),
    });
  });

  it('continues at the new log start when retention deletes the data under the scan, and says the scan is not complete', async () => {
    const kafka = setup();
    writeBusyLog(kafka);
    let scannedTo = -1n;
    kafka.faults.beforeFetch = (request, index) => {
      if (index === 1) {
        scannedTo = request.offset;
        kafka.log('__consumer_offsets', P).deleteBefore(60n);
      }
    };
    const { stats, replay } = await scan(kafka, { maxBytesPerFetch: 1024 });
    // Offsets between the position and the new start were never read: the scan did not see its whole range.
    expect(stats).toMatchObject({ complete: false, logStartResets: 1, nextOffset: '100' });
    expect(stats.unreadRanges).toEqual([{ from: scannedTo.toString(), to: '60', reason: 'LOG_START_MOVED' }]);
    expect(scannedTo).toBeGreaterThan(0n);
    expect(stats.notes?.join('\n')).toMatch(/log start moved to 60 under retention/);
    expectBusyLogResult(replay); // the last rounds survive retention
  });

  it('skips a corrupt batch, notes it, and reads on', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 1n }));
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 2n }));
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 2, offset: 3n }));
    const damaged = kafka.log('__consumer_offsets', P).batches[1]!.bytes;
    damaged[damaged.length - 1]! ^= 0xff;
    const { stats, replay } = await scan(kafka);
    expect(stats.skipped).toEqual({ CORRUPT_BATCH: 1 });
    expect(stats.notes?.join('\n')).toMatch(/skipped corrupt batch at offsets 1-1: CRC-32C mismatch/);
    expect(stats.complete).toBe(true);
    expect(offsetOf(replay, 'g', 't', 0)).toBe(1n);
    expect(offsetOf(replay, 'g', 't', 1)).toBeUndefined();
    expect(offsetOf(replay, 'g', 't', 2)).toBe(3n);
  });

  it('steps past a frame with an impossible length, and fails with CORRUPT_DATA when it cannot', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 1n }));
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 2n }));
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 2, offset: 3n }));
    kafka.log('__consumer_offsets', P).batches[1]!.bytes.writeInt32BE(10, 8);
    const { stats, replay } = await scan(kafka);
    expect(stats).toMatchObject({ complete: true, skipped: { CORRUPT_BATCH: 1 } });
    expect(offsetOf(replay, 'g', 't', 2)).toBe(3n);

    // A damaged multi-record batch: the broker keeps answering with it, so the next batch cannot be found.
    const stuck = setup();
    stuck.offsetsLog(P).batch([offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 1n }), offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 2n })]);
    stuck.offsetsLog(P).record(offsetCommit({ group: 'g', topic: 't', partition: 2, offset: 3n }));
    stuck.log('__consumer_offsets', P).batches[0]!.bytes.writeInt32BE(10, 8);
    const error = await scan(stuck).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CORRUPT_DATA', retryable: false, message: expect.stringMatching(/batch at offset 0 has an impossible frame length/) });
  });

  it('fails with a clear error, without a position, when it cannot even find the start', async () => {
    const kafka = setup();
    const flaky = Object.create(kafka) as InMemoryKafka;
    flaky.listOffsets = async () => {
      throw new RecoveryError('KAFKA_UNAVAILABLE', 'connection refused', { retryable: true });
    };
    const error = await scan(flaky).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SCAN_INTERRUPTED', message: expect.stringMatching(/could not start: ListOffsets \(latest\) failed 4 times: connection refused/) });
    expect((error as RecoveryError).details['position']).toBeUndefined();
  });

  it('does not let a damaged baseOffset (outside the CRC) end the scan early', async () => {
    const kafka = setup();
    const log = kafka.offsetsLog(P);
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 0, offset: 1n }));
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 1, offset: 2n }));
    log.record(offsetCommit({ group: 'g', topic: 't', partition: 2, offset: 3n }));
    kafka.log('__consumer_offsets', P).batches[1]!.bytes.writeBigInt64BE(2n ** 60n, 0);
    const { stats, replay } = await scan(kafka);
    expect(stats).toMatchObject({ complete: true, nextOffset: '3', skipped: { CORRUPT_BATCH: 1 } });
    expect(stats.notes?.join('\n')).toMatch(/claiming offset 1152921504606846976, beyond the high watermark 3/);
    expect(offsetOf(replay, 'g', 't', 0)).toBe(1n);
    expect(offsetOf(replay, 'g', 't', 1)).toBeUndefined(); // lost with its header, and counted
    expect(offsetOf(replay, 'g', 't', 2)).toBe(3n);
  });

  it('reports progress, throttled, with a final report at the end', async () => {
    const kafka = setup();
    writeBusyLog(kafka);
    const every: ScanProgress[] = [];
    const { stats } = await scan(kafka, { maxBytesPerFetch: 1024, progressIntervalMs: 0, onProgress: (p) => every.push(p) });
    expect(every.length).toBe((stats.fetches ?? 0) + 1);
    for (let i = 1; i < every.length; i++) expect(every[i]!.position >= every[i - 1]!.position).toBe(true);
    expect(every.at(-1)).toEqual({ partition: P, records: 100, bytes: stats.bytes, batches: 50, position: 100n, end: 100n });

    const throttled: ScanProgress[] = [];
    await scan(kafka, { maxBytesPerFetch: 1024, progressIntervalMs: 3_600_000, onProgress: (p) => throttled.push(p) });
    expect(throttled.length).toBe(2); // the first and the final report
    expect(throttled[1]!.position).toBe(100n);
  });

  it('stops with a resumable error when the signal aborts', async () => {
    const kafka = setup();
    writeBusyLog(kafka);
    const controller = new AbortController();
    kafka.faults.beforeFetch = (_request, index) => {
      if (index === 1) controller.abort();
    };
    const error = await scan(kafka, { maxBytesPerFetch: 1024, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SCAN_INTERRUPTED', message: expect.stringMatching(/cancelled/) });
    expect((error as RecoveryError).details['position']).toMatchObject({ partition: P });
  });
});
