import { ApiKey } from '../../protocol/api-keys.ts';
import { groupByTopic, int, ints, list, nullableStr, str, transactionalProducer, type CoordinatorApi } from './services.ts';

/** InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn. */

export const initProducerIdApi: CoordinatorApi = {
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request, { transactions }) {
    const result = transactions.initProducerId(ctx.brokerId, nullableStr(request['transactionalId']), int(request['transactionTimeoutMs']));
    return { throttleTimeMs: 0, errorCode: result.errorCode, producerId: result.producerId, producerEpoch: result.producerEpoch };
  },
};

/** v0-3 carry one transaction (v4+ batches several and is only sent broker-to-broker). */
export const addPartitionsToTxnApi: CoordinatorApi = {
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, request, { transactions }) {
    const partitions = list(request['v3AndBelowTopics']).flatMap((t) =>
      ints(t['partitions']).map((partition) => ({ topic: str(t['name']), partition })),
    );
    const producer = transactionalProducer(request, 'v3AndBelow');
    const results = transactions.addPartitions(ctx.brokerId, producer.transactionalId, producer.producerId, producer.producerEpoch, partitions);
    const topics = groupByTopic(results, (r) => ({ partitionIndex: r.partition, partitionErrorCode: r.errorCode }));
    return {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: topics.map(([name, resultsByPartition]) => ({ name, resultsByPartition })),
    };
  },
};

export const addOffsetsToTxnApi: CoordinatorApi = {
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, request, { transactions }) {
    const { transactionalId, producerId, producerEpoch } = transactionalProducer(request);
    const errorCode = transactions.addOffsets(ctx.brokerId, transactionalId, producerId, producerEpoch, str(request['groupId']));
    return { throttleTimeMs: 0, errorCode };
  },
};

export const endTxnApi: CoordinatorApi = {
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, request, { transactions }) {
    const { transactionalId, producerId, producerEpoch } = transactionalProducer(request);
    const errorCode = transactions.endTransaction(ctx.brokerId, transactionalId, producerId, producerEpoch, request['committed'] === true);
    return { throttleTimeMs: 0, errorCode };
  },
};
