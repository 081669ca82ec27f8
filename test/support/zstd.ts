/** A real zstd compressor (the zstd reference library compiled to WebAssembly) for writing test and local-cluster batches. */
import zstdWasm from '@bokuweb/zstd-wasm';

let ready: Promise<void> | undefined;

export async function zstdCompressor(level = 3): Promise<(records: Buffer) => Buffer> {
  ready ??= zstdWasm.init();
  await ready;
  return (records) => Buffer.from(zstdWasm.compress(records, level));
}
