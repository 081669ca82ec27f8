import { ErrorCode } from '../protocol/error-codes.ts';
import type { Cluster, TopicState } from '../cluster/cluster.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { ProtocolValue } from '../server/registry.ts';
import type { DataPlaneApi } from './services.ts';
import type { RequestContext } from '../server/context.ts';
import { topicNameFor, ZERO_UUID } from './common.ts';

/**
 * Metadata v0-12: running brokers, the controller, and topics with leaders, replicas and ISR.
 * Topic auto-creation is off (auto.create.topics.enable=false): unknown topics answer
 * UNKNOWN_TOPIC_OR_PARTITION. A partition without a running leader answers LEADER_NOT_AVAILABLE.
 */
export const metadataApi: DataPlaneApi = {
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  handle(ctx: RequestContext, request: ProtocolValue) {
    const { cluster } = ctx;
    const requested = request['topics'] as Array<{ name: string | null; topicId?: string }> | null;
    // v0 had no null: an empty list meant every topic.
    const all = requested === null || (ctx.apiVersion === 0 && requested.length === 0);
    const topics = all
      ? [...cluster.topics.values()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => describeTopic(cluster, t))
      : requested.map((entry) => {
          const name = topicNameFor(cluster, entry.name, entry.topicId);
          const topic = name === undefined ? undefined : cluster.topic(name);
          if (topic === undefined) {
            return {
              errorCode: entry.name === null && entry.topicId !== undefined && entry.topicId !== ZERO_UUID ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              name: entry.name,
              topicId: entry.topicId ?? ZERO_UUID,
              isInternal: false,
              partitions: [],
            };
          }
          return describeTopic(cluster, topic);
        });
    return {
      throttleTimeMs: 0,
      brokers: cluster.runningBrokerIds().map((id) => {
        const b = cluster.broker(id);
        return { nodeId: b.id, host: b.host, port: b.port, rack: b.rack };
      }),
      clusterId: cluster.clusterId,
      controllerId: cluster.controllerId,
      topics,
    };
  },
};

function describeTopic(cluster: Cluster, topic: TopicState): ProtocolValue {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.internal,
    partitions: topic.partitions.map((p) => {
      const leaderUp = p.leader !== -1 && cluster.brokers.get(p.leader)?.running === true;
      return {
        errorCode: leaderUp ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
        partitionIndex: p.partition,
        leaderId: leaderUp ? p.leader : -1,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: p.replicas,
        isrNodes: p.isr,
        offlineReplicas: p.replicas.filter((id) => cluster.brokers.get(id)?.running !== true),
      };
    }),
  };
}
