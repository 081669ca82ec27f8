import { ApiKey } from '../../protocol/api-keys.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { ProtocolValue } from '../../server/registry.ts';
import type { RequestContext } from '../../server/context.ts';
import type { TopicAssignment } from '../consumer-group-assignor.ts';
import { clientHost, int, ints, list, namedGroupShard, nullableStr, str, strings, type CoordinatorApi } from './services.ts';

/**
 * ConsumerGroupHeartbeat and ConsumerGroupDescribe (KIP-848). A 3.x profile advertises them
 * (3.9.2's ApiVersions does) but, like a 3.9 broker without the consumer protocol enabled,
 * answers UNSUPPORTED_VERSION.
 */

function assignmentFromWire(value: unknown): TopicAssignment | null {
  if (value === null || value === undefined) return null;
  return new Map(list(value).map((t) => [str(t['topicId']), new Set(ints(t['partitions']))]));
}

function assignmentToWire(assignment: TopicAssignment): ProtocolValue[] {
  return [...assignment].filter(([, ps]) => ps.size > 0).map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((a, b) => a - b) }));
}

function nullableStrings(value: unknown): string[] | null {
  return value === null || value === undefined ? null : strings(value);
}

export const consumerGroupHeartbeatApi: CoordinatorApi = {
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request, { groups }) {
    const groupId = str(request['groupId']);
    const refuse = (errorCode: number, errorMessage: string | null = null) => ({
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      memberId: null,
      memberEpoch: 0,
      heartbeatIntervalMs: 0,
      assignment: null,
    });
    if (groupId === '') return refuse(ErrorCode.INVALID_REQUEST, "GroupId can't be empty.");
    const memberId = str(request['memberId']);
    // v1 (KIP-1082): the consumer generates its member id and sends it from the first heartbeat.
    if (ctx.apiVersion >= 1 && memberId === '') return refuse(ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
    const found = namedGroupShard(groups, ctx, groupId);
    if (!found.ok) return refuse(found.errorCode);
    const response = found.shard.consumerGroupHeartbeat(groupId, {
      memberId,
      memberEpoch: int(request['memberEpoch']),
      instanceId: nullableStr(request['instanceId']),
      rackId: nullableStr(request['rackId']),
      rebalanceTimeoutMs: int(request['rebalanceTimeoutMs'], -1),
      subscribedTopicNames: nullableStrings(request['subscribedTopicNames']),
      subscribedTopicRegex: nullableStr(request['subscribedTopicRegex']),
      serverAssignor: nullableStr(request['serverAssignor']),
      ownedTopicPartitions: assignmentFromWire(request['topicPartitions']),
      clientId: ctx.clientId ?? '',
      clientHost: clientHost(ctx),
    });
    if (response === null) return refuse(ErrorCode.UNSUPPORTED_VERSION, 'The new group coordinator is not enabled.');
    return {
      throttleTimeMs: 0,
      errorCode: response.errorCode,
      errorMessage: response.errorMessage,
      memberId: response.memberId,
      memberEpoch: response.memberEpoch,
      heartbeatIntervalMs: response.heartbeatIntervalMs,
      assignment: response.assignment === null ? null : { topicPartitions: assignmentToWire(response.assignment) },
    };
  },
};

function describedAssignment(ctx: RequestContext, assignment: TopicAssignment): ProtocolValue {
  const names = new Map([...ctx.cluster.topics.values()].map((t) => [t.topicId, t.name]));
  return {
    topicPartitions: assignmentToWire(assignment).map((t) => ({ ...t, topicName: names.get(t['topicId'] as string) ?? '' })),
  };
}

export const consumerGroupDescribeApi: CoordinatorApi = {
  apiKey: ApiKey.ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request, { groups }) {
    const described = strings(request['groupIds']).map((groupId) => {
      const empty = { groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: -2147483648 };
      const found = groups.lookup(ctx.brokerId, groupId);
      if (!found.ok) return { ...empty, errorCode: found.errorCode, errorMessage: null };
      const group = found.slot.shard.consumerGroup(groupId);
      if (group === undefined) {
        const message = found.slot.shard.hasGroup(groupId) ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`;
        return { ...empty, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: message };
      }
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        groupId,
        groupState: group.state,
        groupEpoch: group.groupEpoch,
        assignmentEpoch: group.assignmentEpoch,
        assignorName: group.assignorName(),
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          instanceId: m.metadata.instanceId,
          rackId: m.metadata.rackId,
          memberEpoch: m.assignment.memberEpoch,
          clientId: m.metadata.clientId,
          clientHost: m.metadata.clientHost,
          subscribedTopicNames: m.metadata.subscribedTopicNames,
          subscribedTopicRegex: m.metadata.subscribedTopicRegex,
          assignment: describedAssignment(ctx, m.assignment.assignedPartitions),
          targetAssignment: describedAssignment(ctx, group.targets.get(m.memberId) ?? new Map()),
          memberType: 1,
        })),
        authorizedOperations: -2147483648,
      };
    });
    return { throttleTimeMs: 0, groups: described };
  },
};
