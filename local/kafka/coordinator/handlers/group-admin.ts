import { ApiKey } from '../../protocol/api-keys.ts';
import type { RequestContext } from '../../server/context.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { int, strings, str, type CoordinatorApi, type CoordinatorServices } from './services.ts';

/** FindCoordinator, ListGroups, DescribeGroups and DeleteGroups. */

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

/**
 * The leader of the key's partition, whatever its shard's state: a FAILED shard is still
 * named, which is exactly why clients loop between FindCoordinator and NOT_COORDINATOR.
 */
function findCoordinator(services: CoordinatorServices, ctx: RequestContext, key: string, keyType: number): Coordinator {
  const missing = (errorCode: number, errorMessage: string): Coordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) {
    return missing(ErrorCode.INVALID_REQUEST, `Unsupported key type ${keyType}`);
  }
  const nodeId = keyType === KEY_TYPE_GROUP ? services.groups.coordinatorBroker(key) : services.transactions.coordinatorBroker(key);
  const broker = nodeId === -1 ? undefined : ctx.cluster.brokers.get(nodeId);
  if (broker === undefined || !broker.running) {
    return missing(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  }
  return { key, nodeId, host: broker.host, port: broker.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export const findCoordinatorApi: CoordinatorApi = {
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 4,
  handle(services, ctx, request) {
    const keyType = int(request['keyType'], KEY_TYPE_GROUP);
    if (ctx.apiVersion >= 4) {
      const coordinators = strings(request['coordinatorKeys']).map((key) =>
        findCoordinator(services, ctx, key, keyType),
      );
      return { throttleTimeMs: 0, coordinators };
    }
    const found = findCoordinator(services, ctx, str(request['key']), keyType);
    return {
      throttleTimeMs: 0,
      errorCode: found.errorCode,
      errorMessage: found.errorMessage,
      nodeId: found.nodeId,
      host: found.host,
      port: found.port,
    };
  },
};

export const listGroupsApi: CoordinatorApi = {
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle({ groups }, ctx, request) {
    const states = new Set(strings(request['statesFilter']).map((s) => s.toLowerCase()));
    const types = new Set(strings(request['typesFilter']).map((t) => t.toLowerCase()));
    let errorCode: number = ErrorCode.NONE;
    const listed: { groupId: string; protocolType: string; groupState: string; groupType: string }[] = [];
    for (const slot of groups.slotsOn(ctx.brokerId)) {
      // A failed shard's groups are invisible (the seed: "the group appears empty").
      if (slot.status === 'FAILED') continue;
      if (slot.status === 'LOADING') {
        errorCode = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
        continue;
      }
      for (const g of slot.shard.list()) {
        if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
        if (types.size > 0 && !types.has('classic')) continue;
        listed.push({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' });
      }
    }
    return { throttleTimeMs: 0, errorCode, groups: listed };
  },
};

export const describeGroupsApi: CoordinatorApi = {
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 6,
  handle({ groups }, ctx, request) {
    const described = strings(request['groups']).map((groupId) => {
      const empty = { groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648, errorMessage: null };
      const found = groups.lookup(ctx.brokerId, groupId);
      if (!found.ok) return { ...empty, errorCode: found.errorCode };
      const d = found.slot.shard.describe(groupId);
      if (d.state === 'Dead' && ctx.apiVersion >= 6) {
        return { ...empty, groupState: 'Dead', errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` };
      }
      return {
        errorCode: d.errorCode,
        errorMessage: null,
        groupId,
        groupState: d.state,
        protocolType: d.protocolType,
        protocolData: d.protocol,
        members: d.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations: -2147483648,
      };
    });
    return { throttleTimeMs: 0, groups: described };
  },
};

export const deleteGroupsApi: CoordinatorApi = {
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle({ groups }, ctx, request) {
    const results = strings(request['groupsNames']).map((groupId) => {
      const found = groups.lookup(ctx.brokerId, groupId);
      return { groupId, errorCode: found.ok ? found.slot.shard.deleteGroup(groupId) : found.errorCode };
    });
    return { throttleTimeMs: 0, results };
  },
};
