/**
 * Test fixtures for the workflow logic: an in-memory cluster whose coordinator failures are per
 * __consumer_offsets shard (as on a real broker), groups with members, and recovered documents.
 */
import { kafkaError } from '../../../../lambdas/core/errors.ts';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import type { CommittedOffsetEntry, GroupDescription, OffsetToCommit, PartitionCommitResult } from '../../../../lambdas/core/ports.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../../lambdas/core/ports.ts';
import type { DiagnoseOutput, GroupRecovery, RecoveryRequest } from '../../../../lambdas/core/workflow/documents.ts';
import { InMemoryKafka } from '../../../support/in-memory-kafka.ts';

export class ShardFailingKafka extends InMemoryKafka {
  readonly failedShards = new Set<number>();
  readonly members = new Map<string, number>();
  /** Shards that answer NOT_COORDINATOR this many more times, then recover (a leader move in flight). */
  readonly transientFailures = new Map<number, number>();

  shardOf(groupId: string): number {
    return partitionForGroup(groupId, this.topics.get(CONSUMER_OFFSETS_TOPIC)!.length);
  }

  /** Leader of a __consumer_offsets partition. */
  leaderOf(partition: number): number {
    return this.log(CONSUMER_OFFSETS_TOPIC, partition).leader;
  }

  private checkShard(groupId: string): void {
    const shard = this.shardOf(groupId);
    const transient = this.transientFailures.get(shard) ?? 0;
    if (transient > 0) {
      this.transientFailures.set(shard, transient - 1);
      throw kafkaError('NOT_COORDINATOR', 16, `shard ${shard} is moving`, { retryable: true });
    }
    if (this.failedShards.has(shard)) throw kafkaError('NOT_COORDINATOR', 16, `the coordinator shard ${shard} is FAILED`, { retryable: true });
  }

  override async describeGroup(groupId: string): Promise<GroupDescription> {
    this.checkShard(groupId);
    const description = await super.describeGroup(groupId);
    const count = this.members.get(groupId) ?? 0;
    if (count === 0) return description;
    return {
      ...description,
      state: 'Stable',
      members: Array.from({ length: count }, (_, i) => ({ memberId: `m-${i}`, clientId: 'app', clientHost: '/10.0.0.1' })),
    };
  }

  override async fetchCommittedOffsets(groupId: string, topics?: string[]): Promise<CommittedOffsetEntry[]> {
    this.checkShard(groupId);
    return super.fetchCommittedOffsets(groupId, topics);
  }

  override async commitOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<PartitionCommitResult[]> {
    this.checkShard(groupId);
    return super.commitOffsets(groupId, offsets);
  }

  /** Some group id (with the given prefix) that hashes to `partition`. */
  groupOnShard(partition: number, prefix = 'group'): string {
    for (let n = 0; ; n++) if (this.shardOf(`${prefix}-${n}`) === partition) return `${prefix}-${n}`;
  }
}

export const CLUSTER_ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/orders/0b9c6f3e-1111-2222-3333-444455556666-7';
export const EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:CoordinatorRecovery:run-1';

export function request(overrides: Partial<RecoveryRequest> = {}): RecoveryRequest {
  return {
    clusterArn: CLUSTER_ARN,
    region: 'us-east-1',
    groups: [],
    window: { since: 1_700_000_000_000, until: 1_700_007_200_000 },
    targetNames: {},
    overwriteExistingTargetOffsets: false,
    restoreInPlace: false,
    authMode: 'iam',
    executionArn: EXECUTION_ARN,
    trigger: { source: 'console', alarmName: null, alarmTime: null },
    comment: null,
    ...overrides,
  };
}

export interface OffsetSpec {
  topic: string;
  partition: number;
  offset: bigint;
  logStart?: bigint;
  logEnd?: bigint;
}

/** A GroupRecovery as ReadOffsets produces it, for the given offsets. */
export function recovery(groupId: string, offsetsPartition: number, specs: OffsetSpec[], issues: GroupRecovery['completeness']['issues'] = []): GroupRecovery {
  const offsets: GroupRecovery['offsets']['offsets'] = {};
  for (const s of specs) {
    (offsets[s.topic] ??= {})[String(s.partition)] = {
      offset: s.offset.toString(),
      leaderEpoch: 3,
      metadata: '',
      commitTimestamp: '1700000100000',
      logOffset: '10',
      logTimestamp: '1700000100000',
    };
  }
  const partitions = specs.map((s) => {
    const start = s.logStart ?? 0n;
    const end = s.logEnd ?? s.offset + 10n;
    const status = s.offset < start ? ('BELOW_LOG_START' as const) : s.offset > end ? ('ABOVE_LOG_END' as const) : ('OK' as const);
    return {
      topic: s.topic,
      partition: s.partition,
      offset: s.offset.toString(),
      logStartOffset: start.toString(),
      logEndOffset: end.toString(),
      lag: status === 'OK' ? (end - s.offset).toString() : null,
      status,
    };
  });
  return {
    groupId,
    offsets: {
      groupId,
      offsetsPartition,
      offsets,
      groupMetadata: null,
      scan: {
        partition: offsetsPartition,
        startOffset: '0',
        endOffset: '100',
        nextOffset: '100',
        complete: true,
        records: 10,
        bytes: 1000,
        batches: 2,
        skipped: {},
        abortedRecords: 0,
        controlBatches: 0,
      },
    },
    completeness: { groupId, complete: issues.length === 0, partitions, issues, totalLag: '0' },
  };
}

/** A Diagnose output that found nothing wrong. */
export function healthyDiagnosis(): DiagnoseOutput {
  return {
    request: request(),
    cluster: { clusterArn: CLUSTER_ARN, clusterName: 'orders', state: 'ACTIVE', kafkaVersion: '3.9.x', brokerLogGroup: 'msk/broker-logs/orders', brokers: [], offsetsPartitionCount: 12 },
    verdict: 'HEALTHY',
    artifactPrefixes: { groupResults: 'executions/m/e/groups/', readOffsetsResults: 'executions/m/e/read-offsets/map-run' },
    evidence: [],
    findings: [],
    logSearch: { logGroup: 'msk/broker-logs/orders', window: { since: 0, until: 1 }, pages: 1, events: 0, throttledRetries: 0, truncated: false, stoppedBy: null },
    liveChecks: [],
    failingBrokers: [],
    failedShards: [],
    shards: [],
    groups: [],
  };
}
