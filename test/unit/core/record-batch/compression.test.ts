import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import * as lz4 from 'lz4js';
import * as snappy from 'snappyjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32c, decodeRecordBatches, encodeRecordBatch } from '../../../../lambdas/core/record-batch/index.ts';
import type { DataBatch, RecordBatch, RecordToEncode } from '../../../../lambdas/core/record-batch/index.ts';
import { zstdCompressor } from '../../../support/zstd.ts';

const T0 = 1_700_000_000_000n;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
let zstd: (records: Buffer) => Buffer;

beforeAll(async () => {
  zstd = await zstdCompressor();
});

function encode(records: RecordToEncode[], compression: (typeof CODECS)[number], baseOffset = 0n): Buffer {
  return encodeRecordBatch({ baseOffset, records, compression, ...(compression === 'zstd' ? { compress: zstd } : {}) });
}

function decoded(entry: RecordBatch | undefined): DataBatch {
  if (entry?.kind !== 'records') throw new Error(`expected a data batch, got ${entry?.kind}: ${entry && 'reason' in entry ? entry.reason : ''}`);
  return entry;
}

/** A v2 frame around an arbitrary (possibly hostile) record section, with a valid CRC. */
function frameAround(section: Buffer, codec: number, recordCount: number, lastOffsetDelta = Math.max(0, recordCount - 1)): Buffer {
  const frame = encodeRecordBatch({ baseOffset: 0n, records: [{ key: null, value: null, timestamp: T0 }] });
  const out = Buffer.concat([frame.subarray(0, 61), section]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE(codec, 21);
  out.writeInt32BE(lastOffsetDelta, 23);
  out.writeInt32BE(recordCount, 57);
  out.writeUInt32BE(crc32c(out, 21), 17);
  return out;
}

function corruptReason(frame: Buffer, options: Parameters<typeof decodeRecordBatches>[1] = {}): string {
  const entry = decodeRecordBatches(frame, options).batches[0];
  expect(entry?.kind).toBe('corrupt');
  return entry?.kind === 'corrupt' ? entry.reason : '';
}

const recordArb: fc.Arbitrary<Omit<RecordToEncode, 'timestamp' | 'offsetDelta'>> = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)), { nil: null }) }), { maxLength: 2 }),
});

describe('every codec Kafka writes is read', () => {
  it('decodes what it encodes with each codec, records and offsets intact (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CODECS), fc.array(recordArb, { minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 30, maxLength: 30 }), (codec, shapes, gaps) => {
        let delta = 0;
        const records = shapes.map((shape, i) => {
          delta += i === 0 ? 0 : 1 + gaps[i]!; // compaction gaps between records
          return { ...shape, timestamp: T0 + BigInt(i), offsetDelta: delta };
        });
        const batch = decoded(decodeRecordBatches(encode(records, codec, 1000n)).batches[0]);
        expect(batch.compression).toBe(codec);
        expect(batch.records().map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers])).toEqual(
          records.map((r) => [1000n + BigInt(r.offsetDelta), r.timestamp, r.key, r.value, (r.headers ?? []).map((h) => ({ key: h.key, value: h.value }))]),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('reads snappy as the Java client frames it (xerial) and as librdkafka writes it (one raw block)', () => {
    const records = [{ key: Buffer.from('k'), value: Buffer.from('v'.repeat(100)), timestamp: T0 }];
    const xerial = encode(records, 'snappy');
    expect(xerial.subarray(61, 69)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]));
    const plain = decoded(decodeRecordBatches(encode(records, 'none')).batches[0]).data;
    const raw = frameAround(Buffer.from(snappy.compress(plain)), CODEC_IDS.snappy, 1, 0);
    expect(decoded(decodeRecordBatches(raw).batches[0]).valueAt(0)).toEqual(records[0]!.value);
    expect(decoded(decodeRecordBatches(xerial).batches[0]).valueAt(0)).toEqual(records[0]!.value);
  });

  it('reads zstd from the reference library at several levels and lz4 frames from lz4js', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ key: Buffer.from(`key-${i % 5}`), value: Buffer.from(`value ${i} `.repeat(20)), timestamp: T0 + BigInt(i), offsetDelta: i }));
    const plain = decoded(decodeRecordBatches(encode(records, 'none')).batches[0]).data;
    for (const section of [zstd(plain), Buffer.from(lz4.compress(plain))]) {
      const codec = section.readUInt32LE(0) === 0xfd2fb528 ? CODEC_IDS.zstd : CODEC_IDS.lz4;
      const batch = decoded(decodeRecordBatches(frameAround(section, codec, 50, 49)).batches[0]);
      expect(batch.records().map((r) => r.value)).toEqual(records.map((r) => r.value));
    }
  });
});

describe('bounded work on hostile bytes', () => {
  it('refuses a record count the bytes cannot hold, before sizing anything from it (property)', () => {
    const frame = encode([{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: T0 }], 'none');
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 0x7fffffff }), (count) => {
        const hostile = Buffer.from(frame);
        hostile.writeInt32BE(count, 57);
        hostile.writeUInt32BE(crc32c(hostile, 21), 17);
        expect(corruptReason(hostile)).toMatch(/records declared/);
      }),
    );
  });

  it('refuses a gzip bomb at the decompression limit, and a batch of more records than the cap', () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024), { level: 9 }); // ~8 KiB that inflate to 8 MiB
    expect(bomb.length).toBeLessThan(16 * 1024);
    expect(corruptReason(frameAround(bomb, CODEC_IDS.gzip, 1_000_000), { maxDecompressedBytes: 1024 * 1024 })).toMatch(/gzip records do not decompress within 1048576 bytes/);
    // Valid tiny records, many of them: refused by the per-batch record cap, not indexed.
    const tiny = Array.from({ length: 2000 }, (_, i) => ({ key: null, value: null, timestamp: T0, offsetDelta: i }));
    expect(corruptReason(encode(tiny, 'gzip'), { maxRecordsPerBatch: 1000 })).toMatch(/2000 records declared, more than the 1000 .*maxRecordsPerBatch/);
    expect(decoded(decodeRecordBatches(encode(tiny, 'gzip'), { maxRecordsPerBatch: 2000 }).batches[0]).recordCount).toBe(2000);
  });

  it('with the default limits, refuses a ~100 KB gzip frame that would inflate to 100 MiB of ten million records', () => {
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(200 * 1024);
    expect(corruptReason(frameAround(bomb, CODEC_IDS.gzip, 10_000_000))).toMatch(/more than the 1000000 a batch may hold/);
    expect(corruptReason(frameAround(bomb, CODEC_IDS.gzip, 1_000_000))).toMatch(/gzip records do not decompress within 67108864 bytes/);
  });

  it('refuses a damaged zstd frame on which the decoder package loops forever, instead of hanging the scan', () => {
    // Found by the fuzz test below: a damaged Huffman weight stream that fzstd reads without end.
    const looping = Buffer.from(
      '28b52ffd60b201ed0500c28a1e1bf04b9a031c4aff5c3dde34d24d440895e4ffffffffffff5696f6c975f479d4e790fa4ca135187d1af531147d16f52da03e517d0aa7cf535f82e9d3d48750fa2cf51db4cfd66740fa24f515543dd4713c6c04e9986c03c6d1b00914c7c216808ec806708ec796304763bb722c36ebb13644552a7224b6aa4a012520f0825e038ab302c75d81e2aec07156a07157a0382b70dc1528ee0aacb865051cfeb8b540bab540dc58a06e2d10b716a81b0ba45b0b246ea005783e0f2201',
      'hex',
    );
    expect(corruptReason(frameAround(looping, CODEC_IDS.zstd, 20))).toMatch(/zstd: still decoding after 4346 ms/);
    // The time allowed follows the decompression limit: a small limit gives up sooner.
    expect(corruptReason(frameAround(looping, CODEC_IDS.zstd, 20), { maxDecompressedBytes: 64 * 1024 })).toMatch(/zstd: still decoding after 254 ms/);
  }, 20_000);

  it('refuses snappy, lz4 and zstd sections that declare or produce more than the limit', () => {
    const limit = 64 * 1024;
    const big = Buffer.alloc(limit * 4, 7);
    // Each writes a well-formed section that is simply too big.
    const sections: [number, Buffer][] = [
      [CODEC_IDS.snappy, Buffer.from(snappy.compress(big))],
      [CODEC_IDS.lz4, Buffer.from(lz4.compress(big))],
      [CODEC_IDS.zstd, zstd(big)],
    ];
    for (const [codec, section] of sections) {
      expect(corruptReason(frameAround(section, codec, 1), { maxDecompressedBytes: limit })).toMatch(/do not decompress within 65536 bytes/);
    }
    // Headers that lie: a snappy length varint of 2^31, a zstd frame content size of 2^40.
    const snappyLie = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08, 0x00]);
    expect(corruptReason(frameAround(snappyLie, CODEC_IDS.snappy, 1))).toMatch(/snappy/);
    const zstdLie = Buffer.from('28b52ffd' + 'e0' + '0000000000010000' + '010000', 'hex');
    expect(corruptReason(frameAround(zstdLie, CODEC_IDS.zstd, 1))).toMatch(/declares 1099511627776 bytes of content/);
    // An lz4 match reaching before the output, and a block longer than its frame allows.
    const badMatch = Buffer.from('04224d18' + '6040' + '82' + '05000000' + '14' + '61' + 'ffff' + '00' + '00000000', 'hex');
    expect(corruptReason(frameAround(badMatch, CODEC_IDS.lz4, 1))).toMatch(/lz4/);
  });

  it('never throws, and never yields records from damaged compressed sections it could not verify (fuzz)', () => {
    const records = Array.from({ length: 20 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`.repeat(10)), timestamp: T0, offsetDelta: i }));
    const frames = CODECS.map((codec) => encode(records, codec));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: frames.length - 1 }),
        fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
        (which, edits) => {
          const frame = Buffer.from(frames[which]!);
          for (const { at, byte } of edits) frame[61 + (at % (frame.length - 61))] = byte;
          frame.writeUInt32BE(crc32c(frame, 21), 17); // past the CRC, so the codecs see the damage
          // A small limit (the records need under 1 KiB) keeps each looping zstd frame to 254 ms.
          const result = decodeRecordBatches(frame, { maxDecompressedBytes: 64 * 1024 });
          for (const entry of result.batches) {
            expect(['records', 'corrupt', 'unsupported-compression', 'unsupported-magic']).toContain(entry.kind);
            if (entry.kind === 'records') expect(entry.recordCount).toBeLessThanOrEqual(20);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
