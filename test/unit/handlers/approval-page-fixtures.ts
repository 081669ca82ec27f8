/** A plan and an incident as the approval page receives them (shared by the page's unit and browser tests). */
import type { GroupPlan, PlannedOffset, RecoveryPlan } from '../../../lambdas/core/workflow/documents.ts';
import type { ApprovalIncident } from '../../../lambdas/core/workflow/approval-incident.ts';

export const PAGE_EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:CoordinatorRecovery-runbook:incident-4711';

function offset(topic: string, partition: number, committed: number, logEnd: number, status: PlannedOffset['status'] = 'OK'): PlannedOffset {
  return {
    topic,
    partition,
    offset: String(committed),
    leaderEpoch: 3,
    metadata: '',
    logStartOffset: '0',
    logEndOffset: String(logEnd),
    lag: String(logEnd - committed),
    status,
  };
}

export function pageGroup(overrides: Partial<GroupPlan> = {}): GroupPlan {
  const offsets = [offset('orders', 0, 1200, 1230), offset('orders', 1, 980, 1001), offset('orders', 2, 1512, 1512), offset('payments', 0, 77, 90)];
  return {
    sourceGroup: 'orders-service',
    targetGroup: 'orders-service-recovered-1',
    restore: 'NEW_GROUP',
    targetNameSource: 'suggested',
    target: { partition: 4, brokerId: 1, brokerHost: 'b-1.orders.abc123.c2.kafka.eu-west-1.amazonaws.com:9098' },
    targetState: { state: 'Empty', members: 0 },
    offsets,
    existingTargetOffsets: [],
    blocked: false,
    blockedReason: null,
    warnings: [],
    totalLag: String(offsets.reduce((n, o) => n + Number(o.lag), 0)),
    ...overrides,
  };
}

export function pagePlan(groups: GroupPlan[] = [pageGroup()], warnings: string[] = []): RecoveryPlan {
  return {
    planId: 'plan-7f3a',
    executionArn: PAGE_EXECUTION_ARN,
    clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/orders/0b9c6f3e-1111-2222-3333-444455556666-7',
    createdAt: '2026-12-05T09:30:00.000Z',
    window: { since: Date.parse('2026-12-05T07:30:00Z'), until: Date.parse('2026-12-05T09:30:00Z') },
    overwriteExistingTargetOffsets: false,
    restoreInPlace: false,
    groups,
    warnings,
  };
}

export function pageIncident(): ApprovalIncident {
  return {
    verdict: 'COORDINATOR_FAILED',
    evidence: [
      { kind: 'LOG', message: 'broker 2: "Failed to load metadata from __consumer_offsets-17" at 2026-12-05T09:02:11Z', partition: 17, brokerId: 2 },
      { kind: 'LIVE', message: 'orders-service: FindCoordinator -> broker 2, OffsetFetch NOT_COORDINATOR (twice, after a metadata refresh)', partition: 17, brokerId: 2 },
    ],
    shards: [{ partition: 17, brokerId: 2, groups: ['inventory-sync', 'orders-service'], topics: ['orders', 'payments'] }],
  };
}
