/**
 * Step outputs travel in the execution state (256 KiB in all); a plan with thousands of failing
 * partitions must not break the run that reports them. Lists are cut, counts kept.
 */
import { MAX_INLINE_PARTITION_ENTRIES, type GroupSeedResult, type GroupVerification } from './documents.ts';

export function capSeedResult(result: GroupSeedResult, limit = MAX_INLINE_PARTITION_ENTRIES): GroupSeedResult {
  if (result.errors.length <= limit) return result;
  return { ...result, errors: result.errors.slice(0, limit), errorCount: result.errors.length };
}

export function capVerification(result: GroupVerification, limit = MAX_INLINE_PARTITION_ENTRIES): GroupVerification {
  if (result.mismatches.length <= limit) return result;
  return { ...result, mismatches: result.mismatches.slice(0, limit), mismatchCount: result.mismatches.length };
}
