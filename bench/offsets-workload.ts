/**
 * A synthetic `__consumer_offsets` partition for the benchmark: OffsetCommitValue v3 records
 * (as Kafka 2.1-4.0 brokers write them) over groups x topics x partitions keys, with a group
 * metadata record now and then, in batches of 100-500 records, cut into ~1 MiB fetch responses.
 *
 * The segment is built once. Longer logs replay it again with the batches' baseOffset moved
 * forward: baseOffset is outside the CRC, so the rebased frames stay valid, and memory for the
 * input stays the same whatever the record count.
 */
import {
  encodeConsumerAssignment,
  encodeConsumerSubscription,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../lambdas/core/offsets-records/index.ts';
import { encodeRecordBatch } from '../lambdas/core/record-batch/index.ts';
import type { RecordToEncode } from '../lambdas/core/record-batch/index.ts';

export interface WorkloadShape {
  groups: number;
  topicsPerGroup: number;
  partitionsPerTopic: number;
  records: number;
  minBatchRecords: number;
  maxBatchRecords: number;
  fetchBytes: number;
  /** One group-metadata record per this many records. */
  groupMetadataEvery: number;
}

export const DEFAULT_SHAPE: WorkloadShape = {
  groups: 500,
  topicsPerGroup: 2,
  partitionsPerTopic: 10,
  records: 1_000_000,
  minBatchRecords: 100,
  maxBatchRecords: 500,
  fetchBytes: 1024 * 1024,
  groupMetadataEvery: 1000,
};

export interface FramePlace {
  fetch: number;
  at: number;
  baseOffset: bigint;
}

export interface OffsetsSegment {
  shape: WorkloadShape;
  groups: string[];
  /** Concatenated frames, as the `records` field of successive Fetch responses. */
  fetches: Buffer[];
  frames: FramePlace[];
  records: number;
  bytes: number;
  /** Log offsets one pass covers; pass n starts at n * offsetSpan. */
  offsetSpan: bigint;
  distinctOffsetKeys: number;
}

/** Deterministic xorshift32, so every run measures the same log. */
function randomSource(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n: number) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

export function groupName(index: number): string {
  return `payments-settlement-consumer-${String(index).padStart(4, '0')}`;
}

function topicName(group: number, topic: number): string {
  return `events.${['orders', 'payments', 'ledger', 'refunds'][topic % 4]}.v${(group % 3) + 1}-${topic}`;
}

function groupMetadataRecord(group: number, shape: WorkloadShape, timestamp: number): RecordToEncode {
  const topics = Array.from({ length: shape.topicsPerGroup }, (_, t) => topicName(group, t));
  const member = (m: number) => ({
    memberId: `consumer-${m}-5b2f0c1e-7d1a-4c36-9a57-${String(group).padStart(12, '0')}`,
    groupInstanceId: null,
    clientId: `consumer-${m}`,
    clientHost: `/10.0.${group % 250}.${m + 10}`,
    rebalanceTimeout: 300000,
    sessionTimeout: 45000,
    subscriptionBytes: encodeConsumerSubscription({ topics }),
    assignmentBytes: encodeConsumerAssignment({
      assignedPartitions: topics.map((topic) => ({
        topic,
        partitions: Array.from({ length: shape.partitionsPerTopic }, (_, p) => p).filter((p) => p % 2 === m),
      })),
    }),
  });
  return {
    key: encodeGroupMetadataKey(groupName(group)),
    value: encodeGroupMetadataValue(
      {
        protocolType: 'consumer',
        generation: 7,
        protocol: 'cooperative-sticky',
        leader: member(0).memberId,
        currentStateTimestamp: BigInt(timestamp),
        members: [member(0), member(1)],
      },
      3,
    ),
    timestamp,
  };
}

export function buildOffsetsSegment(shape: WorkloadShape = DEFAULT_SHAPE, seed = 20240501): OffsetsSegment {
  const random = randomSource(seed);
  const groups = Array.from({ length: shape.groups }, (_, g) => groupName(g));
  const keysPerGroup = shape.topicsPerGroup * shape.partitionsPerTopic;
  const keyCount = shape.groups * keysPerGroup;
  const keys: Buffer[] = new Array(keyCount);
  for (let g = 0; g < shape.groups; g++) {
    for (let t = 0; t < shape.topicsPerGroup; t++) {
      for (let p = 0; p < shape.partitionsPerTopic; p++) {
        keys[(g * shape.topicsPerGroup + t) * shape.partitionsPerTopic + p] = encodeOffsetCommitKey({
          group: groups[g]!,
          topic: topicName(g, t),
          partition: p,
        });
      }
    }
  }
  const committed = new Float64Array(keyCount);
  const startMs = Date.UTC(2024, 4, 1);

  const fetches: Buffer[] = [];
  const frames: FramePlace[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    fetches.push(Buffer.concat(pending));
    pending = [];
    pendingBytes = 0;
  };

  let written = 0;
  while (written < shape.records) {
    const size = Math.min(
      shape.minBatchRecords + random(shape.maxBatchRecords - shape.minBatchRecords + 1),
      shape.records - written,
    );
    const records: RecordToEncode[] = new Array(size);
    for (let i = 0; i < size; i++) {
      const n = written + i;
      const timestamp = startMs + Math.floor(n / 50);
      if (n % shape.groupMetadataEvery === shape.groupMetadataEvery - 1) {
        records[i] = groupMetadataRecord(random(shape.groups), shape, timestamp);
        continue;
      }
      const key = random(keyCount);
      committed[key] = committed[key]! + 1 + random(500);
      records[i] = {
        key: keys[key]!,
        value: encodeOffsetCommitValue(
          {
            offset: BigInt(committed[key]!),
            leaderEpoch: 12,
            metadata: n % 10 === 0 ? 'checkpoint' : '',
            commitTimestamp: BigInt(timestamp),
          },
          3,
        ),
        timestamp,
      };
    }
    const baseOffset = BigInt(written);
    const frame = encodeRecordBatch({ baseOffset, records, partitionLeaderEpoch: 4 });
    if (pendingBytes + frame.length > shape.fetchBytes) flush();
    frames.push({ fetch: fetches.length, at: pendingBytes, baseOffset });
    pending.push(frame);
    pendingBytes += frame.length;
    bytes += frame.length;
    written += size;
  }
  flush();
  return { shape, groups, fetches, frames, records: written, bytes, offsetSpan: BigInt(written), distinctOffsetKeys: keyCount };
}

/** Moves every batch of the segment to where pass `pass` of a longer log would have it. */
export function rebaseSegment(segment: OffsetsSegment, pass: number): void {
  const shift = segment.offsetSpan * BigInt(pass);
  for (const frame of segment.frames) {
    segment.fetches[frame.fetch]!.writeBigInt64BE(frame.baseOffset + shift, frame.at);
  }
}
