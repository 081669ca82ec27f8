import { ErrorCode } from '../protocol/error-codes.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { ProtocolValue } from '../server/registry.ts';
import type { DataPlaneApi } from './services.ts';
import type { RequestContext } from '../server/context.ts';
import { errorCodeOf, errorMessageOf } from './common.ts';

const ELECTION_PREFERRED = 0;

/**
 * AlterPartitionReassignments v0: the data is already everywhere (replication is simulated),
 * so a reassignment completes at once; leadership follows with ElectLeaders (preferred).
 */
export const alterPartitionReassignmentsApi: DataPlaneApi = {
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx: RequestContext, request: ProtocolValue) {
    const topics = request['topics'] as Array<{ name: string; partitions: Array<{ partitionIndex: number; replicas: number[] | null }> }>;
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      responses: topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          try {
            ctx.cluster.reassignPartition(t.name, p.partitionIndex, p.replicas);
            ctx.log.info(`[Controller id=${ctx.cluster.controllerId}] Reassigning ${t.name}-${p.partitionIndex} to replicas ${JSON.stringify(p.replicas)}`, 'kafka.controller.ReplicationControlManager');
            return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null };
          } catch (error) {
            return { partitionIndex: p.partitionIndex, errorCode: errorCodeOf(error), errorMessage: errorMessageOf(error) };
          }
        }),
      })),
    };
  },
};

/** ListPartitionReassignments v0: reassignments complete at once, so none is ever ongoing. */
export const listPartitionReassignmentsApi: DataPlaneApi = {
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx: RequestContext, request: ProtocolValue) {
    const topics = request['topics'] as Array<{ name: string; partitionIndexes: number[] }> | null;
    const ongoing = [...ctx.cluster.allPartitions()].filter(
      (p) => p.targetReplicas !== null && (topics === null || topics.some((t) => t.name === p.topic && t.partitionIndexes.includes(p.partition))),
    );
    const byTopic = new Map<string, ProtocolValue[]>();
    for (const p of ongoing) {
      const adding = p.targetReplicas!.filter((r) => !p.replicas.includes(r));
      const removing = p.replicas.filter((r) => !p.targetReplicas!.includes(r));
      byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partitionIndex: p.partition, replicas: p.replicas, addingReplicas: adding, removingReplicas: removing }]);
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
  },
};

/** ElectLeaders v0-2, preferred elections only (unclean elections are refused). */
export const electLeadersApi: DataPlaneApi = {
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx: RequestContext, request: ProtocolValue) {
    const electionType = (request['electionType'] as number | undefined) ?? ELECTION_PREFERRED;
    const requested = request['topicPartitions'] as Array<{ topic: string; partitions: number[] }> | null;
    const targets = requested ?? [...ctx.cluster.topics.values()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }));
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      replicaElectionResults: targets.map((t) => ({
        topic: t.topic,
        partitionResult: t.partitions.map((partition) => {
          const p = ctx.cluster.partition(t.topic, partition);
          if (p === undefined) return { partitionId: partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' };
          if (electionType !== ELECTION_PREFERRED) return { partitionId: partition, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'only preferred elections are supported' };
          const preferred = p.replicas[0]!;
          if (p.leader === preferred) return { partitionId: partition, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: 'Leader election not needed for topic partition' };
          if (ctx.cluster.electPreferredLeaders([{ topic: t.topic, partition }]).length === 0) {
            return { partitionId: partition, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: `Failed to elect leader for partition ${t.topic}-${partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy` };
          }
          return { partitionId: partition, errorCode: ErrorCode.NONE, errorMessage: null };
        }),
      })),
    };
  },
};
