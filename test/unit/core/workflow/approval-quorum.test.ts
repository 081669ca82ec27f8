import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addApproval, linkDecisions, linkRefusal, parseApprovalSettings, type ApprovalSlotStore, type QuorumResult, type RecordedApproval } from '../../../../lambdas/core/workflow/approval-quorum.ts';

/** Slots as S3 keeps them with If-None-Match: *, each operation yielding so that calls interleave. */
function memorySlots(): ApprovalSlotStore & { slots: Map<number, RecordedApproval> } {
  const slots = new Map<number, RecordedApproval>();
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    slots,
    read: async (slot) => {
      await tick();
      return slots.get(slot) ?? null;
    },
    create: async (slot, approval) => {
      await tick();
      if (slots.has(slot)) return false;
      slots.set(slot, approval);
      return true;
    },
    release: async (slot) => {
      slots.delete(slot);
    },
  };
}

const approval = (principalArn: string): RecordedApproval => ({ principalArn, at: '2026-12-05T22:00:00.000Z', comment: null });

describe('approval quorum', () => {
  it('completes once, with distinct principals, however concurrent approvals interleave', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('arn:a', 'arn:b', 'arn:c'), { minLength: 1, maxLength: 8 }), fc.constantFrom(1, 2), async (principals, required) => {
        const store = memorySlots();
        const results: QuorumResult[] = await Promise.all(principals.map((p) => addApproval(store, approval(p), required)));
        const complete = results.filter((r) => r.kind === 'COMPLETE');
        const distinct = new Set(principals).size;
        expect(complete).toHaveLength(distinct >= required ? 1 : 0);
        for (const c of complete) expect(new Set(c.approvals.map((a) => a.principalArn)).size).toBe(required);
        expect(new Set([...store.slots.values()].map((a) => a.principalArn)).size).toBe(store.slots.size);
      }),
      { numRuns: 200 },
    );
  });

  it('tells a second approval by the same principal apart from a finished quorum', async () => {
    const store = memorySlots();
    expect(await addApproval(store, approval('arn:a'), 2)).toMatchObject({ kind: 'WAITING', missing: 1 });
    expect(await addApproval(store, approval('arn:a'), 2)).toMatchObject({ kind: 'DUPLICATE' });
    expect(await addApproval(store, approval('arn:b'), 2)).toMatchObject({ kind: 'COMPLETE', slot: 2 });
    expect(await addApproval(store, approval('arn:c'), 2)).toMatchObject({ kind: 'ALREADY_COMPLETE' });
  });

  it('lets the link decide only what the mode allows, and refuses two approvers with links alone', () => {
    expect(linkDecisions(parseApprovalSettings(undefined, undefined))).toEqual(['approve', 'reject']);
    expect(linkDecisions(parseApprovalSettings('iam', '1'))).toEqual([]);
    expect(linkDecisions(parseApprovalSettings('both', '2'))).toEqual(['reject']);
    expect(linkRefusal(parseApprovalSettings('both', '1'), 'approve')).toBeNull();
    expect(linkRefusal(parseApprovalSettings('iam', '1'), 'reject')).toContain('recovery:approvalMode is iam');
    expect(() => parseApprovalSettings('link', '2')).toThrow(/recovery:approvalMode iam or both/);
    expect(() => parseApprovalSettings('sso', '1')).toThrow(/APPROVAL_MODE is "sso"/);
    expect(() => parseApprovalSettings('iam', '3')).toThrow(/use 1 or 2/);
  });
});
