import { crc32c } from '../../../lambdas/core/record-batch/crc32c.ts';
import { ATTRIBUTES_OFFSET, CRC_OFFSET, splitBatches } from '../log/batch-header.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { ProtocolValue } from '../server/registry.ts';
import type { DataPlaneApi } from './services.ts';
import { NO_RESPONSE } from '../server/registry.ts';
import type { RequestContext } from '../server/context.ts';
import { errorCodeOf, errorMessageOf, leaderPartition, topicNameFor } from './common.ts';

/** The client id Kafka allows to produce to internal topics (KafkaApis.handleProduceRequest). */
export const ADMIN_CLIENT_ID = '__admin_client';

interface ProducePartition {
  index: number;
  records: Buffer | null;
}

/**
 * Produce v3-9 (RecordBatch v2 only). The leader appends each partition's batches and assigns
 * offsets; acks=0 gets no response, as on Kafka. Idempotent sequences are accepted as sent
 * (lenient), transactional batches are tracked by the log for the last stable offset.
 */
export const produceApi: DataPlaneApi = {
  apiKey: ApiKey.Produce,
  minVersion: 3,
  maxVersion: 9,
  handle(ctx: RequestContext, request: ProtocolValue) {
    const acks = request['acks'] as number;
    const topics = request['topicData'] as Array<{ name?: string; topicId?: string; partitionData: ProducePartition[] }>;
    const responses = topics.map((topic) => {
      const name = topicNameFor(ctx.cluster, topic.name, topic.topicId) ?? topic.name ?? '';
      return {
        name,
        topicId: topic.topicId,
        partitionResponses: topic.partitionData.map((p) => producePartition(ctx, acks, name, p)),
      };
    });
    if (acks === 0) return NO_RESPONSE;
    return { responses, throttleTimeMs: 0 };
  },
};

/** Kafka's broker default for a topic's `max.message.bytes` (`message.max.bytes`: 1 MiB plus the 12-byte log overhead). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1048588;

type BatchProblem = { errorCode: number; errorMessage: string | null };

/**
 * The broker's checks of each produced batch before appending (UnifiedLog's validation, batch by
 * batch): its whole frame must fit the topic's `max.message.bytes`, then its CRC-32C must match.
 * Kafka answers both without an error message (ReplicaManager keeps custom messages for record
 * validation errors only); the CRC one keeps its message here, which clients only print.
 */
function firstBadBatch(records: Buffer, topic: string, partition: number, maxMessageBytes: number): BatchProblem | null {
  let batches: ReturnType<typeof splitBatches>;
  try {
    batches = splitBatches(records);
  } catch (error) {
    return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: errorMessageOf(error) };
  }
  for (const [index, { frame }] of batches.entries()) {
    if (frame.length > maxMessageBytes) return { errorCode: ErrorCode.MESSAGE_TOO_LARGE, errorMessage: null };
    const stored = frame.readUInt32BE(CRC_OFFSET);
    const computed = crc32c(frame, ATTRIBUTES_OFFSET, frame.length);
    if (stored !== computed) return { errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: `Record batch ${index} of ${topic}-${partition} is corrupt (stored crc = ${stored}, computed crc = ${computed})` };
  }
  return null;
}

function maxMessageBytesOf(configs: Record<string, string> | undefined): number {
  const configured = Number(configs?.['max.message.bytes']);
  return Number.isInteger(configured) && configured >= 0 ? configured : DEFAULT_MAX_MESSAGE_BYTES;
}

function producePartition(ctx: RequestContext, acks: number, topic: string, p: ProducePartition): ProtocolValue {
  const failed = (errorCode: number, errorMessage: string | null = null): ProtocolValue => ({
    index: p.index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage,
  });
  if (acks !== 0 && acks !== 1 && acks !== -1) return failed(ErrorCode.INVALID_REQUIRED_ACKS);
  const state = leaderPartition(ctx.cluster, ctx.brokerId, topic, p.index);
  if (typeof state === 'number') return failed(state);
  // Only brokers write their internal topics, and admin tooling: KafkaApis lets the client id
  // `__admin_client` append to them (internalTopicsAllowed), which is how a record the
  // coordinator cannot replay gets into __consumer_offsets on a real broker too.
  if (ctx.cluster.topic(topic)?.internal === true && ctx.clientId !== ADMIN_CLIENT_ID) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
  if (p.records === null || p.records.length === 0) return failed(ErrorCode.CORRUPT_MESSAGE, 'empty record set');
  const minIsr = Number(ctx.cluster.topic(topic)?.configs['min.insync.replicas'] ?? '1');
  if (acks === -1 && state.isr.length < minIsr) {
    return failed(ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR [${state.isr.join(', ')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${topic}-${p.index}`);
  }
  try {
    const bad = firstBadBatch(p.records, topic, p.index, maxMessageBytesOf(ctx.cluster.topic(topic)?.configs));
    if (bad !== null) return failed(bad.errorCode, bad.errorMessage);
    const result = state.log.append(p.records, { leaderEpoch: state.leaderEpoch });
    return {
      index: p.index,
      errorCode: ErrorCode.NONE,
      baseOffset: BigInt(result.baseOffset),
      logAppendTimeMs: BigInt(result.logAppendTime),
      logStartOffset: BigInt(result.logStartOffset),
      recordErrors: [],
      errorMessage: null,
    };
  } catch (error) {
    return failed(errorCodeOf(error), errorMessageOf(error));
  }
}
