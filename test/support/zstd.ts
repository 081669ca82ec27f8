/** A real zstd compressor (the zstd reference library compiled to WebAssembly), as the local cluster uses it. */
import { offsetsTopicCompression } from '../../local/kafka/offsets-compression.ts';

export async function zstdCompressor(): Promise<(records: Buffer) => Buffer> {
  return (await offsetsTopicCompression('zstd')).compress!;
}
