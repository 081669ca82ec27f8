import { describe, expect, it } from 'vitest';
import type { RecoveryPlan } from '../../../../lambdas/core/workflow/documents.ts';
import { planTargets, suggestedName, summarizePlan } from '../../../../lambdas/core/workflow/planning.ts';
import { SEED_CONCURRENCY, seedPlan } from '../../../../lambdas/core/workflow/seeding.ts';
import { verifyPlan } from '../../../../lambdas/core/workflow/verification.ts';
import { renderApprovalMessage } from '../../../../lambdas/core/workflow/approval-message.ts';
import { ShardFailingKafka, recovery, request } from './fixtures.ts';

const NOW = new Date('2026-11-24T22:00:00Z');

function cluster(): { kafka: ShardFailingKafka; source: string; brokenShard: number; failingBroker: number } {
  const kafka = new ShardFailingKafka({ brokers: 3, offsetsPartitions: 12 });
  kafka.createTopic('orders', 2);
  kafka.createTopic('payments', 1);
  const brokenShard = 4;
  kafka.failedShards.add(brokenShard);
  return { kafka, source: kafka.groupOnShard(brokenShard, 'billing'), brokenShard, failingBroker: kafka.leaderOf(brokenShard) };
}

function sourceRecovery(source: string, shard: number) {
  return recovery(source, shard, [
    { topic: 'orders', partition: 0, offset: 14921n, logEnd: 15000n },
    { topic: 'orders', partition: 1, offset: 15004n, logEnd: 15004n },
    { topic: 'payments', partition: 0, offset: 8830n, logStart: 9000n, logEnd: 9100n },
  ]);
}

async function plan(kafka: ShardFailingKafka, source: string, brokenShard: number, failingBroker: number, overrides: Parameters<typeof request>[0] = {}, targetGroupPattern?: string): Promise<RecoveryPlan> {
  return planTargets(kafka, {
    ...(targetGroupPattern ? { targetGroupPattern } : {}),
    request: request({ groups: [source], ...overrides }),
    failedShards: [brokenShard],
    failingBrokers: [failingBroker],
    recoveries: [sourceRecovery(source, brokenShard)],
    planId: 'plan-1',
    now: NOW,
  });
}

describe('planTargets', () => {
  it('suggests <group>-recovered-<n> on a healthy broker and shows offsets with lag and warnings', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const result = await plan(kafka, source, brokenShard, failingBroker);
    const group = result.groups[0]!;
    expect(group.targetGroup).toMatch(new RegExp(`^${source}-recovered-\\d+$`));
    expect(group.targetNameSource).toBe('suggested');
    expect(group.target.brokerId).not.toBe(failingBroker);
    expect(kafka.shardOf(group.targetGroup)).toBe(group.target.partition);
    // Every earlier candidate was skipped for a reason: it hashed onto the failing broker.
    const n = Number(group.targetGroup.split('-').pop());
    for (let i = 1; i < n; i++) expect(kafka.leaderOf(kafka.shardOf(suggestedName(source, i)))).toBe(failingBroker);
    expect(group.blocked).toBe(false);
    expect(group.offsets.map((o) => [o.topic, o.partition, o.offset, o.lag, o.status])).toEqual([
      ['orders', 0, '14921', '79', 'OK'],
      ['orders', 1, '15004', '0', 'OK'],
      ['payments', 0, '8830', null, 'BELOW_LOG_START'],
    ]);
    expect(group.warnings.some((w) => /below the log start/.test(w))).toBe(true);
    // Counts only: the summary travels in the state, the groups stay in the stored plan.
    expect(summarizePlan(result)).toEqual({ planId: 'plan-1', groups: 1, partitions: 3, blockedGroups: 0, unreadGroups: 0, warnings: 1 });
  });

  it('names the groups that could not be read in the plan and its warnings, and counts them in the summary', async () => {
    const { kafka, brokenShard, failingBroker } = cluster();
    const unread = [
      { groupId: 'zeta', partition: 3, error: 'RecoveryError.CORRUPT_DATA', cause: 'not valid JSON' },
      { groupId: 'alpha', partition: 3, error: 'RecoveryError.NOT_FOUND', cause: 'No scan result' },
    ];
    const result = await planTargets(kafka, { request: request(), failedShards: [brokenShard], failingBrokers: [failingBroker], recoveries: [], unreadGroups: unread, planId: 'p', now: new Date() });
    expect(result.unreadGroups!.map((g) => g.groupId)).toEqual(['alpha', 'zeta']);
    expect(result.warnings).toContain('2 group(s) could not be read and are not in this plan (alpha, zeta); the report names each with its error');
    expect(summarizePlan(result)).toMatchObject({ groups: 0, unreadGroups: 2 });
  });

  it('keeps suggestions and given names inside the stack\'s target group pattern', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const inside = await plan(kafka, source, brokenShard, failingBroker, {}, `${source}-recovered-?`);
    expect(inside.groups[0]).toMatchObject({ blocked: false, targetGroup: expect.stringMatching(new RegExp(`^${source}-recovered-\\d$`)) });

    const groupCalls = (from: number): string[] => kafka.calls.slice(from).filter((call) => call === 'describeGroup' || call === 'fetchCommittedOffsets');
    expect(groupCalls(0).length, 'a suggestion is inspected').toBeGreaterThan(0);
    const before = kafka.calls.length;
    const outside = await plan(kafka, source, brokenShard, failingBroker, {}, 'recovery-*');
    expect(outside.groups[0]!.blocked).toBe(true);
    expect(outside.groups[0]!.blockedReason).toMatch(/outside recovery:targetGroupPattern "recovery-\*"\. Give targetNames\./);
    // Told at once, without probing names IAM would refuse.
    expect(groupCalls(before)).toEqual([]);

    const given = await plan(kafka, source, brokenShard, failingBroker, { targetNames: { [source]: 'elsewhere' } }, '*-recovered-*');
    expect(given.groups[0]!.blockedReason).toMatch(new RegExp(`^targetNames\\.${source}: "elsewhere" is outside recovery:targetGroupPattern`));
  });

  it('blocks a given target that lands on the failing broker', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const bad = kafka.groupOnShard(brokenShard, 'target');
    const result = await plan(kafka, source, brokenShard, failingBroker, { targetNames: { [source]: bad } });
    expect(result.groups[0]).toMatchObject({ targetGroup: bad, targetNameSource: 'input', blocked: true });
    expect(result.groups[0]!.blockedReason).toMatch(new RegExp(`^targetNames\\.${source}: .*itself failed`));
    expect(result.warnings).toEqual(['Every group is blocked: approving writes nothing']);
  });

  it('blocks a target with active members', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const target = kafka.groupOnShard(kafka.leaderOf(0) === failingBroker ? 1 : 0, 'busy');
    kafka.members.set(target, 2);
    const result = await plan(kafka, source, brokenShard, failingBroker, { targetNames: { [source]: target } });
    expect(result.groups[0]!.blockedReason).toMatch(/2 active member\(s\)/);
  });

  it('shows existing target offsets as a diff and overwrites them only when asked', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const healthyShard = [...Array(12).keys()].find((p) => kafka.leaderOf(p) !== failingBroker)!;
    const target = kafka.groupOnShard(healthyShard, 'existing');
    await kafka.commitOffsets(target, [
      { topic: 'orders', partition: 0, offset: 14921n },
      { topic: 'orders', partition: 1, offset: 1n },
    ]);
    const refused = await plan(kafka, source, brokenShard, failingBroker, { targetNames: { [source]: target } });
    expect(refused.groups[0]!.existingTargetOffsets).toEqual([
      { topic: 'orders', partition: 0, existing: '14921', planned: '14921', change: 'SAME' },
      { topic: 'orders', partition: 1, existing: '1', planned: '15004', change: 'OVERWRITE' },
    ]);
    expect(refused.groups[0]!.blockedReason).toMatch(/overwriteExistingTargetOffsets/);

    const allowed = await plan(kafka, source, brokenShard, failingBroker, { targetNames: { [source]: target }, overwriteExistingTargetOffsets: true });
    expect(allowed.groups[0]!.blocked).toBe(false);
    expect(allowed.groups[0]!.warnings).toContain(`1 existing offset(s) of "${target}" will be overwritten`);
  });

  it('blocks a group with nothing recovered and tells how to widen the window', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const result = await planTargets(kafka, {
      request: request({ groups: [source] }),
      failedShards: [brokenShard],
      failingBrokers: [failingBroker],
      recoveries: [recovery(source, brokenShard, [])],
      planId: 'p',
      now: NOW,
    });
    expect(result.groups[0]!.blockedReason).toMatch(/widen it/);
  });
});

describe('seedPlan and verifyPlan', () => {
  it('seed and verify hundreds of groups several at a time (a Lambda\'s time is short), results in plan order', async () => {
    const { kafka, brokenShard, failingBroker } = cluster();
    const sources = Array.from({ length: 40 }, (_, i) => kafka.groupOnShard(brokenShard, `worker-${i}`));
    const many = await planTargets(kafka, {
      request: request({ groups: sources }),
      failedShards: [brokenShard],
      failingBrokers: [failingBroker],
      recoveries: sources.map((source) => sourceRecovery(source, brokenShard)),
      planId: 'plan-many',
      now: NOW,
    });
    // Every commit and OffsetFetch takes 5 ms; count how many are in flight at once.
    let inFlight = 0;
    let most = 0;
    const slowly = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      most = Math.max(most, ++inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return await call(...args);
      } finally {
        inFlight--;
      }
    };
    kafka.commitOffsets = slowly(kafka.commitOffsets.bind(kafka));
    kafka.fetchCommittedOffsets = slowly(kafka.fetchCommittedOffsets.bind(kafka));

    const seeded = await seedPlan(kafka, many);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(SEED_CONCURRENCY);
    expect(seeded.map((g) => g.sourceGroup)).toEqual(many.groups.map((g) => g.sourceGroup));
    expect(seeded.every((g) => g.status === 'SEEDED')).toBe(true);
    most = 0;
    const verified = await verifyPlan(kafka, many);
    expect(most).toBeGreaterThan(1);
    expect(verified.ok).toBe(true);
    expect(verified.groups.map((g) => g.targetGroup)).toEqual(many.groups.map((g) => g.targetGroup));
  });

  it('commits exactly the plan, verifies it, and a second run changes nothing', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const approved = await plan(kafka, source, brokenShard, failingBroker);
    const target = approved.groups[0]!.targetGroup;

    const first = await seedPlan(kafka, approved);
    expect(first).toEqual([{ sourceGroup: source, targetGroup: target, coordinatorBrokerId: approved.groups[0]!.target.brokerId, status: 'SEEDED', committed: 3, errors: [], error: null }]);
    expect([...kafka.committed.get(target)!.values()].map((o) => [o.topic, o.partition, o.offset])).toEqual([
      ['orders', 0, 14921n],
      ['orders', 1, 15004n],
      ['payments', 0, 8830n],
    ]);
    expect(await verifyPlan(kafka, approved)).toEqual({ ok: true, groups: [{ targetGroup: target, ok: true, matched: 3, mismatches: [], error: null }] });

    const again = await seedPlan(kafka, approved);
    expect(again[0]!.status).toBe('SEEDED');
    expect((await verifyPlan(kafka, approved)).ok).toBe(true);
    expect(kafka.committed.has(source)).toBe(false); // the broken group is never written
  });

  it('refuses to seed a target that changed after approval', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const approved = await plan(kafka, source, brokenShard, failingBroker);
    const target = approved.groups[0]!.targetGroup;
    await kafka.commitOffsets(target, [{ topic: 'orders', partition: 0, offset: 5n }]);
    const [result] = await seedPlan(kafka, approved);
    expect(result).toMatchObject({ status: 'FAILED', committed: 0 });
    expect(result!.error).toMatch(/changed after the plan was made.*orders-0 is now at 5/);
    expect(kafka.committed.get(target)!.size).toBe(1);
  });

  it('blocks a group before any write when retention moved a log start past a planned offset while the plan waited', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    kafka.setOffsets('orders', 0, 0n, 15000n);
    const approved = await plan(kafka, source, brokenShard, failingBroker);
    expect(approved.groups[0]!.offsets.find((o) => o.topic === 'orders' && o.partition === 0)!.status).toBe('OK');
    kafka.setOffsets('orders', 0, 14950n, 15000n);
    const [result] = await seedPlan(kafka, approved);
    expect(result).toMatchObject({ status: 'FAILED', committed: 0, errors: [] });
    expect(result!.error).toBe(
      'blocked before any write: 1 planned offset(s) fell below the log start since planning (orders-0 planned at 14921, log start now 14950); retention deleted records the group had not read. Start a new execution to plan again and decide on the gap',
    );
    expect(kafka.calls).not.toContain('commitOffsets');
  });

  it('refuses to seed when members joined the target since planning', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const approved = await plan(kafka, source, brokenShard, failingBroker);
    kafka.members.set(approved.groups[0]!.targetGroup, 1);
    const [result] = await seedPlan(kafka, approved);
    expect(result!.error).toMatch(/1 active member/);
    expect(kafka.calls.filter((c) => c === 'commitOffsets')).toHaveLength(0);
  });

  it('reports per-partition commit errors and verification mismatches', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const approved = await plan(kafka, source, brokenShard, failingBroker);
    kafka.deleteTopic('payments');
    const [result] = await seedPlan(kafka, approved);
    expect(result).toMatchObject({ status: 'PARTIAL', committed: 2, errors: [{ topic: 'payments', partition: 0, errorName: 'UNKNOWN_TOPIC_OR_PARTITION' }] });
    const verification = await verifyPlan(kafka, approved);
    expect(verification.ok).toBe(false);
    expect(verification.groups[0]!.mismatches).toEqual([{ topic: 'payments', partition: 0, expected: '8830', actual: null }]);
  });

  it('skips blocked groups in seeding and verification', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const blocked = await plan(kafka, source, brokenShard, failingBroker, { targetNames: { [source]: kafka.groupOnShard(brokenShard, 't') } });
    const [result] = await seedPlan(kafka, blocked);
    expect(result!.status).toBe('SKIPPED_BLOCKED');
    expect(kafka.calls).not.toContain('commitOffsets');
    expect(await verifyPlan(kafka, blocked)).toEqual({ ok: true, groups: [] });
  });

  it('reports a target whose coordinator fails during seeding', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const approved = await plan(kafka, source, brokenShard, failingBroker);
    kafka.failedShards.add(approved.groups[0]!.target.partition);
    const [result] = await seedPlan(kafka, approved);
    expect(result).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/^NOT_COORDINATOR/) });
    expect((await verifyPlan(kafka, approved)).groups[0]!.error).toMatch(/^NOT_COORDINATOR/);
  });
});

describe('planTargets with a partial recovery', () => {
  it('plans UNCHECKED and UNCERTAIN offsets and puts every decision-changing caveat in the approval mail', async () => {
    const { kafka, source, brokenShard, failingBroker } = cluster();
    const base = sourceRecovery(source, brokenShard);
    // The check as checkCompleteness writes it: orders-1 leaderless, payments-0 possibly superseded, no subscription known.
    const completeness = {
      ...base.completeness,
      complete: false,
      partitions: base.completeness.partitions.map((p) =>
        p.partition === 1
          ? { ...p, logStartOffset: null, logEndOffset: null, lag: null, status: 'UNCHECKED' as const, error: 'LEADER_NOT_AVAILABLE: no leader' }
          : p.topic === 'payments'
            ? { ...p, status: 'UNCERTAIN' as const }
            : p,
      ),
      issues: [
        { kind: 'UNCHECKED_PARTITION' as const, topic: 'orders', partition: 1, offset: '15004', logStartOffset: null, logEndOffset: null, message: 'orders-1: the recovered offset 15004 is not validated: its log start and end could not be read (LEADER_NOT_AVAILABLE)' },
        { kind: 'SUBSCRIPTION_UNKNOWN' as const, topic: '__consumer_offsets', partition: brokenShard, offset: null, logStartOffset: '0', logEndOffset: '100', message: 'the window holds no group metadata with members; widen the window' },
      ],
      notes: ['the subscription comes from the group metadata at __consumer_offsets-4 offset 0, before the window'],
    };
    const result = await planTargets(kafka, {
      request: request({ groups: [source] }),
      failedShards: [brokenShard],
      failingBrokers: [failingBroker],
      recoveries: [{ ...base, completeness }],
      planId: 'plan-2',
      now: NOW,
    });
    const group = result.groups[0]!;
    expect(group.offsets.map((o) => `${o.topic}-${o.partition}:${o.status}`)).toEqual(['orders-0:OK', 'orders-1:UNCHECKED', 'payments-0:UNCERTAIN']);
    const mail = renderApprovalMessage({
      plan: result,
      planSha256: 'abc',
      planLocation: 's3://bucket/plan.json',
      commands: null,
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:x:y',
      approvalUrl: null,
      expiresAt: '2026-11-25T22:00:00Z',
    }).text;
    for (const expected of [
      /WARNING: orders-1: the recovered offset 15004 is not validated/,
      /WARNING: the window holds no group metadata with members/,
      /WARNING: Note: the subscription comes from the group metadata .* before the window/,
      /WARNING: 1 offset\(s\) are UNCHECKED/,
      /WARNING: 1 offset\(s\) are UNCERTAIN/,
      /orders\s+1\s+15004\s+\?\s+\?\s+\?\s+UNCHECKED/,
    ]) {
      expect(mail).toMatch(expected);
    }
  });
});

describe('restoring in place (the group takes its offsets back)', () => {
  /** A Kafka 3.x shard that lost its offsets on load: it serves again, the group answers none or older ones. */
  function servedAfterLostLoad(): { kafka: ShardFailingKafka; source: string; shard: number } {
    const { kafka, source, brokenShard } = cluster();
    kafka.failedShards.delete(brokenShard);
    return { kafka, source, shard: brokenShard };
  }

  async function planInPlace(kafka: ShardFailingKafka, source: string, shard: number, overrides: Parameters<typeof request>[0] = {}): Promise<RecoveryPlan> {
    return planTargets(kafka, {
      request: request({ groups: [source], restoreInPlace: true, ...overrides }),
      failedShards: [shard],
      failingBrokers: [],
      recoveries: [sourceRecovery(source, shard)],
      planId: 'in-place',
      now: NOW,
    });
  }

  it('plans the group itself, restores offsets it answers behind the log, seeds and verifies them there', async () => {
    const { kafka, source, shard } = servedAfterLostLoad();
    await kafka.commitOffsets(source, [{ topic: 'orders', partition: 1, offset: 100n }]);
    const planned = await planInPlace(kafka, source, shard);
    const group = planned.groups[0]!;
    expect(group).toMatchObject({ sourceGroup: source, targetGroup: source, restore: 'IN_PLACE', targetNameSource: 'source', blocked: false, blockedReason: null, target: { partition: shard } });
    expect(group.existingTargetOffsets).toEqual([{ topic: 'orders', partition: 1, existing: '100', planned: '15004', change: 'OVERWRITE' }]);
    expect(group.warnings).toContain(`1 offset(s) "${source}" answers behind the log's last commit will be restored (lost on load)`);
    expect(group.warnings).toContainEqual(expect.stringMatching(new RegExp(`^__consumer_offsets-${shard} failed its last load: .*can lose "${source}"'s offsets again`)));
    expect(planned.restoreInPlace).toBe(true);
    // The summary in the state counts; which group restores in place is in the stored plan (above).
    expect(summarizePlan(planned)).toMatchObject({ groups: 1, blockedGroups: 0 });

    expect((await seedPlan(kafka, planned)).map((r) => r.status)).toEqual(['SEEDED']);
    expect([...kafka.committed.get(source)!.values()].map((o) => [o.topic, o.partition, o.offset]).sort()).toEqual([
      ['orders', 0, 14921n],
      ['orders', 1, 15004n],
      ['payments', 0, 8830n],
    ]);
    expect((await verifyPlan(kafka, planned)).ok).toBe(true);
  });

  it('refuses a group with members before any write, and one that gained members after approval', async () => {
    const { kafka, source, shard } = servedAfterLostLoad();
    kafka.members.set(source, 2);
    const busy = await planInPlace(kafka, source, shard);
    expect(busy.groups[0]).toMatchObject({ restore: 'IN_PLACE', blocked: true });
    expect(busy.groups[0]!.blockedReason).toBe(`restoreInPlace: "${source}" has 2 active member(s) (state Stable); their commits would overwrite the restored offsets. Stop its consumers and plan again`);
    expect((await seedPlan(kafka, busy))[0]!.status).toBe('SKIPPED_BLOCKED');

    kafka.members.delete(source);
    const approved = await planInPlace(kafka, source, shard);
    expect(approved.groups[0]!.blocked).toBe(false);
    kafka.members.set(source, 1);
    const [late] = await seedPlan(kafka, approved);
    expect(late).toMatchObject({ status: 'FAILED', committed: 0, error: expect.stringMatching(/1 active member/) });
    expect(kafka.calls).not.toContain('commitOffsets');
  });

  it('refuses a group whose coordinator answers NOT_COORDINATOR (a FAILED 4.x shard): that needs a new group', async () => {
    const { kafka, source, brokenShard } = cluster();
    const result = await planInPlace(kafka, source, brokenShard);
    expect(result.groups[0]!.blocked).toBe(true);
    expect(result.groups[0]!.blockedReason).toMatch(new RegExp(`^restoreInPlace: the coordinator of "${source}" \\(__consumer_offsets-${brokenShard}\\) answers NOT_COORDINATOR.*Recover into a new group \\(drop restoreInPlace\\)$`));
  });

  it('blocks offsets the group answers ahead of the log (committed after the window) unless overwriting is asked for', async () => {
    const { kafka, source, shard } = servedAfterLostLoad();
    await kafka.commitOffsets(source, [{ topic: 'orders', partition: 0, offset: 14990n }]);
    const refused = await planInPlace(kafka, source, shard);
    expect(refused.groups[0]!.blockedReason).toMatch(/answers offsets ahead of the log's last commit in the window for 1 partition\(s\)/);
    const allowed = await planInPlace(kafka, source, shard, { overwriteExistingTargetOffsets: true });
    expect(allowed.groups[0]!.blocked).toBe(false);
  });

  it('keeps to the stack\'s target group pattern', async () => {
    const { kafka, source, shard } = servedAfterLostLoad();
    const result = await planTargets(kafka, {
      request: request({ groups: [source], restoreInPlace: true }),
      failedShards: [shard],
      failingBrokers: [],
      recoveries: [sourceRecovery(source, shard)],
      planId: 'p',
      now: NOW,
      targetGroupPattern: '*-recovered-*',
    });
    expect(result.groups[0]!.blockedReason).toMatch(new RegExp(`^restoreInPlace: "${source}" is outside recovery:targetGroupPattern`));
  });
});
