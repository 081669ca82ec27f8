import { describe, expect, it } from 'vitest';
import { MAX_INCIDENT_EVIDENCE, parseApprovalIncident, timeLeft } from '../../../../lambdas/core/workflow/approval-incident.ts';

describe('approval incident', () => {
  it('keeps the verdict, evidence and per-shard groups and topics, sorted by broker then shard', () => {
    const incident = parseApprovalIncident({
      diagnosis: { verdict: 'COORDINATOR_FAILED', evidence: [{ kind: 'LOG', message: 'failed to load', partition: 17, brokerId: 2 }], findings: [] },
      blastRadius: [
        { partition: 30, brokerId: 3, affectedGroups: ['b'], topics: ['t2'], groupsToRecover: ['b'], detail: {} },
        { partition: 17, brokerId: 2, affectedGroups: ['a'], topics: ['t1'], groupsToRecover: ['a'], detail: {} },
      ],
    });
    expect(incident).toEqual({
      verdict: 'COORDINATOR_FAILED',
      evidence: [{ kind: 'LOG', message: 'failed to load', partition: 17, brokerId: 2 }],
      shards: [
        { partition: 17, brokerId: 2, groups: ['a'], topics: ['t1'] },
        { partition: 30, brokerId: 3, groups: ['b'], topics: ['t2'] },
      ],
    });
  });

  it('drops what it cannot read instead of failing the approval request', () => {
    expect(parseApprovalIncident(undefined)).toBeNull();
    const incident = parseApprovalIncident({ diagnosis: { verdict: 'MAYBE', evidence: [{ message: 3 }, 'x'] }, blastRadius: [{ partition: 'x' }, null] });
    expect(incident).toEqual({ verdict: null, evidence: [], shards: [] });
    const many = parseApprovalIncident({ diagnosis: { evidence: Array.from({ length: 100 }, (_, i) => ({ kind: 'LIVE', message: `m${i}` })) } });
    expect(many?.evidence).toHaveLength(MAX_INCIDENT_EVIDENCE);
  });

  it('tells the time left to decide', () => {
    const now = Date.parse('2026-12-05T10:00:00Z');
    expect(timeLeft(now + 40 * 60_000, now)).toBe('40 min');
    expect(timeLeft(now + (3 * 60 + 12) * 60_000, now)).toBe('3 h 12 min');
    expect(timeLeft(now + (26 * 60) * 60_000, now)).toBe('1 d 2 h');
    expect(timeLeft(now + 30_000, now)).toBe('less than a minute');
    expect(timeLeft(now - 1, now)).toBe('expired');
  });
});
