import type {
  ControlMarker,
  CoordinatorRecord,
  LoggedBatch,
  ProducerIdentity,
  ShardLog,
} from '../../../../../local/kafka/coordinator/coordinator-records.ts';
import type { ShardEnvironment } from '../../../../../local/kafka/coordinator/group-shard.ts';

/** A ShardLog that keeps batches as values: the state-machine tests need no bytes. */
export class MemoryShardLog implements ShardLog {
  readonly batches: LoggedBatch[] = [];
  private next = 0n;
  failWrites = false;

  appendRecords(records: CoordinatorRecord[], timestamp: bigint, producer?: ProducerIdentity): bigint {
    if (this.failWrites) throw new Error('log unavailable');
    const baseOffset = this.next;
    this.batches.push({
      isControl: false,
      baseOffset,
      producerId: producer?.producerId ?? -1n,
      producerEpoch: producer?.producerEpoch ?? -1,
      isTransactional: producer !== undefined,
      records: records.map((record, i) => ({ offset: baseOffset + BigInt(i), timestamp, record })),
    });
    this.next += BigInt(records.length);
    return baseOffset;
  }

  appendControl(marker: ControlMarker, producer: ProducerIdentity, coordinatorEpoch: number): bigint {
    if (this.failWrites) throw new Error('log unavailable');
    const baseOffset = this.next;
    this.batches.push({ isControl: true, baseOffset, ...producer, marker, coordinatorEpoch });
    this.next += 1n;
    return baseOffset;
  }

  readBatches(): Iterable<LoggedBatch> {
    return this.batches;
  }

  records(): CoordinatorRecord[] {
    return this.batches.flatMap((b) => (b.isControl ? [] : b.records.map((r) => r.record)));
  }
}

/** Real timers under vi.useFakeTimers(): tests advance time instead of sleeping. */
export function testShardEnvironment(overrides: Partial<ShardEnvironment> = {}): ShardEnvironment {
  let ids = 0;
  return {
    now: () => Date.now(),
    schedule: (delayMs, action) => {
      const timer = setTimeout(action, delayMs);
      return () => clearTimeout(timer);
    },
    newMemberId: (prefix) => `${prefix}-${++ids}`,
    initialRebalanceDelayMs: 100,
    minSessionTimeoutMs: 1000,
    maxSessionTimeoutMs: 300_000,
    offsetsRetentionMs: 60_000,
    maxMetadataBytes: 4096,
    ...overrides,
  };
}
