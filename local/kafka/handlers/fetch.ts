import { ErrorCode } from '../protocol/error-codes.ts';
import type { PartitionLog, IsolationLevel } from '../log/partition-log.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { ProtocolValue } from '../server/registry.ts';
import type { DataPlaneApi } from './services.ts';
import type { RequestContext } from '../server/context.ts';
import { errorCodeOf, leaderEpochError, leaderPartition } from './common.ts';
import type { SessionPartition } from './fetch-sessions.ts';

const EMPTY = Buffer.alloc(0);

/**
 * Fetch v4-12. Reads whole batches from the leader's log (read_committed stops at the last
 * stable offset and lists aborted transactions), waits up to maxWaitMs for minBytes with a
 * wake-up on append, answers NOT_LEADER_OR_FOLLOWER on other brokers and OFFSET_OUT_OF_RANGE
 * outside the log. Fetch sessions (v7+) are kept per broker: a full fetch with epoch 0 opens
 * one, incremental fetches update it, and every response lists all of its partitions.
 */
export const fetchApi: DataPlaneApi = {
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 12,
  async handle(ctx: RequestContext, request: ProtocolValue, { fetchSessions }) {
    const resolved = fetchSessions.resolve(ctx.brokerId, request);
    if (typeof resolved === 'number') return { throttleTimeMs: 0, errorCode: resolved, sessionId: 0, responses: [] };
    const isolation: IsolationLevel = request['isolationLevel'] === 1 ? 'read_committed' : 'read_uncommitted';
    const maxWaitMs = Math.max(0, Math.min(request['maxWaitMs'] as number, 60_000));
    const minBytes = Math.max(0, request['minBytes'] as number);
    const maxBytes = request['maxBytes'] as number;
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      const { responses, bytes, logs, failed } = readAll(ctx, resolved.partitions, isolation, maxBytes);
      // Kafka answers once minBytes are there (minBytes 0: at once), on an error, or at the deadline.
      const done = bytes >= minBytes || failed || maxWaitMs === 0 || Date.now() >= deadline || ctx.signal.aborted;
      if (done || logs.length === 0) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: resolved.sessionId, responses };
      }
      await waitForAppend(logs, deadline - Date.now(), ctx.signal);
    }
  },
};

function readAll(ctx: RequestContext, partitions: SessionPartition[], isolation: IsolationLevel, maxBytes: number) {
  const byTopic = new Map<string, ProtocolValue[]>();
  const logs: PartitionLog[] = [];
  let bytes = 0;
  let failed = false;
  for (const p of partitions) {
    const answer = (fields: ProtocolValue): void => {
      let list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, (list = []));
      list.push({ partitionIndex: p.partition, preferredReadReplica: -1, ...fields });
    };
    const state = leaderPartition(ctx.cluster, ctx.brokerId, p.topic, p.partition);
    if (typeof state === 'number') {
      failed = true;
      answer({ errorCode: state, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, records: EMPTY });
      continue;
    }
    const fenced = leaderEpochError(state, p.currentLeaderEpoch);
    if (fenced !== ErrorCode.NONE) {
      failed = true;
      answer({ errorCode: fenced, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, records: EMPTY });
      continue;
    }
    const log = state.log;
    logs.push(log);
    const remaining = maxBytes - bytes;
    const limit = Math.min(p.maxBytes, Math.max(remaining, 0));
    try {
      const read = limit <= 0 && bytes > 0 ? null : log.read(p.fetchOffset, Math.max(limit, 1), isolation);
      // Only the first partition with data may exceed the limits (KIP-74), so a consumer always progresses.
      const records = read === null || (bytes > 0 && read.records.length > limit) ? EMPTY : read.records;
      bytes += records.length;
      log.countFetched(records.length);
      answer({
        errorCode: ErrorCode.NONE,
        highWatermark: BigInt(log.highWatermark),
        lastStableOffset: BigInt(log.lastStableOffset),
        logStartOffset: BigInt(log.logStartOffset),
        abortedTransactions:
          isolation === 'read_committed'
            ? (read?.abortedTransactions ?? []).map((t) => ({ producerId: BigInt(t.producerId), firstOffset: BigInt(t.firstOffset) }))
            : null,
        records,
      });
    } catch (error) {
      failed = true;
      answer({
        errorCode: errorCodeOf(error),
        highWatermark: BigInt(log.highWatermark),
        lastStableOffset: BigInt(log.lastStableOffset),
        logStartOffset: BigInt(log.logStartOffset),
        abortedTransactions: null,
        records: EMPTY,
      });
    }
  }
  const responses = [...byTopic].map(([topic, parts]) => ({ topic, partitions: parts }));
  return { responses, bytes, logs, failed };
}

function waitForAppend(logs: PartitionLog[], timeoutMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribers: Array<() => void> = [];
    const finish = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      for (const u of unsubscribers) u();
      resolve();
    };
    const timer = setTimeout(finish, Math.max(0, timeoutMs));
    signal.addEventListener('abort', finish, { once: true });
    for (const log of logs) unsubscribers.push(log.onAppend(finish));
  });
}
