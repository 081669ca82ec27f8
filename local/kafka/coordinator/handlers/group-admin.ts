import { ApiKey } from '../../protocol/api-keys.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { GroupShard } from '../group-shard.ts';
import { strings, type CoordinatorApi } from './services.ts';

/**
 * ListGroups, DescribeGroups and DeleteGroups. FindCoordinator is the data plane's
 * (`local/kafka/handlers/find-coordinator.ts`): it names the partition leader whatever the
 * shard's state, from the cluster model alone.
 */
export const listGroupsApi: CoordinatorApi = {
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request, { groups }) {
    const states = new Set(strings(request['statesFilter']).map((s) => s.toLowerCase()));
    const types = new Set(strings(request['typesFilter']).map((t) => t.toLowerCase()));
    let errorCode: number = ErrorCode.NONE;
    const listed: { groupId: string; protocolType: string; groupState: string; groupType: string }[] = [];
    const slots = groups.slotsOn(ctx.brokerId);
    // 4.x reads every shard and one still loading fails the whole answer; 3.x lists what is loaded.
    if (groups.listGroupsWhileLoading === 'error-only' && slots.some((slot) => slot.status === 'LOADING')) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    }
    for (const slot of slots) {
      // A failed shard's groups are invisible (the seed: "the group appears empty").
      if (slot.status === 'FAILED') continue;
      if (slot.status === 'LOADING') {
        errorCode = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
        continue;
      }
      for (const g of slot.shard.list()) {
        if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
        if (types.size > 0 && !types.has(g.groupType)) continue;
        listed.push({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.groupType });
      }
    }
    return { throttleTimeMs: 0, errorCode, groups: listed };
  },
};

export const describeGroupsApi: CoordinatorApi = {
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 6,
  handle(ctx, request, { groups }) {
    const described = strings(request['groups']).map((groupId) => {
      const empty = { groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648, errorMessage: null };
      const found = groups.lookup(ctx.brokerId, groupId);
      if (!found.ok) return { ...empty, errorCode: found.errorCode };
      const d = found.slot.shard.describe(groupId);
      if (d.state === 'Dead' && ctx.apiVersion >= 6) {
        return { ...empty, groupState: 'Dead', errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: d.errorMessage ?? `Group ${groupId} not found.` };
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
  handle(ctx, request, { groups }) {
    const names = strings(request['groupsNames']);
    const codes = new Map<string, number>();
    // Each shard deletes its groups of the request together (one log line per shard, as Kafka's).
    const byShard = new Map<GroupShard, string[]>();
    for (const groupId of names) {
      const found = groups.lookup(ctx.brokerId, groupId);
      if (!found.ok) codes.set(groupId, found.errorCode);
      else byShard.set(found.slot.shard, [...(byShard.get(found.slot.shard) ?? []), groupId]);
    }
    for (const [shard, ids] of byShard) shard.deleteGroups(ids).forEach((code, i) => codes.set(ids[i]!, code));
    return { throttleTimeMs: 0, results: names.map((groupId) => ({ groupId, errorCode: codes.get(groupId)! })) };
  },
};
