import { describe, expect, it } from 'vitest';
import type { DiagnoseOutput, GroupPlan, RecoveryPlan } from '../../../../lambdas/core/workflow/documents.ts';
import { buildReport, decideOutcome } from '../../../../lambdas/core/workflow/report.ts';
import { CLUSTER_ARN, EXECUTION_ARN, request } from './fixtures.ts';

function groupPlan(source: string, target: string, blocked = false): GroupPlan {
  return {
    sourceGroup: source,
    targetGroup: target,
    restore: 'NEW_GROUP',
    targetNameSource: 'suggested',
    target: { partition: 1, brokerId: 2, brokerHost: 'b-2:9098' },
    targetState: { state: 'Dead', members: 0 },
    offsets: [{ topic: 'orders', partition: 0, offset: '5', leaderEpoch: -1, metadata: '', logStartOffset: '0', logEndOffset: '9', lag: '4', status: 'OK' }],
    existingTargetOffsets: [],
    blocked,
    blockedReason: blocked ? 'target busy' : null,
    warnings: [],
    totalLag: '4',
  };
}

function plan(groups: GroupPlan[]): RecoveryPlan {
  return { planId: 'p', executionArn: EXECUTION_ARN, clusterArn: CLUSTER_ARN, createdAt: 'now', window: { since: 0, until: 1 }, overwriteExistingTargetOffsets: false, restoreInPlace: false, groups, warnings: [] };
}

const diagnosis = {
  request: request(),
  cluster: { clusterArn: CLUSTER_ARN, clusterName: 'orders', state: 'ACTIVE', kafkaVersion: '3.9.x', brokerLogGroup: 'g', brokers: [], offsetsPartitionCount: 50 },
  verdict: 'COORDINATOR_FAILED',
  evidence: [],
  findings: [],
  logSearch: { logGroup: 'g', window: { since: 0, until: 1 }, pages: 1, events: 2, throttledRetries: 0, truncated: false, stoppedBy: null },
  liveChecks: [],
  failingBrokers: [2],
  failedShards: [17],
  shards: [{ partition: 17, brokerId: 2, groups: null }],
  groups: [],
  artifactPrefixes: { groupResults: 'executions/m/e/groups/', readOffsetsResults: 'executions/m/e/read-offsets/map-run' },
} satisfies DiagnoseOutput;

describe('report', () => {
  it('decides the outcome from what was verified', () => {
    const two = plan([groupPlan('a', 'a-r'), groupPlan('b', 'b-r')]);
    const ok = (t: string) => ({ targetGroup: t, ok: true, matched: 1, mismatches: [], error: null });
    expect(decideOutcome({ plan: null, seed: null, verify: null })).toBe('NOTHING_TO_RECOVER');
    expect(decideOutcome({ plan: two, seed: null, verify: { ok: true, groups: [ok('a-r'), ok('b-r')] } })).toBe('RECOVERED');
    expect(decideOutcome({ plan: two, seed: null, verify: { ok: false, groups: [ok('a-r'), { ...ok('b-r'), ok: false }] } })).toBe('PARTIALLY_RECOVERED');
    expect(decideOutcome({ plan: plan([groupPlan('a', 'a-r'), groupPlan('b', 'b-r', true)]), seed: null, verify: { ok: true, groups: [ok('a-r')] } })).toBe('PARTIALLY_RECOVERED');
    expect(decideOutcome({ plan: two, seed: null, verify: null })).toBe('NOT_RECOVERED');
    // A group whose offsets could not be read is not recovered, whatever happened to the others.
    const unread = { groupId: 'c', partition: 17, error: 'RecoveryError.NOT_FOUND', cause: 'No scan result for group "c"' };
    expect(decideOutcome({ plan: { ...two, unreadGroups: [unread] }, seed: null, verify: { ok: true, groups: [ok('a-r'), ok('b-r')] } })).toBe('PARTIALLY_RECOVERED');
    expect(decideOutcome({ plan: { ...plan([]), unreadGroups: [unread] }, seed: null, verify: null })).toBe('NOT_RECOVERED');
  });

  it('names each group whose offsets could not be read, with its shard and error', () => {
    const unread = { groupId: 'c', partition: 17, error: 'RecoveryError.NOT_FOUND', cause: 'No scan result for group "c"' };
    const report = buildReport({
      request: request(),
      diagnosis,
      shardScans: [],
      plan: { ...plan([groupPlan('a', 'a-r')]), unreadGroups: [unread] },
      approval: null,
      seed: { planSha256: 'x', ok: true, groups: [{ sourceGroup: 'a', targetGroup: 'a-r', coordinatorBrokerId: 2, status: 'SEEDED', committed: 1, errors: [], error: null }] },
      verify: { ok: true, groups: [{ targetGroup: 'a-r', ok: true, matched: 1, mismatches: [], error: null }] },
      now: new Date(),
    });
    expect(report.outcome).toBe('PARTIALLY_RECOVERED');
    expect(report.unreadGroups).toEqual([unread]);
    expect(report.text).toContain('Not recovered, their offsets could not be read (1):\nc (__consumer_offsets-17): RecoveryError.NOT_FOUND: No scan result for group "c"');
  });

  it('says what happened and what to do next', () => {
    const report = buildReport({
      request: request(),
      diagnosis,
      shardScans: [
        {
          partition: 17,
          groups: [
            { groupId: 'a', topics: ['orders'], protocolType: 'consumer', state: 'Stable', subscribedTopics: ['orders'], lastCommitTimestamp: null },
            { groupId: 'z', topics: [], protocolType: 'consumer', state: 'Empty', subscribedTopics: [], lastCommitTimestamp: null },
          ],
          scan: {} as never,
        },
      ],
      plan: plan([groupPlan('a', 'a-r')]),
      approval: { approved: true, planSha256: 'x', approvedBy: 'ann', approvedAt: '2026-11-24T22:00:00Z', channel: 'link', approvalId: '1', comment: null },
      seed: { planSha256: 'x', ok: true, groups: [{ sourceGroup: 'a', targetGroup: 'a-r', coordinatorBrokerId: 2, status: 'SEEDED', committed: 1, errors: [], error: null }] },
      verify: { ok: true, groups: [{ targetGroup: 'a-r', ok: true, matched: 1, mismatches: [], error: null }] },
      now: new Date('2026-11-24T22:05:00Z'),
    });
    expect(report.outcome).toBe('RECOVERED');
    expect(report.affectedGroups).toEqual(['a', 'z']);
    expect(report.affectedTopics).toEqual(['orders']);
    expect(report.groups).toEqual([{ sourceGroup: 'a', targetGroup: 'a-r', restore: 'NEW_GROUP', seeded: 'SEEDED', verified: true }]);
    expect(report.text).toContain('Diagnosis: COORDINATOR_FAILED; failed shards: __consumer_offsets-17; failing brokers: 2');
    expect(report.text).toContain('Approved by ann at 2026-11-24T22:00:00Z via link');
    expect(report.text).toContain('a -> a-r (new group): 1 partition(s)');
    expect(report.text).toContain('next: restart the consumers of a with group.id = a-r');
  });

  it('says a group restored in place was restored into itself, and that its consumers restart unchanged', () => {
    const inPlace: GroupPlan = { ...groupPlan('a', 'a'), restore: 'IN_PLACE', targetNameSource: 'source' };
    const report = buildReport({
      request: request({ restoreInPlace: true }),
      diagnosis: { ...diagnosis, verdict: 'OFFSETS_LOST_ON_LOAD' },
      shardScans: [],
      plan: { ...plan([inPlace]), restoreInPlace: true },
      approval: null,
      seed: { planSha256: 'x', ok: true, groups: [{ sourceGroup: 'a', targetGroup: 'a', coordinatorBrokerId: 2, status: 'SEEDED', committed: 1, errors: [], error: null }] },
      verify: { ok: true, groups: [{ targetGroup: 'a', ok: true, matched: 1, mismatches: [], error: null }] },
      now: new Date('2026-11-24T22:05:00Z'),
    });
    expect(report.outcome).toBe('RECOVERED');
    expect(report.groups).toEqual([{ sourceGroup: 'a', targetGroup: 'a', restore: 'IN_PLACE', seeded: 'SEEDED', verified: true }]);
    expect(report.text).toContain('a (restored in place): 1 partition(s)');
    expect(report.text).toContain('next: restart the consumers of a unchanged; they resume from the restored offsets');
    expect(report.text).not.toContain('group.id =');
    expect(report.text).toContain('Every group was restored in place; its consumers keep their group ids.');
  });

  it('explains an inconclusive diagnosis instead of calling it healthy', () => {
    const report = buildReport({
      request: request(),
      diagnosis: { ...diagnosis, verdict: 'INCONCLUSIVE', shards: [], evidence: [{ kind: 'LIVE', message: 'group a: FindCoordinator failed: connection refused', partition: 1, brokerId: null }] },
      shardScans: [],
      plan: null,
      approval: null,
      seed: null,
      verify: null,
      now: new Date(),
    });
    expect(report.outcome).toBe('NOTHING_TO_RECOVER');
    expect(report.text).toContain('  - group a: FindCoordinator failed: connection refused');
    expect(report.text).toMatch(/inconclusive.*check connectivity/);
  });

  it('names what stopped a cut-short log search: the page cap or the deadline', () => {
    const text = (logSearch: DiagnoseOutput['logSearch']): string =>
      buildReport({ request: request(), diagnosis: { ...diagnosis, logSearch }, shardScans: [], plan: null, approval: null, seed: null, verify: null, now: new Date() }).text;
    const cut = { ...diagnosis.logSearch, pages: 500, truncated: true };
    expect(text({ ...cut, stoppedBy: 'PAGE_CAP' })).toContain('Broker-log lines: 2 in 500 page(s) (search stopped at the page cap before the end of the window)');
    expect(text({ ...cut, stoppedBy: 'DEADLINE' })).toContain('Broker-log lines: 2 in 500 page(s) (search stopped at its deadline before the end of the window)');
    expect(text(diagnosis.logSearch)).toMatch(/Broker-log lines: 2 in 1 page\(s\)\n/);
  });
});
