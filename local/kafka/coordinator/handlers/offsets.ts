import { decodeConsumerSubscription } from '../../../../lambdas/core/offsets-records/index.ts';
import { ApiKey } from '../../protocol/api-keys.ts';
import type { ProtocolValue } from '../../server/registry.ts';
import type { RequestContext } from '../../server/context.ts';
import type { FetchedOffset, OffsetToCommit, PartitionResult } from '../group-shard.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import { int, ints, list, long, nullableStr, str, type CoordinatorApi, type CoordinatorServices } from './services.ts';

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

/** Groups per-partition results back into the request's topic order. */
function byTopic(results: PartitionResult[]): ProtocolValue[] {
  const topics = new Map<string, ProtocolValue[]>();
  for (const r of results) {
    let partitions = topics.get(r.topic);
    if (partitions === undefined) {
      partitions = [];
      topics.set(r.topic, partitions);
    }
    partitions.push({ partitionIndex: r.partition, errorCode: r.errorCode });
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
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

export const offsetCommitApi: CoordinatorApi = {
  apiKey: ApiKey.OffsetCommit,
  minVersion: 2,
  maxVersion: 8,
  handle({ groups }, ctx, request) {
    const groupId = str(request['groupId']);
    const offsets = offsetsToCommit(list(request['topics']));
    const failAll = (errorCode: number) => ({
      throttleTimeMs: 0,
      topics: byTopic(offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode }))),
    });
    if (groupId === '') return failAll(ErrorCode.INVALID_GROUP_ID);
    const found = groups.lookup(ctx.brokerId, groupId);
    if (!found.ok) return failAll(found.errorCode);
    const { known, unknown } = splitUnknown(ctx, offsets);
    const member = {
      memberId: str(request['memberId']),
      generationId: int(request['generationIdOrMemberEpoch'], -1),
      groupInstanceId: nullableStr(request['groupInstanceId']),
    };
    const retention = long(request['retentionTimeMs']);
    const committed = known.length === 0 ? [] : found.slot.shard.commitOffsets(groupId, member, known, Number(retention));
    return { throttleTimeMs: 0, topics: byTopic(inRequestOrder(offsets, [...committed, ...unknown])) };
  },
};

export const txnOffsetCommitApi: CoordinatorApi = {
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 3,
  handle({ groups, transactions }, ctx, request) {
    const groupId = str(request['groupId']);
    const offsets = offsetsToCommit(list(request['topics']));
    const failAll = (errorCode: number) => ({
      throttleTimeMs: 0,
      topics: byTopic(offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode }))),
    });
    if (groupId === '') return failAll(ErrorCode.INVALID_GROUP_ID);
    const found = groups.lookup(ctx.brokerId, groupId);
    if (!found.ok) return failAll(found.errorCode);
    const producer = { producerId: long(request['producerId']), producerEpoch: int(request['producerEpoch'], -1) };
    const producerError = transactions.validateProducer(producer.producerId, producer.producerEpoch, str(request['transactionalId']));
    if (producerError !== ErrorCode.NONE) return failAll(producerError);
    const { known, unknown } = splitUnknown(ctx, offsets);
    const member = {
      memberId: str(request['memberId']),
      generationId: int(request['generationId'], -1),
      groupInstanceId: nullableStr(request['groupInstanceId']),
    };
    const committed = known.length === 0 ? [] : found.slot.shard.commitTransactionalOffsets(groupId, producer, member, known);
    return { throttleTimeMs: 0, topics: byTopic(inRequestOrder(offsets, [...committed, ...unknown])) };
  },
};

function fetchedTopics(fetched: FetchedOffset[], groupError: number | null): ProtocolValue[] {
  const topics = new Map<string, ProtocolValue[]>();
  for (const f of fetched) {
    let partitions = topics.get(f.topic);
    if (partitions === undefined) {
      partitions = [];
      topics.set(f.topic, partitions);
    }
    partitions.push({
      partitionIndex: f.partition,
      committedOffset: groupError === null ? f.offset : -1n,
      committedLeaderEpoch: groupError === null ? f.leaderEpoch : -1,
      metadata: groupError === null ? f.metadata : '',
      errorCode: groupError ?? f.errorCode,
    });
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
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
): { errorCode: number; fetched: FetchedOffset[] } {
  const found = services.groups.lookup(ctx.brokerId, groupId);
  const asked = (topics ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE })));
  if (!found.ok) return { errorCode: found.errorCode, fetched: asked };
  return { errorCode: ErrorCode.NONE, fetched: found.slot.shard.fetchOffsets(groupId, topics, requireStable) };
}

export const offsetFetchApi: CoordinatorApi = {
  apiKey: ApiKey.OffsetFetch,
  minVersion: 1,
  maxVersion: 8,
  handle(services, ctx, request) {
    const requireStable = request['requireStable'] === true;
    if (ctx.apiVersion >= 8) {
      const groupsOut = list(request['groups']).map((g) => {
        const groupId = str(g['groupId']);
        const { errorCode, fetched } = fetchGroup(services, ctx, groupId, requestedTopics(g['topics']), requireStable);
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
  handle({ groups }, ctx, request) {
    const groupId = str(request['groupId']);
    const topics = list(request['topics']).map((t) => ({
      topic: str(t['name']),
      partitions: list(t['partitions']).map((p) => int(p['partitionIndex'])),
    }));
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, throttleTimeMs: 0, topics: [] };
    const found = groups.lookup(ctx.brokerId, groupId);
    if (!found.ok) return { errorCode: found.errorCode, throttleTimeMs: 0, topics: [] };
    const result = found.slot.shard.deleteOffsets(groupId, topics, (group) => group.subscribedTopics(subscribedTopics));
    return { errorCode: result.errorCode, throttleTimeMs: 0, topics: byTopic(result.partitions) };
  },
};
