import { describe, expect, it } from 'vitest';
import { capSeedResult, capVerification } from '../../../../lambdas/core/workflow/inline-limits.ts';

describe('inline limits', () => {
  it('cuts long per-partition lists and keeps the count', () => {
    const errors = Array.from({ length: 120 }, (_, p) => ({ topic: 't', partition: p, errorName: 'UNKNOWN_TOPIC_OR_PARTITION' }));
    const seed = capSeedResult({ sourceGroup: 's', targetGroup: 't', coordinatorBrokerId: 1, status: 'FAILED', committed: 0, errors, error: null });
    expect(seed.errors).toHaveLength(50);
    expect(seed.errorCount).toBe(120);
    const short = { sourceGroup: 's', targetGroup: 't', coordinatorBrokerId: 1, status: 'SEEDED' as const, committed: 1, errors: [], error: null };
    expect(capSeedResult(short)).toBe(short);

    const mismatches = Array.from({ length: 51 }, (_, p) => ({ topic: 't', partition: p, expected: '1', actual: null }));
    const verification = capVerification({ targetGroup: 't', ok: false, matched: 0, mismatches, error: null });
    expect(verification.mismatches).toHaveLength(50);
    expect(verification.mismatchCount).toBe(51);
  });
});
