import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { CONSUMER_OFFSETS, TRANSACTION_STATE, type Cluster } from '../cluster/cluster.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { ProtocolValue } from '../server/registry.ts';
import type { DataPlaneApi } from './services.ts';
import type { RequestContext } from '../server/context.ts';

export const KEY_TYPE_GROUP = 0;
export const KEY_TYPE_TRANSACTION = 1;

export interface CoordinatorRoute {
  topic: string;
  partition: number;
  /** the partition's leader; -1 when it has none */
  leader: number;
}

/**
 * Where a group or transactional id is coordinated: the leader of its partition of
 * `__consumer_offsets` or `__transaction_state` (Utils.abs(key.hashCode) % partitionCount).
 */
export function coordinatorRoute(cluster: Cluster, keyType: number, key: string): CoordinatorRoute {
  const topic = keyType === KEY_TYPE_TRANSACTION ? TRANSACTION_STATE : CONSUMER_OFFSETS;
  const state = cluster.topic(topic);
  if (state === undefined) return { topic, partition: -1, leader: -1 };
  const partition = partitionForGroup(key, state.partitions.length);
  const p = state.partitions[partition]!;
  const running = p.leader !== -1 && cluster.brokers.get(p.leader)?.running === true;
  return { topic, partition, leader: running ? p.leader : -1 };
}

/**
 * FindCoordinator v0-4. It names the leader even when the coordinator shard there is FAILED
 * (that is the incident: discovery works, group calls do not); it answers
 * COORDINATOR_NOT_AVAILABLE only when the partition has no running leader.
 */
export const findCoordinatorApi: DataPlaneApi = {
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx: RequestContext, request: ProtocolValue) {
    const keyType = (request['keyType'] as number | undefined) ?? KEY_TYPE_GROUP;
    const lookup = (key: string): ProtocolValue => {
      if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `key type ${keyType} is not supported` };
      }
      const route = coordinatorRoute(ctx.cluster, keyType, key);
      if (route.leader === -1) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
      }
      const broker = ctx.cluster.broker(route.leader);
      return { key, nodeId: broker.id, host: broker.host, port: broker.port, errorCode: ErrorCode.NONE, errorMessage: null };
    };
    if (ctx.apiVersion >= 4) {
      return { throttleTimeMs: 0, coordinators: (request['coordinatorKeys'] as string[]).map(lookup) };
    }
    const { key: _key, ...single } = lookup(request['key'] as string);
    return { throttleTimeMs: 0, ...single };
  },
};
