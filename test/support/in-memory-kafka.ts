/**
 * An in-memory KafkaPort for unit tests. Partition logs hold real encoded RecordBatch v2 frames,
 * so a Fetch hands core exactly the bytes a broker would and the real decoder runs. Faults a
 * scan must survive can be injected: leader moves (stale client metadata answers
 * NOT_LEADER_OR_FOLLOWER until refreshMetadata), dropped connections, responses cut at
 * maxBytes, retention moving the log start, and open transactions holding back the LSO.
 * Every call is recorded in `calls`, so tests can prove a scan never writes.
 */
import { RecoveryError, kafkaError } from '../../lambdas/core/errors.ts';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../lambdas/core/ports.ts';
import type {
  AbortedTransaction,
  BrokerInfo,
  ClusterMetadata,
  CommittedOffsetEntry,
  FetchRequest,
  FetchResult,
  GroupDescription,
  KafkaPort,
  ListedOffset,
  OffsetSpec,
  OffsetToCommit,
  PartitionCommitResult,
  PartitionInfo,
  TopicInfo,
} from '../../lambdas/core/ports.ts';
import { decodeRecordBatches, encodeControlBatch, encodeRecordBatch } from '../../lambdas/core/record-batch/index.ts';
import type { ControlType } from '../../lambdas/core/record-batch/index.ts';
import type { OffsetsLogRecord } from './offsets-records.ts';

interface StoredBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  bytes: Buffer;
  /** offset and timestamp of each record still in the batch (compaction may have removed some). */
  records: { offset: bigint; timestamp: bigint }[];
}

interface TransactionSpan {
  producerId: bigint;
  firstOffset: bigint;
  markerOffset: bigint;
}

export class PartitionLog {
  readonly batches: StoredBatch[] = [];
  logStart = 0n;
  logEnd = 0n;
  leader: number;
  leaderEpoch = 0;
  replicas: number[];
  private readonly openTransactions = new Map<bigint, bigint>();
  private readonly abortedSpans: TransactionSpan[] = [];

  constructor(leader: number, replicas: number[]) {
    this.leader = leader;
    this.replicas = replicas;
  }

  /** Stores one encoded frame; its offsets must not go below the log end. */
  appendFrame(frame: Buffer): StoredBatch {
    const decoded = decodeRecordBatches(frame);
    const batch = decoded.batches[0];
    if (decoded.batches.length !== 1 || batch?.kind !== 'records') {
      throw new Error(`appendFrame expects exactly one valid batch, got ${decoded.batches.map((b) => b.kind).join(', ')}`);
    }
    if (batch.baseOffset < this.logEnd) {
      throw new Error(`batch base offset ${batch.baseOffset} is below the log end ${this.logEnd}`);
    }
    const records = [];
    for (let i = 0; i < batch.recordCount; i++) records.push({ offset: batch.offsetAt(i), timestamp: batch.timestampAt(i) });
    const stored: StoredBatch = { baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, bytes: frame, records };
    this.batches.push(stored);
    this.logEnd = batch.lastOffset + 1n;
    if (batch.isTransactional && !batch.isControl && !this.openTransactions.has(batch.producerId)) {
      this.openTransactions.set(batch.producerId, batch.baseOffset);
    }
    const marker = batch.controlMarker();
    if (marker !== null) {
      const firstOffset = this.openTransactions.get(batch.producerId);
      this.openTransactions.delete(batch.producerId);
      if (marker.type === 'ABORT' && firstOffset !== undefined) {
        this.abortedSpans.push({ producerId: batch.producerId, firstOffset, markerOffset: batch.baseOffset });
      }
    }
    return stored;
  }

  /** read_committed readers stop at the first offset of the oldest open transaction. */
  get lastStableOffset(): bigint {
    let lso = this.logEnd;
    for (const first of this.openTransactions.values()) if (first < lso) lso = first;
    return lso;
  }

  /** Retention: whole batches below `newStart` go, and the log start moves there. */
  deleteBefore(newStart: bigint): void {
    if (newStart > this.logEnd) throw new Error(`cannot move the log start past the log end ${this.logEnd}`);
    while (this.batches.length > 0 && this.batches[0]!.lastOffset < newStart) this.batches.shift();
    this.logStart = newStart;
  }

  abortedTransactionsIn(from: bigint, to: bigint): AbortedTransaction[] {
    return this.abortedSpans
      .filter((span) => span.firstOffset <= to && span.markerOffset >= from)
      .map((span) => ({ producerId: span.producerId, firstOffset: span.firstOffset }));
  }

  offsetForTimestamp(timestamp: bigint): ListedOffset['offset'] | null {
    for (const batch of this.batches) {
      for (const record of batch.records) {
        if (record.offset >= this.logStart && record.timestamp >= timestamp) return record.offset;
      }
    }
    return null;
  }
}

export interface FetchFaults {
  /** The next N fetches fail as a dropped connection (KAFKA_UNAVAILABLE). */
  dropConnections: number;
  /**
   * 'cut': the response is the concatenated frames cut at maxBytes, like brokers before
   * KIP-74 (a first batch larger than maxBytes arrives partial). 'whole': the first batch
   * always arrives whole, later ones only when they fit (modern brokers).
   */
  sizeLimit: 'cut' | 'whole';
  /** Called before every fetch is served: move a leader, apply retention, ... mid-scan. */
  beforeFetch?: (request: FetchRequest, fetchIndex: number) => void;
}

export interface InMemoryKafkaOptions {
  brokers?: number;
  offsetsPartitions?: number;
  /** First record timestamp the offsets-log writers use (epoch ms). */
  startTime?: bigint;
}

export class InMemoryKafka implements KafkaPort {
  readonly brokers: BrokerInfo[];
  readonly topics = new Map<string, PartitionLog[]>();
  readonly calls: string[] = [];
  readonly faults: FetchFaults = { dropConnections: 0, sizeLimit: 'cut' };
  readonly committed = new Map<string, Map<string, OffsetToCommit>>();
  /** Groups whose coordinator shard is FAILED: group calls answer NOT_COORDINATOR. */
  readonly failedGroups = new Set<string>();
  private readonly knownLeaders = new Map<string, number>();
  private fetchCount = 0;
  private readonly startTime: bigint;

  constructor(options: InMemoryKafkaOptions = {}) {
    const brokerCount = options.brokers ?? 3;
    this.startTime = options.startTime ?? 1_700_000_000_000n;
    this.brokers = Array.from({ length: brokerCount }, (_, i) => ({ nodeId: i + 1, host: `b-${i + 1}.test`, port: 9092, rack: null }));
    const offsetsPartitions = options.offsetsPartitions ?? 50;
    if (offsetsPartitions > 0) this.createTopic(CONSUMER_OFFSETS_TOPIC, offsetsPartitions);
  }

  /** Leaders are spread round-robin over the brokers. */
  createTopic(name: string, partitions: number): PartitionLog[] {
    const ids = this.brokers.map((b) => b.nodeId);
    const logs = Array.from({ length: partitions }, (_, p) => {
      const replicas = ids.map((_, r) => ids[(p + r) % ids.length]!);
      return new PartitionLog(replicas[0] ?? -1, replicas);
    });
    this.topics.set(name, logs);
    return logs;
  }

  deleteTopic(name: string): void {
    this.topics.delete(name);
  }

  log(topic: string, partition: number): PartitionLog {
    const log = this.topics.get(topic)?.[partition];
    if (log === undefined) throw new Error(`no partition ${topic}-${partition}`);
    return log;
  }

  /** A writer for one `__consumer_offsets` partition. */
  offsetsLog(partition: number): OffsetsLogWriter {
    return new OffsetsLogWriter(this.log(CONSUMER_OFFSETS_TOPIC, partition), this.startTime);
  }

  /** An application topic partition's offsets (no data needed for completeness checks). */
  setOffsets(topic: string, partition: number, logStart: bigint, logEnd: bigint): void {
    const log = this.log(topic, partition);
    log.logStart = logStart;
    log.logEnd = logEnd;
  }

  /** Moves leadership; clients keep the old leader until they refresh metadata. */
  moveLeader(topic: string, partition: number, newLeader: number): void {
    const log = this.log(topic, partition);
    log.leader = newLeader;
    log.leaderEpoch++;
  }

  async metadata(topics?: string[]): Promise<ClusterMetadata> {
    this.calls.push('metadata');
    const names = topics ?? [...this.topics.keys()];
    const infos: TopicInfo[] = [];
    for (const name of [...new Set(names)].sort()) {
      const logs = this.topics.get(name);
      if (logs === undefined) continue; // like a Metadata answer with UNKNOWN_TOPIC_OR_PARTITION, dropped
      const partitions: PartitionInfo[] = logs.map((log, partition) => {
        this.knownLeaders.set(`${name}/${partition}`, log.leader);
        return { partition, leader: log.leader, leaderEpoch: log.leaderEpoch, replicas: [...log.replicas], isr: [...log.replicas] };
      });
      infos.push({ name, isInternal: name === CONSUMER_OFFSETS_TOPIC, partitions });
    }
    return { clusterId: 'in-memory', controllerId: this.brokers[0]?.nodeId ?? -1, brokers: [...this.brokers], topics: infos };
  }

  async refreshMetadata(): Promise<void> {
    this.calls.push('refreshMetadata');
    this.knownLeaders.clear();
  }

  async listOffsets(topic: string, partitions: number[], spec: OffsetSpec): Promise<ListedOffset[]> {
    this.calls.push(`listOffsets:${spec.kind}`);
    return partitions.map((partition) => {
      const log = this.requirePartition(topic, partition);
      if (spec.kind === 'earliest') return { partition, offset: log.logStart, timestamp: -1n };
      if (spec.kind === 'latest') return { partition, offset: log.logEnd, timestamp: -1n };
      const found = log.offsetForTimestamp(spec.timestamp);
      return { partition, offset: found ?? log.logEnd, timestamp: found === null ? -1n : spec.timestamp };
    });
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    this.calls.push('fetch');
    const index = this.fetchCount++;
    this.faults.beforeFetch?.(request, index);
    if (this.faults.dropConnections > 0) {
      this.faults.dropConnections--;
      throw new RecoveryError('KAFKA_UNAVAILABLE', `connection to the leader of ${request.topic}-${request.partition} was closed`, { retryable: true });
    }
    const log = this.requirePartition(request.topic, request.partition);
    const key = `${request.topic}/${request.partition}`;
    const believed = this.knownLeaders.get(key);
    if (believed === undefined) this.knownLeaders.set(key, log.leader);
    else if (believed !== log.leader) {
      throw kafkaError('NOT_LEADER_OR_FOLLOWER', 6, `broker ${believed} is not the leader of ${key}`, { retryable: true });
    }
    if (request.offset < log.logStart || request.offset > log.logEnd) {
      throw kafkaError('OFFSET_OUT_OF_RANGE', 1, `offset ${request.offset} is outside [${log.logStart}, ${log.logEnd}] of ${key}`);
    }
    const upTo = request.isolation === 'read_committed' ? log.lastStableOffset : log.logEnd;
    const frames: Buffer[] = [];
    let size = 0;
    let lastServed = request.offset;
    for (const batch of log.batches) {
      if (batch.lastOffset < request.offset) continue;
      if (batch.lastOffset >= upTo) break;
      if (this.faults.sizeLimit === 'whole' && frames.length > 0 && size + batch.bytes.length > request.maxBytes) break;
      frames.push(batch.bytes);
      size += batch.bytes.length;
      lastServed = batch.lastOffset;
      if (size >= request.maxBytes) break;
    }
    let records = Buffer.concat(frames);
    if (this.faults.sizeLimit === 'cut' && records.length > request.maxBytes) records = records.subarray(0, request.maxBytes);
    return {
      highWatermark: log.logEnd,
      lastStableOffset: log.lastStableOffset,
      logStartOffset: log.logStart,
      abortedTransactions: request.isolation === 'read_committed' ? log.abortedTransactionsIn(request.offset, lastServed) : [],
      records,
    };
  }

  async findCoordinator(groupId: string): Promise<BrokerInfo> {
    this.calls.push('findCoordinator');
    const offsets = this.topics.get(CONSUMER_OFFSETS_TOPIC);
    if (offsets === undefined) throw kafkaError('COORDINATOR_NOT_AVAILABLE', 15, 'no __consumer_offsets topic');
    const leader = offsets[partitionForGroup(groupId, offsets.length)]!.leader;
    const broker = this.brokers.find((b) => b.nodeId === leader);
    if (broker === undefined) throw kafkaError('COORDINATOR_NOT_AVAILABLE', 15, `coordinator ${leader} is not available`);
    return broker;
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    this.calls.push('describeGroup');
    this.requireHealthyCoordinator(groupId);
    return { groupId, state: this.committed.has(groupId) ? 'Empty' : 'Dead', protocolType: 'consumer', protocol: '', members: [] };
  }

  async fetchCommittedOffsets(groupId: string, topics?: string[]): Promise<CommittedOffsetEntry[]> {
    this.calls.push('fetchCommittedOffsets');
    this.requireHealthyCoordinator(groupId);
    const entries = [...(this.committed.get(groupId)?.values() ?? [])].filter((e) => topics === undefined || topics.includes(e.topic));
    return entries.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.offset, leaderEpoch: e.leaderEpoch ?? -1, metadata: e.metadata ?? null }));
  }

  async commitOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<PartitionCommitResult[]> {
    this.calls.push('commitOffsets');
    this.requireHealthyCoordinator(groupId);
    const group = this.committed.get(groupId) ?? new Map<string, OffsetToCommit>();
    this.committed.set(groupId, group);
    return offsets.map((o) => {
      if (!this.topics.has(o.topic)) return { topic: o.topic, partition: o.partition, errorName: 'UNKNOWN_TOPIC_OR_PARTITION' };
      group.set(`${o.topic}/${o.partition}`, { ...o });
      return { topic: o.topic, partition: o.partition, errorName: null };
    });
  }

  async close(): Promise<void> {
    this.calls.push('close');
  }

  private requirePartition(topic: string, partition: number): PartitionLog {
    const log = this.topics.get(topic)?.[partition];
    if (log === undefined) throw kafkaError('UNKNOWN_TOPIC_OR_PARTITION', 3, `${topic}-${partition} does not exist`);
    return log;
  }

  private requireHealthyCoordinator(groupId: string): void {
    if (this.failedGroups.has(groupId)) throw kafkaError('NOT_COORDINATOR', 16, `the coordinator of ${groupId} is FAILED`, { retryable: true });
  }
}

export interface BatchOptions {
  /** Leave a gap before this batch, as compaction of earlier batches does. */
  skipOffsets?: bigint;
  producerId?: bigint;
  transactional?: boolean;
  /** Per-record offset deltas, e.g. [0, 3, 4] after compaction removed records 1 and 2. */
  offsetDeltas?: number[];
  /** Larger than the last delta when compaction removed the batch's tail. */
  lastOffsetDelta?: number;
  compression?: 'none' | 'gzip';
  /** Record timestamp (default: the writer's clock, which then advances by `step`). */
  timestamp?: bigint;
}

/**
 * Appends batches to one partition log with a clock: every batch gets the clock's time and
 * advances it by one second, unless a timestamp is given. Returns the offsets written.
 */
export class OffsetsLogWriter {
  clock: bigint;
  readonly stepMs = 1000n;

  constructor(
    readonly log: PartitionLog,
    startTime: bigint,
  ) {
    this.clock = startTime;
  }

  batch(records: OffsetsLogRecord[] | ((timestamp: bigint) => OffsetsLogRecord[]), options: BatchOptions = {}): { baseOffset: bigint; lastOffset: bigint; timestamp: bigint } {
    const timestamp = options.timestamp ?? this.clock;
    this.clock = (timestamp > this.clock ? timestamp : this.clock) + this.stepMs;
    const list = typeof records === 'function' ? records(timestamp) : records;
    const baseOffset = this.log.logEnd + (options.skipOffsets ?? 0n);
    const producerId = options.producerId ?? -1n;
    const frame = encodeRecordBatch({
      baseOffset,
      producerId,
      producerEpoch: producerId >= 0n ? 0 : -1,
      baseSequence: producerId >= 0n ? 0 : -1,
      isTransactional: options.transactional ?? false,
      compression: options.compression ?? 'none',
      ...(options.lastOffsetDelta === undefined ? {} : { lastOffsetDelta: options.lastOffsetDelta }),
      records: list.map((r, i) => ({ key: r.key, value: r.value, timestamp, offsetDelta: options.offsetDeltas?.[i] ?? i })),
    });
    const stored = this.log.appendFrame(frame);
    return { baseOffset: stored.baseOffset, lastOffset: stored.lastOffset, timestamp };
  }

  /** A one-record batch. */
  record(record: OffsetsLogRecord | ((timestamp: bigint) => OffsetsLogRecord), options: BatchOptions = {}): { offset: bigint; timestamp: bigint } {
    const written = this.batch(typeof record === 'function' ? (ts) => [record(ts)] : [record], options);
    return { offset: written.baseOffset, timestamp: written.timestamp };
  }

  marker(producerId: bigint, type: ControlType, options: { timestamp?: bigint } = {}): bigint {
    const timestamp = options.timestamp ?? this.clock;
    this.clock = timestamp + this.stepMs;
    const stored = this.log.appendFrame(
      encodeControlBatch({ baseOffset: this.log.logEnd, producerId, producerEpoch: 0, type, timestamp, coordinatorEpoch: 0 }),
    );
    return stored.baseOffset;
  }
}
