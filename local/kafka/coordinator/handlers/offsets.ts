import { decodeConsumerSubscription } from '../../../../lambdas/core/offsets-records/index.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import type { ProtocolValue } from '../../server/registry.ts';
import type { RequestContext } from '../../server/context.ts';
import type { CommitMember, FetchedOffset, GroupShard, OffsetToCommit, PartitionResult } from '../group-shard.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import {
  groupByTopic,
  int,
  ints,
  list,
  long,
  namedGroupShard,
  nullableStr,
  str,
  transactionalProducer,
  type CoordinatorApi,
  type CoordinatorServices,
} from './services.ts';

/** OffsetCommit, OffsetFetch, OffsetDelete and TxnOffsetCommit. */

interface TopicPartitionsIn {
  topic: string;
  partitions: number[];
}

function offsetsToCommit(topics: ProtocolValue[]): OffsetToCommit[] {
  return topics.flatMap((t) =>
    list(t['partitions']).map((p) => ({
      topic: str(t['name']),
      partition: int(p['partitionIndex']),
      offset: long(p['committedOffset']),
      leaderEpoch: int(p['committedLeaderEpoch'], -1),
      metadata: nullableStr(p['committedMetadata']),
    })),
  );
}

/** Per-partition results back into per-topic lists, in request order. */
function byTopic(results: PartitionResult[]): ProtocolValue[] {
  return groupByTopic(results, (r) => ({ partitionIndex: r.partition, errorCode: r.errorCode })).map(([name, partitions]) => ({ name, partitions }));
}

/** Kafka's request handler refuses partitions that do not exist before the coordinator sees them. */
function splitUnknown(ctx: RequestContext, offsets: OffsetToCommit[]): { known: OffsetToCommit[]; unknown: PartitionResult[] } {
  const known: OffsetToCommit[] = [];
  const unknown: PartitionResult[] = [];
  for (const o of offsets) {
    if (ctx.cluster.partition(o.topic, o.partition) === undefined) {
      unknown.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    } else {
      known.push(o);
    }
  }
  return { known, unknown };
}

function inRequestOrder(offsets: OffsetToCommit[], results: PartitionResult[]): PartitionResult[] {
  const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  const byKey = new Map(results.map((r) => [key(r.topic, r.partition), r]));
  return offsets.map((o) => byKey.get(key(o.topic, o.partition)) ?? { topic: o.topic, partition: o.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
}

interface CommitFlavour {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
  /** the request field carrying the member's generation */
  generationField: string;
  /** a refusal of the whole request once the group is found (TxnOffsetCommit: the producer's epoch) */
  refuse?: (services: CoordinatorServices, request: ProtocolValue) => number;
  commit: (shard: GroupShard, groupId: string, member: CommitMember, offsets: OffsetToCommit[], request: ProtocolValue, apiVersion: number) => PartitionResult[];
}

/**
 * OffsetCommit and TxnOffsetCommit: group-level errors answer every partition, partitions that
 * do not exist are refused before the shard sees them, results come back in request order.
 */
function commitApi(flavour: CommitFlavour): CoordinatorApi {
  return {
    apiKey: flavour.apiKey,
    minVersion: flavour.minVersion,
    maxVersion: flavour.maxVersion,
    handle(ctx, request, services) {
      const groupId = str(request['groupId']);
      const offsets = offsetsToCommit(list(request['topics']));
      const failAll = (errorCode: number) => ({
        throttleTimeMs: 0,
        topics: byTopic(offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode }))),
      });
      const found = namedGroupShard(services.groups, ctx, groupId);
      if (!found.ok) return failAll(found.errorCode);
      const refusal = flavour.refuse?.(services, request) ?? ErrorCode.NONE;
      if (refusal !== ErrorCode.NONE) return failAll(refusal);
      const { known, unknown } = splitUnknown(ctx, offsets);
      const member = {
        memberId: str(request['memberId']),
        generationId: int(request[flavour.generationField], -1),
        groupInstanceId: nullableStr(request['groupInstanceId']),
      };
      const committed = known.length === 0 ? [] : flavour.commit(found.shard, groupId, member, known, request, ctx.apiVersion);
      return { throttleTimeMs: 0, topics: byTopic(inRequestOrder(offsets, [...committed, ...unknown])) };
    },
  };
}

export const offsetCommitApi = commitApi({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 2,
  // v9: a consumer group's commit carries the member epoch (validated as Kafka does).
  maxVersion: 9,
  generationField: 'generationIdOrMemberEpoch',
  commit: (shard, groupId, member, offsets, request, apiVersion) =>
    shard.commitOffsets(groupId, member, offsets, Number(long(request['retentionTimeMs'])), apiVersion),
});

export const txnOffsetCommitApi = commitApi({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 3,
  generationField: 'generationId',
  refuse: ({ transactions }, request) => {
    const { transactionalId, producerId, producerEpoch } = transactionalProducer(request);
    return transactions.validateProducer(producerId, producerEpoch, transactionalId);
  },
  commit: (shard, groupId, member, offsets, request) => {
    const { producerId, producerEpoch } = transactionalProducer(request);
    return shard.commitTransactionalOffsets(groupId, { producerId, producerEpoch }, member, offsets);
  },
});

function fetchedTopics(fetched: FetchedOffset[], groupError: number | null): ProtocolValue[] {
  const topics = groupByTopic(fetched, (f) => ({
    partitionIndex: f.partition,
    committedOffset: groupError === null ? f.offset : -1n,
    committedLeaderEpoch: groupError === null ? f.leaderEpoch : -1,
    metadata: groupError === null ? f.metadata : '',
    errorCode: groupError ?? f.errorCode,
  }));
  return topics.map(([name, partitions]) => ({ name, partitions }));
}

function requestedTopics(value: unknown): TopicPartitionsIn[] | null {
  if (value === null || value === undefined) return null;
  return list(value).map((t) => ({ topic: str(t['name']), partitions: ints(t['partitionIndexes']) }));
}

/** One group's answer: the offsets, or a group-level error (with the requested partitions for v0-1). */
function fetchGroup(
  services: CoordinatorServices,
  ctx: RequestContext,
  groupId: string,
  topics: TopicPartitionsIn[] | null,
  requireStable: boolean,
  member: { memberId: string | null; memberEpoch: number } = { memberId: null, memberEpoch: -1 },
): { errorCode: number; fetched: FetchedOffset[] } {
  const found = services.groups.lookup(ctx.brokerId, groupId);
  const asked = (topics ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE })));
  if (!found.ok) return { errorCode: found.errorCode, fetched: asked };
  const memberError = found.slot.shard.validateOffsetFetch(groupId, member.memberId, member.memberEpoch);
  if (memberError !== ErrorCode.NONE) return { errorCode: memberError, fetched: asked };
  return { errorCode: ErrorCode.NONE, fetched: found.slot.shard.fetchOffsets(groupId, topics, requireStable) };
}

export const offsetFetchApi: CoordinatorApi = {
  apiKey: ApiKey.OffsetFetch,
  minVersion: 1,
  // v9: a consumer group member names itself and its epoch (UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH).
  maxVersion: 9,
  handle(ctx, request, services) {
    const requireStable = request['requireStable'] === true;
    if (ctx.apiVersion >= 8) {
      const groupsOut = list(request['groups']).map((g) => {
        const groupId = str(g['groupId']);
        const member = { memberId: nullableStr(g['memberId']), memberEpoch: int(g['memberEpoch'], -1) };
        const { errorCode, fetched } = fetchGroup(services, ctx, groupId, requestedTopics(g['topics']), requireStable, member);
        return { groupId, topics: errorCode === ErrorCode.NONE ? fetchedTopics(fetched, null) : [], errorCode };
      });
      return { throttleTimeMs: 0, groups: groupsOut };
    }
    const groupId = str(request['groupId']);
    const { errorCode, fetched } = fetchGroup(services, ctx, groupId, requestedTopics(request['topics']), requireStable);
    if (ctx.apiVersion < 2) {
      // v0-1 have no top-level error: a group-level refusal shows on every requested partition.
      return { throttleTimeMs: 0, topics: fetchedTopics(fetched, errorCode === ErrorCode.NONE ? null : errorCode) };
    }
    return { throttleTimeMs: 0, topics: errorCode === ErrorCode.NONE ? fetchedTopics(fetched, null) : [], errorCode };
  },
};

function subscribedTopics(metadata: Buffer): string[] {
  try {
    return decodeConsumerSubscription(metadata).topics;
  } catch {
    return [];
  }
}

export const offsetDeleteApi: CoordinatorApi = {
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request, { groups }) {
    const groupId = str(request['groupId']);
    const topics = list(request['topics']).map((t) => ({
      topic: str(t['name']),
      partitions: list(t['partitions']).map((p) => int(p['partitionIndex'])),
    }));
    const found = namedGroupShard(groups, ctx, groupId);
    if (!found.ok) return { errorCode: found.errorCode, throttleTimeMs: 0, topics: [] };
    const result = found.shard.deleteOffsets(groupId, topics, (group) => group.subscribedTopics(subscribedTopics));
    return { errorCode: result.errorCode, throttleTimeMs: 0, topics: byTopic(result.partitions) };
  },
};
