import { ApiKey } from '../../protocol/api-keys.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { buffer, clientHost, int, list, namedGroupShard, nullableStr, str, type CoordinatorApi } from './services.ts';

/** JoinGroup, SyncGroup, Heartbeat and LeaveGroup of classic groups. */

const EMPTY = Buffer.alloc(0);

export const joinGroupApi: CoordinatorApi = {
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request, { groups }) {
    const groupId = str(request['groupId']);
    const memberId = str(request['memberId']);
    const failure = (errorCode: number) => ({
      throttleTimeMs: 0,
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: ctx.apiVersion >= 7 ? null : '',
      leader: '',
      skipAssignment: false,
      memberId,
      members: [],
    });
    const found = namedGroupShard(groups, ctx, groupId);
    if (!found.ok) return failure(found.errorCode);
    const sessionTimeoutMs = int(request['sessionTimeoutMs']);
    const rebalanceTimeoutMs = int(request['rebalanceTimeoutMs'], -1);
    const result = await found.shard.join(groupId, {
      memberId,
      groupInstanceId: nullableStr(request['groupInstanceId']),
      clientId: ctx.clientId ?? '',
      clientHost: clientHost(ctx),
      sessionTimeoutMs,
      // v0 has no rebalance timeout; Kafka uses the session timeout for it.
      rebalanceTimeoutMs: rebalanceTimeoutMs >= 0 ? rebalanceTimeoutMs : sessionTimeoutMs,
      protocolType: str(request['protocolType']),
      protocols: list(request['protocols']).map((p) => ({ name: str(p['name']), metadata: buffer(p['metadata']) })),
      requireKnownMemberId: ctx.apiVersion >= 4,
      reason: nullableStr(request['reason']),
      supportsSkippingAssignment: ctx.apiVersion >= 9,
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      protocolName: ctx.apiVersion >= 7 ? result.protocolName : (result.protocolName ?? ''),
      leader: result.leader,
      skipAssignment: result.skipAssignment === true,
      memberId: result.memberId,
      members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
    };
  },
};

export const syncGroupApi: CoordinatorApi = {
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request, { groups }) {
    const groupId = str(request['groupId']);
    const failure = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: EMPTY });
    const found = namedGroupShard(groups, ctx, groupId);
    if (!found.ok) return failure(found.errorCode);
    const result = await found.shard.sync(groupId, {
      memberId: str(request['memberId']),
      groupInstanceId: nullableStr(request['groupInstanceId']),
      generationId: int(request['generationId'], -1),
      protocolType: nullableStr(request['protocolType']),
      protocolName: nullableStr(request['protocolName']),
      assignments: list(request['assignments']).map((a) => ({ memberId: str(a['memberId']), assignment: buffer(a['assignment']) })),
    });
    return { throttleTimeMs: 0, ...result };
  },
};

export const heartbeatApi: CoordinatorApi = {
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request, { groups }) {
    const groupId = str(request['groupId']);
    const found = namedGroupShard(groups, ctx, groupId);
    if (!found.ok) return { throttleTimeMs: 0, errorCode: found.errorCode };
    const errorCode = found.shard.heartbeat(
      groupId,
      str(request['memberId']),
      int(request['generationId'], -1),
      nullableStr(request['groupInstanceId']),
    );
    return { throttleTimeMs: 0, errorCode };
  },
};

export const leaveGroupApi: CoordinatorApi = {
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request, { groups }) {
    const groupId = str(request['groupId']);
    // v0-2 name one member; v3+ a batch, each with its own error.
    const members =
      ctx.apiVersion >= 3
        ? list(request['members']).map((m) => ({ memberId: str(m['memberId']), groupInstanceId: nullableStr(m['groupInstanceId']), reason: nullableStr(m['reason']) }))
        : [{ memberId: str(request['memberId']), groupInstanceId: null }];
    const found = namedGroupShard(groups, ctx, groupId);
    if (!found.ok) return { throttleTimeMs: 0, errorCode: found.errorCode, members: [] };
    const results = found.shard.leave(groupId, members);
    const memberResponses = results.map((r, i) => ({
      memberId: r.memberId,
      groupInstanceId: members[i]?.groupInstanceId ?? null,
      errorCode: r.errorCode,
    }));
    const errorCode = ctx.apiVersion >= 3 ? ErrorCode.NONE : (results[0]?.errorCode ?? ErrorCode.NONE);
    return { throttleTimeMs: 0, errorCode, members: memberResponses };
  },
};
