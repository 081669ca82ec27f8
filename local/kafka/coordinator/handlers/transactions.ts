import { ApiKey } from '../../protocol/api-keys.ts';
import { int, ints, list, long, nullableStr, str, type CoordinatorApi } from './services.ts';

/** InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn. */

export const initProducerIdApi: CoordinatorApi = {
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 4,
  handle({ transactions }, ctx, request) {
    const result = transactions.initProducerId(ctx.brokerId, nullableStr(request['transactionalId']), int(request['transactionTimeoutMs']));
    return { throttleTimeMs: 0, errorCode: result.errorCode, producerId: result.producerId, producerEpoch: result.producerEpoch };
  },
};

/** v0-3 carry one transaction (v4+ batches several and is only sent broker-to-broker). */
export const addPartitionsToTxnApi: CoordinatorApi = {
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 3,
  handle({ transactions }, ctx, request) {
    const partitions = list(request['v3AndBelowTopics']).flatMap((t) =>
      ints(t['partitions']).map((partition) => ({ topic: str(t['name']), partition })),
    );
    const results = transactions.addPartitions(
      ctx.brokerId,
      str(request['v3AndBelowTransactionalId']),
      long(request['v3AndBelowProducerId']),
      int(request['v3AndBelowProducerEpoch'], -1),
      partitions,
    );
    const topics = new Map<string, { partitionIndex: number; partitionErrorCode: number }[]>();
    for (const r of results) {
      const entries = topics.get(r.topic) ?? [];
      entries.push({ partitionIndex: r.partition, partitionErrorCode: r.errorCode });
      topics.set(r.topic, entries);
    }
    return {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: [...topics].map(([name, resultsByPartition]) => ({ name, resultsByPartition })),
    };
  },
};

export const addOffsetsToTxnApi: CoordinatorApi = {
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 3,
  handle({ transactions }, ctx, request) {
    const errorCode = transactions.addOffsets(
      ctx.brokerId,
      str(request['transactionalId']),
      long(request['producerId']),
      int(request['producerEpoch'], -1),
      str(request['groupId']),
    );
    return { throttleTimeMs: 0, errorCode };
  },
};

export const endTxnApi: CoordinatorApi = {
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 3,
  handle({ transactions }, ctx, request) {
    const errorCode = transactions.endTransaction(
      ctx.brokerId,
      str(request['transactionalId']),
      long(request['producerId']),
      int(request['producerEpoch'], -1),
      request['committed'] === true,
    );
    return { throttleTimeMs: 0, errorCode };
  },
};
