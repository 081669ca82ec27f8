import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRecoveryError } from '../../../../lambdas/core/errors.ts';
import {
  crc32c,
  DataBatch,
  decodeRecordBatches,
  encodeControlBatch,
  encodeRecordBatch,
} from '../../../../lambdas/core/record-batch/index.ts';
import type { RecordBatch, RecordToEncode } from '../../../../lambdas/core/record-batch/index.ts';
import { kafkajsDecodeBatch, kafkajsEncodeBatch } from './kafkajs-reference.ts';

const T0 = 1_700_000_000_000n;
const b = (text: string): Buffer => Buffer.from(text, 'utf8');

function onlyData(batches: RecordBatch[]): DataBatch[] {
  return batches.map((batch) => {
    if (!(batch instanceof DataBatch)) throw new Error(`expected a data batch, got ${batch.kind}`);
    return batch;
  });
}

function sampleRecords(count: number, startTs = T0): RecordToEncode[] {
  return Array.from({ length: count }, (_, i) => ({
    key: b(`key-${i}`),
    value: i % 5 === 4 ? null : b(`value-${i}-${'x'.repeat(i % 13)}`),
    timestamp: startTs + BigInt(i * 10),
  }));
}

/** Rewrites attributes (or any byte after the CRC) and recomputes the CRC so only the change under test remains. */
function patchAndReseal(frame: Buffer, patch: (f: Buffer) => void): Buffer {
  const copy = Buffer.from(frame);
  patch(copy);
  copy.writeUInt32BE(crc32c(copy, 21), 17);
  return copy;
}

describe('encodeRecordBatch / decodeRecordBatches round trip', () => {
  it('keeps every header field and record, offsets and timestamps as bigint', () => {
    const frame = encodeRecordBatch({
      baseOffset: 42n,
      records: [
        { key: b('k0'), value: b('v0'), timestamp: T0, headers: [{ key: 'trace', value: b('abc') }, { key: 'empty', value: null }] },
        { key: null, value: b('v1'), timestamp: T0 - 5n, offsetDelta: 3 },
        { key: b('k2'), value: null, timestamp: T0 + 9n, offsetDelta: 7 },
      ],
      producerId: 4242n,
      producerEpoch: 3,
      baseSequence: 17,
      isTransactional: true,
      partitionLeaderEpoch: 9,
      lastOffsetDelta: 8,
    });
    const result = decodeRecordBatches(frame);
    expect(result.truncatedTail).toBe(false);
    expect(result.nextOffset).toBe(51n);
    expect(result.bytesConsumed).toBe(frame.length);
    const [batch] = onlyData(result.batches);
    expect(batch!.header()).toMatchObject({
      baseOffset: 42n,
      lastOffset: 50n,
      lastOffsetDelta: 8,
      batchLength: frame.length - 12,
      partitionLeaderEpoch: 9,
      magic: 2,
      compression: 'none',
      timestampType: 'create-time',
      isTransactional: true,
      isControl: false,
      baseTimestamp: T0,
      maxTimestamp: T0 + 9n,
      producerId: 4242n,
      producerEpoch: 3,
      baseSequence: 17,
      recordCount: 3,
    });
    expect(batch!.records()).toEqual([
      { offset: 42n, timestamp: T0, key: b('k0'), value: b('v0'), headers: [{ key: 'trace', value: b('abc') }, { key: 'empty', value: null }] },
      { offset: 45n, timestamp: T0 - 5n, key: null, value: b('v1'), headers: [] },
      { offset: 49n, timestamp: T0 + 9n, key: b('k2'), value: null, headers: [] },
    ]);
  });

  it('hands out keys and values as views into the decoded bytes, not copies', () => {
    const frame = encodeRecordBatch({ baseOffset: 0n, records: sampleRecords(3) });
    const [batch] = onlyData(decodeRecordBatches(frame).batches);
    const key = batch!.keyAt(1)!;
    expect(key.equals(b('key-1'))).toBe(true);
    frame[frame.indexOf('key-1') + 4] = 0x39; // '1' -> '9' in the fetched bytes
    expect(key.toString()).toBe('key-9');
  });

  it('survives offsets and timestamps beyond 2^31 and 2^53 and up to 2^63-2', () => {
    for (const baseOffset of [2n ** 31n + 5n, 2n ** 53n + 1n, 2n ** 63n - 3n]) {
      const frame = encodeRecordBatch({
        baseOffset,
        records: [
          { key: b('a'), value: b('1'), timestamp: 2n ** 53n + 1n },
          { key: b('b'), value: b('2'), timestamp: 2n ** 53n + 3n },
        ],
      });
      const result = decodeRecordBatches(frame);
      const [batch] = onlyData(result.batches);
      expect(batch!.offsetAt(0)).toBe(baseOffset);
      expect(batch!.offsetAt(1)).toBe(baseOffset + 1n);
      expect(batch!.timestampAt(1)).toBe(2n ** 53n + 3n);
      expect(result.nextOffset).toBe(baseOffset + 2n);
    }
  });

  it('decodes gzip batches and writes gzip that decodes to the same records', () => {
    const records = sampleRecords(50);
    const plain = encodeRecordBatch({ baseOffset: 100n, records });
    const gzipped = encodeRecordBatch({ baseOffset: 100n, records, compression: 'gzip' });
    expect(gzipped.length).toBeLessThan(plain.length);
    const [a] = onlyData(decodeRecordBatches(plain).batches);
    const [g] = onlyData(decodeRecordBatches(gzipped).batches);
    expect(g!.compression).toBe('gzip');
    expect(g!.records()).toEqual(a!.records());
  });

  it('reads LogAppendTime batches with the broker time for every record', () => {
    const frame = encodeRecordBatch({
      baseOffset: 0n,
      records: sampleRecords(3),
      timestampType: 'log-append-time',
      maxTimestamp: T0 + 99_999n,
    });
    const [batch] = onlyData(decodeRecordBatches(frame).batches);
    expect(batch!.timestampType).toBe('log-append-time');
    expect(batch!.records().map((r) => r.timestamp)).toEqual([T0 + 99_999n, T0 + 99_999n, T0 + 99_999n]);
    expect(batch!.timestampMsAt(2)).toBe(Number(T0 + 99_999n));
  });

  it('keeps an empty batch left by compaction and moves past its offsets', () => {
    const frame = encodeRecordBatch({ baseOffset: 10n, records: [], lastOffsetDelta: 4, maxTimestamp: T0 });
    const result = decodeRecordBatches(frame);
    const [batch] = onlyData(result.batches);
    expect(batch!.recordCount).toBe(0);
    expect(batch!.records()).toEqual([]);
    expect(result.nextOffset).toBe(15n);
  });

  it('visits records with one reused view and stops when the callback returns false', () => {
    const [batch] = onlyData(decodeRecordBatches(encodeRecordBatch({ baseOffset: 5n, records: sampleRecords(6) })).batches);
    const seen: Array<[bigint, string | null]> = [];
    batch!.forEachRecord((record) => {
      seen.push([record.offset, record.key?.toString() ?? null]);
      return record.index < 2;
    });
    expect(seen).toEqual([
      [5n, 'key-0'],
      [6n, 'key-1'],
      [7n, 'key-2'],
    ]);
  });

  it('rejects records the writer cannot express, naming the field', () => {
    const attempt = (): Buffer =>
      encodeRecordBatch({ baseOffset: 0n, records: [{ key: null, value: null, timestamp: 0, offsetDelta: 5 }], lastOffsetDelta: 2 });
    expect(attempt).toThrowError(/lastOffsetDelta/);
    try {
      attempt();
    } catch (error) {
      expect(isRecoveryError(error) && error.code).toBe('INVALID_INPUT');
    }
    expect(() => encodeRecordBatch({ baseOffset: 0n, records: [{ key: null, value: null, timestamp: 0, offsetDelta: -1 }] })).toThrowError(
      /offsetDelta/,
    );
    expect(() => encodeRecordBatch({ baseOffset: 0n, records: [{ key: null, value: null, timestamp: 1.5 }] })).toThrowError(
      /records\[0\]\.timestamp/,
    );
    expect(() => encodeRecordBatch({ baseOffset: 2n ** 63n, records: [] })).toThrowError(/baseOffset/);
  });
});

describe('interoperability with kafkajs (an independent RecordBatch implementation)', () => {
  for (const gzip of [false, true]) {
    it(`decodes what kafkajs writes (${gzip ? 'gzip' : 'uncompressed'})`, async () => {
      const frame = await kafkajsEncodeBatch({
        baseOffset: '9007199254740993',
        firstTimestamp: 1_700_000_000_000,
        maxTimestamp: 1_700_000_000_050,
        lastOffsetDelta: 6,
        producerId: '123456789012',
        producerEpoch: 2,
        firstSequence: 40,
        transactional: true,
        gzip,
        records: [
          { offsetDelta: 0, timestampDelta: 0, key: b('alpha'), value: b('one'), headers: { h1: 'x' } },
          { offsetDelta: 4, timestampDelta: 50, key: null, value: b('two') },
          { offsetDelta: 6, timestampDelta: 20, key: b('gamma'), value: null },
        ],
      });
      const result = decodeRecordBatches(frame);
      const [batch] = onlyData(result.batches);
      expect(batch!.compression).toBe(gzip ? 'gzip' : 'none');
      expect(batch!.producerId).toBe(123456789012n);
      expect(batch!.isTransactional).toBe(true);
      expect(batch!.records()).toEqual([
        { offset: 9007199254740993n, timestamp: T0, key: b('alpha'), value: b('one'), headers: [{ key: 'h1', value: b('x') }] },
        { offset: 9007199254740997n, timestamp: T0 + 50n, key: null, value: b('two'), headers: [] },
        { offset: 9007199254740999n, timestamp: T0 + 20n, key: b('gamma'), value: null, headers: [] },
      ]);
      expect(result.nextOffset).toBe(9007199254741000n);
    });
  }

  it('decodes random batches kafkajs writes: varints of every width, one byte or several (property)', async () => {
    // The record index reads one-byte varints inline and hands longer ones to the shared readers:
    // lengths, deltas and header counts here take one byte or several (offset deltas up to 4,
    // timestamp deltas up to 6).
    const lengthArb = fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 60, max: 300 }));
    const recordArb = fc.record({
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 70, max: 3_000_000 })),
      timestampDelta: fc.oneof(fc.integer({ min: -70, max: 70 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
      key: fc.option(lengthArb.map((n) => Buffer.alloc(n, 'k')), { nil: null }),
      value: fc.option(lengthArb.map((n) => Buffer.alloc(n, 'v')), { nil: null }),
      headers: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ maxLength: 80 }), { maxKeys: 3 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 12 }), async (shapes) => {
        let offsetDelta = -1;
        const records = shapes.map((shape, i) => {
          offsetDelta += i === 0 ? 1 : 1 + shape.gap;
          const record = { offsetDelta, timestampDelta: shape.timestampDelta, key: shape.key, value: shape.value };
          return shape.headers === undefined ? record : { ...record, headers: shape.headers };
        });
        const frame = await kafkajsEncodeBatch({
          baseOffset: '1000',
          firstTimestamp: Number(T0),
          maxTimestamp: Number(T0),
          lastOffsetDelta: offsetDelta,
          producerId: '-1',
          producerEpoch: -1,
          firstSequence: -1,
          transactional: false,
          gzip: false,
          records,
        });
        const [batch] = onlyData(decodeRecordBatches(frame).batches);
        expect(batch!.records()).toEqual(
          records.map((r) => ({
            offset: 1000n + BigInt(r.offsetDelta),
            timestamp: T0 + BigInt(r.timestampDelta),
            key: r.key,
            value: r.value,
            headers: Object.entries('headers' in r ? r.headers : {}).map(([key, value]) => ({ key, value: b(value) })),
          })),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('writes batches kafkajs reads back field for field, gzip included', async () => {
    for (const compression of ['none', 'gzip'] as const) {
      const frame = encodeRecordBatch({
        baseOffset: 2n ** 40n,
        records: [
          { key: b('k'), value: b('v'), timestamp: T0, headers: [{ key: 'h', value: b('hv') }] },
          { key: null, value: null, timestamp: T0 + 3n, offsetDelta: 2 },
        ],
        producerId: 77n,
        producerEpoch: 1,
        baseSequence: 5,
        isTransactional: true,
        compression,
      });
      const decoded = await kafkajsDecodeBatch(frame);
      expect(decoded.firstOffset).toBe((2n ** 40n).toString());
      expect(decoded.producerId).toBe('77');
      expect(decoded.inTransaction).toBe(true);
      expect(decoded.lastOffsetDelta).toBe(2);
      expect(decoded.records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers])).toEqual([
        [(2n ** 40n).toString(), T0.toString(), b('k'), b('v'), { h: b('hv') }],
        [(2n ** 40n + 2n).toString(), (T0 + 3n).toString(), null, null, {}],
      ]);
    }
  });
});

describe('record sets as a Fetch returns them', () => {
  const frames = [
    encodeRecordBatch({ baseOffset: 0n, records: sampleRecords(3) }),
    encodeRecordBatch({ baseOffset: 3n, records: sampleRecords(4), compression: 'gzip' }),
    encodeControlBatch({ baseOffset: 7n, producerId: 5n, producerEpoch: 0, type: 'COMMIT', timestamp: T0 }),
  ];
  const all = Buffer.concat(frames);
  const boundaries = [0, frames[0]!.length, frames[0]!.length + frames[1]!.length, all.length];

  it('reads concatenated frames in order', () => {
    const result = decodeRecordBatches(all);
    expect(result.batches.map((x) => [x.kind, x.baseOffset])).toEqual([
      ['records', 0n],
      ['records', 3n],
      ['records', 7n],
    ]);
    expect(result.nextOffset).toBe(8n);
    expect(result.truncatedTail).toBe(false);
  });

  it('reports a frame cut anywhere (the fetch size limit) as a truncated tail, never as corruption', () => {
    for (let cut = 0; cut <= all.length; cut++) {
      const result = decodeRecordBatches(all.subarray(0, cut));
      const complete = boundaries.filter((end) => end > 0 && end <= cut).length;
      expect(result.batches).toHaveLength(complete);
      expect(result.batches.every((x) => x.kind === 'records')).toBe(true);
      expect(result.truncatedTail).toBe(!boundaries.includes(cut));
      expect(result.bytesConsumed).toBe(boundaries[complete]);
      expect(result.nextOffset).toBe([undefined, 3n, 7n, 8n][complete]);
    }
  });

  it('turns a CRC mismatch into a corrupt entry and goes on with the next frame', () => {
    const damaged = Buffer.from(all);
    const at = frames[0]!.length - 3; // inside the first batch's last record
    damaged[at] = damaged[at]! ^ 0x01;
    const result = decodeRecordBatches(damaged);
    expect(result.batches.map((x) => x.kind)).toEqual(['corrupt', 'records', 'records']);
    const corrupt = result.batches[0]!;
    expect(corrupt).toMatchObject({ kind: 'corrupt', baseOffset: 0n, resumable: true, byteOffset: 0, byteLength: frames[0]!.length });
    expect(corrupt.kind === 'corrupt' && corrupt.reason).toMatch(/CRC-32C mismatch/);
    expect(result.nextOffset).toBe(8n);
  });

  it('turns malformed records under a valid CRC into a corrupt entry', () => {
    // Declare one record more than the batch holds.
    const lying = patchAndReseal(frames[0]!, (f) => f.writeInt32BE(4, 57));
    const tooFew = patchAndReseal(frames[0]!, (f) => f.writeInt32BE(2, 57));
    const negativeLength = patchAndReseal(frames[0]!, (f) => {
      f[61] = 0x01; // zig-zag -1 as the first record's length
    });
    for (const frame of [lying, tooFew, negativeLength]) {
      const result = decodeRecordBatches(Buffer.concat([frame, frames[2]!]));
      expect(result.batches.map((x) => x.kind)).toEqual(['corrupt', 'records']);
      const entry = result.batches[0]!;
      expect(entry.kind === 'corrupt' && entry.reason).toMatch(/malformed records|declared/);
    }
  });

  it('stops with a non-resumable corrupt entry when a frame length is impossible', () => {
    const broken = Buffer.from(all);
    broken.writeInt32BE(3, frames[0]!.length + 8); // second frame claims 3 bytes
    const result = decodeRecordBatches(broken);
    expect(result.batches.map((x) => x.kind)).toEqual(['records', 'corrupt']);
    expect(result.batches[1]).toMatchObject({ resumable: false, baseOffset: 3n });
    expect(result.nextOffset).toBe(3n);
  });

  it('reports magic 0/1 message sets as unsupported and keeps reading', () => {
    // A magic 1 message: offset, size, crc, magic, attributes, timestamp, key (-1), value "v".
    const legacy = Buffer.alloc(8 + 4 + 4 + 1 + 1 + 8 + 4 + 4 + 1);
    legacy.writeBigInt64BE(2n, 0);
    legacy.writeInt32BE(legacy.length - 12, 8);
    legacy.writeInt8(1, 16);
    legacy.writeBigInt64BE(T0, 18);
    legacy.writeInt32BE(-1, 26);
    legacy.writeInt32BE(1, 30);
    legacy.write('v', 34);
    const result = decodeRecordBatches(Buffer.concat([legacy, encodeRecordBatch({ baseOffset: 3n, records: sampleRecords(1) })]));
    expect(result.batches.map((x) => x.kind)).toEqual(['unsupported-magic', 'records']);
    expect(result.batches[0]).toMatchObject({ magic: 1, baseOffset: 2n });
  });

  it('reports batches with a codec id Kafka does not define as unsupported, with their offset range', () => {
    for (const [codec, name] of [
      [5, 'unknown-5'],
      [6, 'unknown-6'],
      [7, 'unknown-7'],
    ] as const) {
      const frame = patchAndReseal(encodeRecordBatch({ baseOffset: 20n, records: sampleRecords(5) }), (f) => f.writeInt16BE(codec, 21));
      const result = decodeRecordBatches(frame);
      expect(result.batches[0]).toMatchObject({ kind: 'unsupported-compression', compression: name, baseOffset: 20n, lastOffset: 24n });
      expect(result.nextOffset).toBe(25n);
    }
  });

  it('turns gzip that does not decompress into a corrupt entry', () => {
    const frame = encodeRecordBatch({ baseOffset: 0n, records: sampleRecords(5), compression: 'gzip' });
    const damaged = patchAndReseal(frame, (f) => f.fill(0x55, 61 + 10, 61 + 20));
    const entry = decodeRecordBatches(damaged).batches[0]!;
    expect(entry.kind).toBe('corrupt');
    expect(entry.kind === 'corrupt' && entry.reason).toMatch(/gzip/);
  });
});

describe('control batches', () => {
  it('encodes the transaction markers with the bytes of the vectors file and decodes them', () => {
    for (const [type, keyHex] of [
      ['COMMIT', '00000001'],
      ['ABORT', '00000000'],
    ] as const) {
      const frame = encodeControlBatch({ baseOffset: 4n, producerId: 1000n, producerEpoch: 0, type, coordinatorEpoch: 5, timestamp: T0 });
      const [batch] = onlyData(decodeRecordBatches(frame).batches);
      expect(batch!.isControl).toBe(true);
      expect(batch!.isTransactional).toBe(true);
      expect(batch!.producerId).toBe(1000n);
      expect(batch!.keyAt(0)!.toString('hex')).toBe(keyHex);
      expect(batch!.valueAt(0)!.toString('hex')).toBe('000000000005');
      expect(batch!.controlMarker()).toEqual({ type, rawType: type === 'COMMIT' ? 1 : 0, keyVersion: 0, valueVersion: 0, coordinatorEpoch: 5 });
    }
  });

  it('has no marker for data batches and reports unknown control types as unknown', () => {
    const [data] = onlyData(decodeRecordBatches(encodeRecordBatch({ baseOffset: 0n, records: sampleRecords(1) })).batches);
    expect(data!.controlMarker()).toBeNull();
    const odd = encodeRecordBatch({
      baseOffset: 0n,
      isControl: true,
      isTransactional: true,
      producerId: 1n,
      records: [{ key: Buffer.from('00000007', 'hex'), value: null, timestamp: T0 }],
    });
    const [batch] = onlyData(decodeRecordBatches(odd).batches);
    expect(batch!.controlMarker()).toEqual({ type: 'unknown', rawType: 7, keyVersion: 0, valueVersion: null, coordinatorEpoch: null });
  });
});
