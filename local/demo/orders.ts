/**
 * The application traffic: order messages numbered 0, 1, 2, ... spread round-robin over the
 * topic's partitions, so every partition holds increasing sequence numbers and the final check
 * can tell a lost message from a replayed one.
 */
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { RecoveryError } from '../../lambdas/core/errors.ts';
import type { PlacedMessage } from './resume-check.ts';

export function orderValue(seq: number): string {
  return JSON.stringify({ seq, order: `order-${String(seq).padStart(5, '0')}`, amountCents: 1000 + ((seq * 37) % 9000) });
}

/** The sequence number a consumer reads back; a message the demo did not write is a failure, not a skip. */
export function orderSeq(message: Pick<KafkaMessage, 'value' | 'offset'>): number {
  try {
    const parsed = JSON.parse(message.value?.toString('utf8') ?? 'null') as { seq?: unknown } | null;
    if (parsed !== null && typeof parsed.seq === 'number' && Number.isInteger(parsed.seq)) return parsed.seq;
  } catch {
    // reported below
  }
  throw new RecoveryError('CORRUPT_DATA', `the message at offset ${message.offset} is not an order the demo produced`);
}

export class OrderProducer {
  private readonly producer: Producer;
  private nextSeq = 0;
  readonly produced: PlacedMessage[] = [];

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly partitions: number,
  ) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** Produces `count` more orders in one request; returns them with the offsets the brokers gave. */
  async produce(count: number): Promise<PlacedMessage[]> {
    const seqs = Array.from({ length: count }, (_, i) => this.nextSeq + i);
    this.nextSeq += count;
    const partitionOf = (seq: number): number => seq % this.partitions;
    const metadata = await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: seqs.map((seq) => ({ partition: partitionOf(seq), key: `order-${seq}`, value: orderValue(seq) })),
    });
    const baseOffsets = new Map(metadata.map((m) => [m.partition, Number(m.baseOffset)]));
    // One batch per partition, in send order: the n-th message of a partition sits at base + n.
    const placed: PlacedMessage[] = [];
    const nthInPartition = new Map<number, number>();
    for (const seq of seqs) {
      const partition = partitionOf(seq);
      const base = baseOffsets.get(partition);
      if (base === undefined) throw new RecoveryError('KAFKA_ERROR', `the produce response has no offset for partition ${partition}`);
      const n = nthInPartition.get(partition) ?? 0;
      nthInPartition.set(partition, n + 1);
      placed.push({ seq, partition, offset: base + n });
    }
    this.produced.push(...placed);
    return placed;
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** Per partition: how many, first and last sequence number, first and last offset. */
export function summarizeByPartition(messages: readonly PlacedMessage[]): Array<{ partition: number; count: number; firstSeq: number; lastSeq: number; fromOffset: number; toOffset: number }> {
  const byPartition = new Map<number, PlacedMessage[]>();
  for (const m of messages) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
  return [...byPartition.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partition, list]) => ({
      partition,
      count: list.length,
      firstSeq: list[0]!.seq,
      lastSeq: list.at(-1)!.seq,
      fromOffset: list[0]!.offset,
      toOffset: list.at(-1)!.offset,
    }));
}
