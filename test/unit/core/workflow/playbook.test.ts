import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PartitionInfo } from '../../../../lambdas/core/ports.ts';
import { buildPlaybook, reassignmentRisk } from '../../../../lambdas/core/workflow/playbook.ts';

function partition(overrides: Partial<PartitionInfo> = {}): PartitionInfo {
  return { partition: 17, leader: 5, leaderEpoch: 3, replicas: [5, 4, 6], isr: [5, 4, 6], ...overrides };
}

describe('buildPlaybook', () => {
  it('puts a healthy in-sync replica first, keeps the replica set, and rolls back to the original order', () => {
    const decision = buildPlaybook({ partition: partition(), groupId: 'orders-service' });
    expect(decision.ok).toBe(true);
    if (!decision.ok) return;
    const pb = decision.playbook;
    expect(pb.interimLeader).toBe(4);
    expect(pb.reassignment).toEqual({ version: 1, partitions: [{ topic: '__consumer_offsets', partition: 17, replicas: [4, 5, 6], log_dirs: ['any', 'any', 'any'] }] });
    expect(pb.rollback.partitions[0]!.replicas).toEqual([5, 4, 6]);
    expect(pb.election).toEqual({ partitions: [{ topic: '__consumer_offsets', partition: 17 }] });
  });

  it('skips replicas that lead failed shards themselves', () => {
    const decision = buildPlaybook({ partition: partition(), groupId: null, avoidBrokers: [4] });
    expect(decision.ok && decision.playbook.interimLeader).toBe(6);
    const none = buildPlaybook({ partition: partition(), groupId: null, avoidBrokers: [4, 6] });
    expect(none).toEqual({ ok: false, reason: expect.stringContaining('leads a failed shard itself') });
  });

  it('refuses while a replica is out of sync, without a leader, or with a single replica', () => {
    expect(reassignmentRisk(partition({ isr: [5, 4] }))).toMatch(/under-replicated: ISR \[5,4\] is not Replicas \[5,4,6\] \(out of sync: 6\)/);
    expect(reassignmentRisk(partition({ leader: -1 }))).toMatch(/has no leader/);
    expect(reassignmentRisk(partition({ replicas: [5], isr: [5] }))).toMatch(/single replica/);
    expect(buildPlaybook({ partition: partition({ isr: [5] }), groupId: 'g' }).ok).toBe(false);
    // The same set in another order is in sync.
    expect(reassignmentRisk(partition({ isr: [6, 5, 4] }))).toBeNull();
  });

  it('writes steps.md with the export before the delete and the delete between the two moves', () => {
    const decision = buildPlaybook({ partition: partition(), groupId: 'orders-service' });
    if (!decision.ok) throw new Error(decision.reason);
    const steps = decision.playbook.steps;
    const at = (text: string): number => steps.indexOf(text);
    expect(at('export orders-service --format csv')).toBeGreaterThan(at('--describe --topic __consumer_offsets'));
    expect(at('--execute --reassignment-json-file reassignment.json')).toBeGreaterThan(at('export orders-service'));
    expect(at('--delete --group orders-service')).toBeGreaterThan(at('--election-type PREFERRED'));
    expect(at('--execute --reassignment-json-file reassignment-rollback.json')).toBeGreaterThan(at('--delete --group orders-service'));
    expect(at('--from-file orders-service-offsets.csv --execute')).toBeGreaterThan(at('reassignment-rollback.json'));
    expect(steps).toContain('Deleting the group drops its committed offsets');
    expect(steps).toMatch(/grep -E "Partition: 17\\s"/);
  });

  it('for any in-sync replica list: the same set, a new first replica in the ISR, the original order to roll back', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { minLength: 2, maxLength: 7 }), fc.nat(), (replicas, pick) => {
        const leader = replicas[pick % replicas.length]!;
        const decision = buildPlaybook({ partition: partition({ leader, replicas, isr: [...replicas].reverse() }), groupId: 'g' });
        if (!decision.ok) return false;
        const moved = decision.playbook.reassignment.partitions[0]!.replicas;
        return (
          moved[0] !== leader &&
          moved.length === replicas.length &&
          [...moved].sort((a, b) => a - b).join() === [...replicas].sort((a, b) => a - b).join() &&
          decision.playbook.rollback.partitions[0]!.replicas.join() === replicas.join()
        );
      }),
    );
  });
});
