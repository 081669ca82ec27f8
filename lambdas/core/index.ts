/**
 * The library's public entry: everything of lambdas/core a caller (the CLI, the Lambdas, a
 * TypeScript user) may rely on. Modules keep their own index files; this one gathers them.
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
// The workflow steps' logic and documents (planning, seeding, verification, report, approval).
export * from './workflow/approval-link.ts';
export * from './workflow/approval-message.ts';
export * from './workflow/cluster-layout.ts';
export * from './workflow/diagnosis.ts';
export * from './workflow/documents.ts';
export * from './workflow/fields.ts';
export * from './workflow/input.ts';
export * from './workflow/plan-text.ts';
export * from './workflow/planning.ts';
export * from './workflow/report.ts';
export * from './workflow/seeding.ts';
export * from './workflow/step-inputs.ts';
export * from './workflow/verification.ts';
