/**
 * The record sections Kafka compresses: gzip (node:zlib), snappy (xerial framing as the Java
 * client writes it, or a raw block as librdkafka writes it; blocks by snappyjs), lz4 (the LZ4
 * frame format; blocks decoded here, written by lz4js) and zstd (frames by fzstd). All pure
 * JavaScript, so the Lambda bundles need nothing native.
 *
 * Every size a header declares is held against `limit` before anything is allocated from it,
 * and output is counted as it is produced: a small hostile frame cannot make the decoder
 * allocate or loop beyond `limit` bytes of output.
 */
import { createRequire } from 'node:module';
import { Script, createContext } from 'node:vm';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as snappy from 'snappyjs';
import { Decompress as ZstdStream } from 'fzstd';

/** A compressed section that is damaged or would decompress to more than the limit. */
export class DecompressionRefused extends Error {}

export type CompressionCodec = 'gzip' | 'snappy' | 'lz4' | 'zstd';

export function decompressRecords(codec: CompressionCodec, data: Buffer, limit: number): Buffer {
  switch (codec) {
    case 'gzip':
      try {
        return gunzipSync(data, { maxOutputLength: limit });
      } catch (error) {
        throw new DecompressionRefused(`gzip: ${(error as Error).message}`);
      }
    case 'snappy':
      return snappyDecompress(data, limit);
    case 'lz4':
      return lz4Decompress(data, limit);
    case 'zstd':
      return zstdDecompress(data, limit);
  }
}

/** The writers, for the local cluster, tests and benchmarks; zstd needs a compressor passed in (see encode.ts). */
export function compressRecords(codec: Exclude<CompressionCodec, 'zstd'>, data: Buffer): Buffer {
  switch (codec) {
    case 'gzip':
      return gzipSync(data);
    case 'snappy':
      return xerialSnappy(data);
    case 'lz4':
      return Buffer.from(lz4js().compress(data));
  }
}

/**
 * lz4js is loaded on first use, by writers only: merely loading it into a process was measured
 * to slow RecordBatch decoding by about 15% (6.6M -> 5.5M records per CPU-second), and the
 * decoders never need it.
 */
function lz4js(): typeof import('lz4js') {
  return createRequire(import.meta.url)('lz4js') as typeof import('lz4js');
}

// --- snappy -------------------------------------------------------------------------------

/** The Java client's SnappyOutputStream header: magic, then version 1 and compatible version 1. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_LENGTH = 16;
const XERIAL_CHUNK = 32 * 1024;

function snappyDecompress(data: Buffer, limit: number): Buffer {
  if (!(data.length >= XERIAL_HEADER_LENGTH && data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC))) {
    return Buffer.from(snappyBlock(data, limit));
  }
  const chunks: Uint8Array[] = [];
  let produced = 0;
  let at = XERIAL_HEADER_LENGTH;
  while (at < data.length) {
    if (at + 4 > data.length) throw new DecompressionRefused(`snappy: a chunk length is cut off at byte ${at}`);
    const length = data.readInt32BE(at);
    at += 4;
    if (length < 0 || at + length > data.length) throw new DecompressionRefused(`snappy: chunk of ${length} bytes with ${data.length - at} left`);
    const chunk = snappyBlock(data.subarray(at, at + length), limit - produced);
    produced += chunk.length;
    chunks.push(chunk);
    at += length;
  }
  return Buffer.concat(chunks, produced);
}

function snappyBlock(block: Uint8Array, limit: number): Uint8Array {
  try {
    return snappy.uncompress(block, limit);
  } catch (error) {
    throw new DecompressionRefused(`snappy: ${(error as Error).message}`);
  }
}

function xerialSnappy(data: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_LENGTH);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let at = 0; at < data.length; at += XERIAL_CHUNK) {
    const block = Buffer.from(snappy.compress(data.subarray(at, at + XERIAL_CHUNK)));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

// --- lz4 ----------------------------------------------------------------------------------

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_SIZES: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };
const LZ4_UNCOMPRESSED_BIT = 0x80000000;
const LZ4_MIN_MATCH = 4;

/**
 * The frame is walked here (sizes, flags) and every block's output length is computed from its
 * token stream before a byte is written, so a block claiming more than the limit, or a match
 * reaching before the start of the output, is refused instead of decoded.
 */
function lz4Decompress(data: Buffer, limit: number): Buffer {
  if (data.length < 7 || data.readUInt32LE(0) !== LZ4_MAGIC) throw new DecompressionRefused('lz4: not an LZ4 frame (magic 0x184D2204)');
  const flags = data[4]!;
  if ((flags & 0xc0) !== 0x40) throw new DecompressionRefused(`lz4: frame version ${(flags >> 6) & 3} is not 1`);
  const blockChecksums = (flags & 0x10) !== 0;
  const contentSize = (flags & 0x08) !== 0;
  const dictionary = (flags & 0x01) !== 0;
  const blockMax = LZ4_BLOCK_SIZES[(data[5]! >> 4) & 7];
  if (blockMax === undefined) throw new DecompressionRefused(`lz4: invalid block size code ${(data[5]! >> 4) & 7}`);
  let at = 6 + (contentSize ? 8 : 0) + (dictionary ? 4 : 0) + 1; // descriptor, then its checksum byte

  const blocks: { start: number; length: number; compressed: boolean; output: number }[] = [];
  let total = 0;
  for (;;) {
    if (at + 4 > data.length) throw new DecompressionRefused('lz4: the frame ends without an end mark');
    const word = data.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const compressed = (word & LZ4_UNCOMPRESSED_BIT) === 0;
    const length = word & ~LZ4_UNCOMPRESSED_BIT & 0x7fffffff;
    if (length > blockMax || at + length > data.length) throw new DecompressionRefused(`lz4: block of ${length} bytes (max ${blockMax}) with ${data.length - at} left`);
    const output = compressed ? lz4Block(data, at, length, total, Math.min(blockMax, limit - total)) : length;
    total += output;
    if (total > limit) throw new DecompressionRefused(`lz4: decompresses to more than ${limit} bytes`);
    blocks.push({ start: at, length, compressed, output });
    at += length + (blockChecksums ? 4 : 0);
  }
  const out = Buffer.allocUnsafe(total);
  let written = 0;
  for (const block of blocks) {
    written += block.compressed ? lz4Block(data, block.start, block.length, written, block.output, out) : data.copy(out, written, block.start, block.start + block.length);
  }
  if (written !== total) throw new DecompressionRefused(`lz4: decoded ${written} bytes where the blocks give ${total}`);
  return out;
}

/**
 * Reads one block's sequences, refusing any length or match offset out of range; with `out` it
 * also writes the block there at `before` (the bytes the frame's earlier blocks produced, which
 * its matches may reach into). Returns the block's output length. Called once without `out` to
 * size the frame, then again to write it, so nothing is written from an unchecked sequence.
 */
function lz4Block(src: Buffer, start: number, length: number, before: number, max: number, out?: Buffer): number {
  const end = start + length;
  let at = start;
  let produced = 0;
  while (at < end) {
    const token = src[at++]!;
    let literals = token >> 4;
    if (literals === 15) {
      let more: number;
      do {
        if (at >= end) throw new DecompressionRefused('lz4: a literal length runs past the block');
        more = src[at++]!;
        literals += more;
      } while (more === 255);
    }
    if (at + literals > end) throw new DecompressionRefused('lz4: literals run past the block');
    if (produced + literals > max) throw new DecompressionRefused(`lz4: a block decompresses to more than ${max} bytes`);
    if (out) src.copy(out, before + produced, at, at + literals);
    at += literals;
    produced += literals;
    if (at === end) break; // the last sequence has literals only
    if (at + 2 > end) throw new DecompressionRefused('lz4: a match offset is cut off');
    const offset = src[at]! | (src[at + 1]! << 8);
    at += 2;
    if (offset === 0 || offset > before + produced) throw new DecompressionRefused(`lz4: match offset ${offset} reaches before the data`);
    let match = token & 15;
    if (match === 15) {
      let more: number;
      do {
        if (at >= end) throw new DecompressionRefused('lz4: a match length runs past the block');
        more = src[at++]!;
        match += more;
      } while (more === 255);
    }
    match += LZ4_MIN_MATCH;
    if (produced + match > max) throw new DecompressionRefused(`lz4: a block decompresses to more than ${max} bytes`);
    if (out) {
      const to = before + produced;
      let from = to - offset;
      // A match may overlap its own output (offset < length): then it repeats byte by byte.
      if (offset >= match) out.copy(out, to, from, from + match);
      else for (let o = to, stop = to + match; o < stop; ) out[o++] = out[from++]!;
    }
    produced += match;
  }
  return produced;
}

// --- zstd ---------------------------------------------------------------------------------

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 * 1024;

/**
 * fzstd sizes its window (and, when given, the whole output) from frame headers, so every
 * frame's header is checked against the limit first; the stream then counts what it produces.
 */
function zstdDecompress(data: Buffer, limit: number): Buffer {
  checkZstdFrames(data, limit);
  const chunks: Uint8Array[] = [];
  let produced = 0;
  const stream = new ZstdStream((chunk) => {
    produced += chunk.length;
    if (produced > limit) throw new DecompressionRefused(`zstd: decompresses to more than ${limit} bytes`);
    chunks.push(chunk);
  });
  try {
    withinTime(() => stream.push(data, true), zstdTimeLimitMs(limit));
  } catch (error) {
    if (error instanceof DecompressionRefused) throw error;
    if ((error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new DecompressionRefused(`zstd: still decoding after ${zstdTimeLimitMs(limit)} ms (a damaged Huffman table can make the decoder loop)`);
    }
    throw new DecompressionRefused(`zstd: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks, produced);
}

/**
 * fzstd does not bound the number of Huffman weights it reads (libzstd stops at 255), so some
 * damaged frames make it loop forever, found by the fuzz test. A vm timeout interrupts even a
 * synchronous loop, so such a frame is refused instead of stopping the scan. The time allowed
 * follows the decompression limit, so a small damaged frame costs a quarter of a second, not
 * seconds: 16 bytes per ms is over ten times slower than fzstd decodes on a loaded machine, and
 * the default 64 MiB limit gets about 4.4 s.
 */
export function zstdTimeLimitMs(maxDecompressedBytes: number): number {
  return 250 + Math.ceil(maxDecompressedBytes / 16_384);
}
const timedContext = createContext({ task: null as (() => void) | null });
const runTask = new Script('task()');

function withinTime(task: () => void, ms: number): void {
  timedContext['task'] = task;
  try {
    runTask.runInContext(timedContext, { timeout: ms });
  } finally {
    timedContext['task'] = null;
  }
}

function checkZstdFrames(data: Buffer, limit: number): void {
  let at = 0;
  if (data.length === 0) throw new DecompressionRefused('zstd: no frame');
  while (at < data.length) {
    if (at + 8 > data.length) throw new DecompressionRefused(`zstd: a frame header is cut off at byte ${at}`);
    const magic = data.readUInt32LE(at);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // A skippable frame: its length follows the magic.
      at += 8 + data.readUInt32LE(at + 4);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new DecompressionRefused(`zstd: bad frame magic 0x${magic.toString(16)} at byte ${at}`);
    const descriptor = data[at + 4]!;
    const sizeFlag = descriptor >> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    const checksum = (descriptor & 0x04) !== 0;
    const dictionaryBytes = [0, 1, 2, 4][descriptor & 3]!;
    let cursor = at + 5;
    let window = 0;
    if (!singleSegment) {
      const exponent = data[cursor]! >> 3;
      const base = 2 ** (10 + exponent);
      window = base + (base / 8) * (data[cursor]! & 7);
      cursor++;
    }
    cursor += dictionaryBytes;
    const sizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 2 ** sizeFlag;
    if (cursor + sizeBytes > data.length) throw new DecompressionRefused('zstd: a frame header is cut off');
    let contentSize = -1;
    if (sizeBytes === 1) contentSize = data[cursor]!;
    else if (sizeBytes === 2) contentSize = data.readUInt16LE(cursor) + 256;
    else if (sizeBytes === 4) contentSize = data.readUInt32LE(cursor);
    else if (sizeBytes === 8) contentSize = Number(data.readBigUInt64LE(cursor));
    cursor += sizeBytes;
    if (window > limit || contentSize > limit) {
      throw new DecompressionRefused(`zstd: a frame declares ${contentSize >= 0 ? `${contentSize} bytes of content` : `a ${window}-byte window`}, more than the limit of ${limit}`);
    }
    // Blocks: a 3-byte header each (last flag, type, size); RLE blocks hold one byte.
    for (;;) {
      if (cursor + 3 > data.length) throw new DecompressionRefused('zstd: a block header is cut off');
      const header = data[cursor]! | (data[cursor + 1]! << 8) | (data[cursor + 2]! << 16);
      cursor += 3;
      const last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >> 3;
      if (type === 3 || size > ZSTD_BLOCK_MAX) throw new DecompressionRefused(`zstd: invalid block (type ${type}, size ${size})`);
      cursor += type === 1 ? 1 : size;
      if (cursor > data.length) throw new DecompressionRefused('zstd: a block runs past the data');
      if (last) break;
    }
    at = cursor + (checksum ? 4 : 0);
  }
}
