/**
 * The runbook's step logic and JSON documents, published as `coordinator-recovery/workflow` for
 * code that reads the runbook's artifacts (plan, report, failure record) or drives the steps
 * itself. The internal plumbing (field validators, inline caps, name patterns, the cluster
 * layout probe) stays unexported.
 */
export * from './documents.ts';
export * from './input.ts';
export * from './step-inputs.ts';
export * from './diagnosis.ts';
export * from './planning.ts';
export * from './plan-text.ts';
export * from './approval-message.ts';
export * from './approval-link.ts';
export * from './seeding.ts';
export * from './verification.ts';
export * from './report.ts';
export * from './log-phrases.ts';
export * from './playbook.ts';
