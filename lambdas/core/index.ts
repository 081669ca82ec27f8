/**
 * The library's public entry (`coordinator-recovery`): the toolkit a caller (the CLI, the
 * Lambdas, a TypeScript user) may rely on. Modules keep their own index files; this one gathers
 * them. The runbook's step logic and documents are a subpath of their own
 * (`coordinator-recovery/workflow`, `workflow/index.ts`), the kafkajs adapter another
 * (`coordinator-recovery/kafka`).
 */
export * from './errors.ts';
export type * from './model.ts';
export * from './ports.ts';
export * from './bytes/index.ts';
export * from './hash.ts';
export * from './schema/index.ts';
export * from './offsets-records/index.ts';
export * from './record-batch/index.ts';
// Both codecs name their options DecodeOptions; the bare name stays the record codec's.
export type { DecodeOptions, DecodeOptions as OffsetsRecordDecodeOptions } from './offsets-records/index.ts';
export type { DecodeOptions as RecordBatchDecodeOptions } from './record-batch/index.ts';
export * from './replay/index.ts';
export * from './scanner/index.ts';
export * from './operations/index.ts';
