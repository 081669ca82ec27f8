/**
 * The consumers of the story, all plain kafkajs clients as an application would run them: the
 * service that falls behind and commits, the restarted member that gets no assignment, a
 * neighbour group that keeps working, and the consumer on the recovered group.
 */
import { Kafka, logLevel, type Consumer, type LogEntry } from 'kafkajs';
import { kafkaErrorName } from '../../lambdas/core/errors.ts';
import type { KafkaPort } from '../../lambdas/core/ports.ts';
import { describeKafkaErrorCode } from '../../lambdas/kafka/index.ts';
import { orderSeq } from './orders.ts';
import type { PlacedMessage } from './resume-check.ts';
import { pause, waitUntil } from './wait.ts';

const CONSUMER_TIMEOUTS = {
  sessionTimeout: 10_000,
  heartbeatInterval: 500,
  // A short fetch wait lets disconnect() return at once instead of after kafkajs's 5 s long poll.
  maxWaitTimeInMs: 100,
  retry: { retries: 5, initialRetryTime: 50 },
} as const;

async function stopQuietly(consumer: Consumer): Promise<void> {
  await consumer.disconnect().catch(() => undefined);
}

/**
 * The service works through the backlog and has handled (and committed) the messages below
 * `stopAt[partition]` when it is stopped: its committed offsets are exactly `stopAt`.
 */
export async function consumeUpTo(kafka: Kafka, group: string, topic: string, stopAt: ReadonlyMap<number, number>, signal: AbortSignal): Promise<PlacedMessage[]> {
  const consumer = kafka.consumer({ groupId: group, ...CONSUMER_TIMEOUTS });
  const processed: PlacedMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, pause: pausePartition }) => {
        const limit = stopAt.get(batch.partition) ?? 0;
        for (const message of batch.messages) {
          if (Number(message.offset) >= limit) {
            pausePartition();
            return;
          }
          processed.push({ seq: orderSeq(message), partition: batch.partition, offset: Number(message.offset) });
          resolveOffset(message.offset);
        }
      },
    });
    const handled = (partition: number): number => processed.filter((m) => m.partition === partition).length;
    await waitUntil(`${group} to handle its share of the backlog`, () => ([...stopAt].every(([p, limit]) => handled(p) >= limit) ? true : undefined), signal);
    await consumer.commitOffsets([...stopAt].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })));
    return processed;
  } finally {
    await stopQuietly(consumer);
  }
}

export interface StuckProbe {
  assigned: boolean;
  waitedMs: number;
  /** times kafkajs gave up joining (KafkaJSNumberOfRetriesExceeded) and restarted the consumer */
  restarts: number;
  /** error responses kafkajs logged for the group's calls, by API and Kafka error name */
  groupErrors: Array<{ api: string; error: string; count: number }>;
}

/** Kafka's names for the kafkajs messages of the coordinator errors, so the story prints NOT_COORDINATOR, not prose. */
const COORDINATOR_ERROR_NAMES = new Map([14, 15, 16].map((code) => [describeKafkaErrorCode(code).message, describeKafkaErrorCode(code).name]));

/**
 * A new member of a group whose shard is FAILED: FindCoordinator answers, every JoinGroup is
 * refused, and the consumer never gets partitions. Watches it for a while through kafkajs's own
 * log (the error responses it received) and its GROUP_JOIN event, then stops it.
 */
export async function probeStuckMember(brokers: string[], group: string, topic: string, signal: AbortSignal, watch = { minMs: 3_000, maxMs: 6_000 }): Promise<StuckProbe> {
  const errors = new Map<string, { api: string; error: string; count: number }>();
  let restarts = 0;
  const record = ({ log }: LogEntry): void => {
    if (log.message.startsWith('Restarting the consumer')) restarts++;
    const api = /^Response (\w+)\(/.exec(log.message)?.[1];
    const error = typeof log['error'] === 'string' ? log['error'] : undefined;
    if (api === undefined || error === undefined) return;
    const name = COORDINATOR_ERROR_NAMES.get(error) ?? error;
    const key = `${api} ${name}`;
    const entry = errors.get(key) ?? { api, error: name, count: 0 };
    entry.count++;
    errors.set(key, entry);
  };
  // kafkajs logs a group call's error response only at DEBUG.
  const kafka = new Kafka({ clientId: `${group}-restarted`, brokers, logLevel: logLevel.DEBUG, logCreator: () => record, retry: { retries: 2, initialRetryTime: 100 } });
  const consumer = kafka.consumer({ groupId: group, ...CONSUMER_TIMEOUTS, retry: { retries: 2, initialRetryTime: 100 } });
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    assigned = true;
  });
  const started = Date.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    // Long enough to see kafkajs give up and start over at least once, as an operator would watch it.
    const watching = (): boolean => {
      const elapsed = Date.now() - started;
      return elapsed < watch.minMs || (restarts < 1 && elapsed < watch.maxMs);
    };
    while (!assigned && watching()) await pause(50, signal);
    return { assigned, waitedMs: Date.now() - started, restarts, groupErrors: [...errors.values()] };
  } finally {
    await stopQuietly(consumer);
  }
}

/** The answer a group call gets through the toolkit's port: the Kafka error name, or 'OK'. */
export async function groupCallOutcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'OK';
  } catch (error) {
    return kafkaErrorName(error) ?? (error as Error).message;
  }
}

export interface NeighbourRun {
  assignedPartitions: number;
  consumed: number;
  committed: boolean;
}

/** Another group whose coordinator shard is on the same broker: joins, reads `count` messages, commits. */
export async function runNeighbour(kafka: Kafka, port: KafkaPort, group: string, topic: string, count: number, signal: AbortSignal): Promise<NeighbourRun> {
  const consumer = kafka.consumer({ groupId: group, ...CONSUMER_TIMEOUTS });
  let assignedPartitions = 0;
  let consumed = 0;
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    assignedPartitions = Object.values(event.payload.memberAssignment).reduce((n, partitions) => n + partitions.length, 0);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommitThreshold: 1,
      eachMessage: async () => {
        consumed++;
      },
    });
    await waitUntil(`${group} to consume ${count} messages`, () => (consumed >= count ? true : undefined), signal);
  } finally {
    await stopQuietly(consumer);
  }
  const offsets = await port.fetchCommittedOffsets(group, [topic]);
  return { assignedPartitions, consumed, committed: offsets.length > 0 && offsets.every((o) => o.offset >= 0n) };
}

/** A consumer on `group` (fromBeginning, so a group without offsets would replay everything) until `enough` says so. */
export async function consumeUntil(kafka: Kafka, group: string, topic: string, enough: (received: readonly PlacedMessage[]) => boolean, signal: AbortSignal): Promise<PlacedMessage[]> {
  const consumer = kafka.consumer({ groupId: group, ...CONSUMER_TIMEOUTS });
  const received: PlacedMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommitThreshold: 1,
      eachMessage: async ({ partition, message }) => {
        received.push({ seq: orderSeq(message), partition, offset: Number(message.offset) });
      },
    });
    await waitUntil(`${group} to receive what the failed group had not consumed`, () => (enough(received) ? true : undefined), signal);
    return [...received];
  } finally {
    await stopQuietly(consumer);
  }
}
