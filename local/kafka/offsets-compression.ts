/**
 * The broker setting `offsets.topic.compression.codec`: how the group coordinator compresses
 * the batches it writes to `__consumer_offsets`. zstd comes from the zstd reference library
 * compiled to WebAssembly (a development dependency, loaded only when a cluster asks for it).
 */
import { invalidInput } from '../../lambdas/core/errors.ts';
import type { Compression } from '../../lambdas/core/record-batch/index.ts';

export const OFFSETS_TOPIC_CODECS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface OffsetsTopicCompression {
  codec: Compression;
  /** Set for zstd, which the record-batch writer cannot compress by itself. */
  compress?: (records: Buffer) => Buffer;
}

export async function offsetsTopicCompression(codec: string | undefined): Promise<OffsetsTopicCompression> {
  const chosen = codec ?? 'none';
  if (!(OFFSETS_TOPIC_CODECS as readonly string[]).includes(chosen)) {
    throw invalidInput('offsetsTopicCompressionCodec', `"${chosen}" is not a codec Kafka writes`, `Use one of ${OFFSETS_TOPIC_CODECS.join(', ')}.`);
  }
  if (chosen !== 'zstd') return { codec: chosen as Compression };
  const zstdWasm = await import('@bokuweb/zstd-wasm');
  await zstdWasm.init();
  return { codec: 'zstd', compress: (records) => Buffer.from(zstdWasm.compress(records, 3)) };
}
