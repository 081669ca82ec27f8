import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeOffsetsRecord } from '../../../../../lambdas/core/offsets-records/index.ts';
import { decodeRecordBatches } from '../../../../../lambdas/core/record-batch/index.ts';
import type { LoggedBatch } from '../../../../../local/kafka/coordinator/coordinator-records.ts';
import { GroupShard } from '../../../../../local/kafka/coordinator/group-shard.ts';
import { PartitionShardLog } from '../../../../../local/kafka/coordinator/partition-shard-log.ts';
import { decodeCoordinatorRecord, encodeCoordinatorRecord } from '../../../../../local/kafka/coordinator/record-codec.ts';
import { replayShard } from '../../../../../local/kafka/coordinator/replay.ts';
import { PartitionLog } from '../../../../../local/kafka/log/partition-log.ts';
import { loadVectors } from '../../../../support/shared-schemas.ts';
import { testShardEnvironment } from './helpers.ts';

interface VectorRecord {
  name: string;
  keyHex: string;
  valueHex: string | null;
  expect: Record<string, unknown>;
}
interface ScenarioBatch {
  baseOffset: string;
  producerId: string;
  producerEpoch: number;
  isTransactional: boolean;
  isControl: boolean;
  controlType?: 'COMMIT' | 'ABORT';
  records: { logOffset?: string; keyHex: string; valueHex: string | null }[];
}
interface Vectors {
  records: VectorRecord[];
  transactionScenarios: {
    scenarios: { name: string; batches: ScenarioBatch[]; expectCommittedOffsets: { group: string; topic: string; partition: number; offset: string }[] }[];
  };
}

const vectors = loadVectors() as unknown as Vectors;
const hex = (h: string | null): Buffer | null => (h === null ? null : Buffer.from(h, 'hex'));
const vector = (name: string): VectorRecord => {
  const found = vectors.records.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no vector ${name}`);
  return found;
};

describe('coordinator records against the golden vectors', () => {
  it.each(['offset-key-v1-value-v1', 'offset-key-v1-value-v3', 'offset-tombstone', 'group-value-v3-consumer-static-member', 'group-empty-consumer', 'group-tombstone'])(
    '%s: decoding and re-encoding at the vector\'s version gives the vector\'s bytes',
    (name) => {
      const v = vector(name);
      const record = decodeCoordinatorRecord(hex(v.keyHex), hex(v.valueHex));
      const valueVersion = v.valueHex === null ? 3 : Buffer.from(v.valueHex, 'hex').readInt16BE(0);
      const encoded = encodeCoordinatorRecord(record, valueVersion as 1 | 3 | 4);
      expect(encoded.key.toString('hex')).toBe(v.keyHex);
      expect(encoded.value === null ? null : encoded.value.toString('hex')).toBe(v.valueHex);
    },
  );

  it.each(vectors.transactionScenarios.scenarios.map((s) => [s.name, s] as const))('replays scenario %s to the expected offsets', (_name, scenario) => {
    const batches: LoggedBatch[] = scenario.batches.map((b) =>
      b.isControl
        ? { isControl: true, baseOffset: BigInt(b.baseOffset), producerId: BigInt(b.producerId), producerEpoch: b.producerEpoch, marker: b.controlType!, coordinatorEpoch: 0 }
        : {
            isControl: false,
            baseOffset: BigInt(b.baseOffset),
            producerId: BigInt(b.producerId),
            producerEpoch: b.producerEpoch,
            isTransactional: b.isTransactional,
            records: b.records.map((r) => ({ offset: BigInt(r.logOffset!), timestamp: 0n, record: decodeCoordinatorRecord(hex(r.keyHex), hex(r.valueHex)) })),
          },
    );
    const { offsets } = replayShard(batches);
    const got = offsets
      .groups()
      .flatMap((group) => offsets.list(group).map((o) => ({ group, topic: o.topic, partition: o.partition, offset: o.offset.toString() })));
    expect(got).toEqual(scenario.expectCommittedOffsets);
  });
});

describe('what a shard writes to its partition log', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => vi.useRealTimers());

  function decodeLog(log: PartitionLog) {
    const out: { batch: { producerId: bigint; isTransactional: boolean; isControl: boolean }; key: Buffer | null; value: Buffer | null }[] = [];
    for (const stored of log.batchesFrom()) {
      for (const batch of decodeRecordBatches(stored.frame).batches) {
        if (batch.kind !== 'records') throw new Error(`undecodable batch: ${batch.kind}`);
        for (const r of batch.records()) out.push({ batch: { producerId: batch.producerId, isTransactional: batch.isTransactional, isControl: batch.isControl }, key: r.key, value: r.value });
      }
    }
    return out;
  }

  it.each([1, 3, 4] as const)('offset commits decode with the vectors\' rules at value v%i, tombstones too', (valueVersion) => {
    const log = new PartitionLog({ topic: '__consumer_offsets', partition: 7 });
    const shard = new GroupShard(7, 2, new PartitionShardLog(log, valueVersion, () => 2), testShardEnvironment());
    shard.commitOffsets('orders-service', { memberId: '', generationId: -1, groupInstanceId: null }, [
      { topic: 'orders', partition: 3, offset: 14_921n, leaderEpoch: 4, metadata: 'node-3' },
    ], valueVersion === 1 ? 86_400_000 : -1);
    expect(shard.deleteGroup('orders-service')).toBe(0);
    const records = decodeLog(log).map((r) => decodeOffsetsRecord(r.key, r.value));
    expect(records[0]).toMatchObject({
      kind: 'offset-commit',
      group: 'orders-service',
      topic: 'orders',
      partition: 3,
      tombstone: false,
      value: {
        valueVersion,
        offset: 14_921n,
        leaderEpoch: valueVersion >= 3 ? 4 : -1,
        metadata: 'node-3',
        commitTimestamp: 1_700_000_000_000n,
        expireTimestamp: valueVersion === 1 ? 1_700_086_400_000n : -1n,
      },
    });
    expect(records.slice(1)).toMatchObject([
      { kind: 'offset-commit', group: 'orders-service', topic: 'orders', partition: 3, tombstone: true },
      { kind: 'group-metadata', group: 'orders-service', tombstone: true },
    ]);
    shard.unload();
  });

  it('writes transactional offsets with the producer id and a control marker the log tracks', () => {
    const log = new PartitionLog({ topic: '__consumer_offsets', partition: 1 });
    const shard = new GroupShard(1, 0, new PartitionShardLog(log, 3, () => 0), testShardEnvironment());
    const producer = { producerId: 1000n, producerEpoch: 3 };
    shard.commitTransactionalOffsets('g', producer, { memberId: '', generationId: -1, groupInstanceId: null }, [
      { topic: 't', partition: 0, offset: 5n, leaderEpoch: -1, metadata: null },
    ]);
    expect(log.lastStableOffset).toBe(0);
    shard.completeTransaction(producer, false, 9);
    expect(log.lastStableOffset).toBe(2);
    expect(log.abortedBetween(0, 2)).toEqual([{ producerId: 1000, firstOffset: 0, lastOffset: 1 }]);
    const decoded = decodeLog(log);
    expect(decoded.map((r) => r.batch)).toEqual([
      { producerId: 1000n, isTransactional: true, isControl: false },
      { producerId: 1000n, isTransactional: true, isControl: true },
    ]);
    expect(decoded[1]?.key?.toString('hex')).toBe('00000000');
    expect(decoded[1]?.value?.toString('hex')).toBe('000000000009');

    const reloaded = new GroupShard(1, 1, new PartitionShardLog(log, 3, () => 1), testShardEnvironment());
    reloaded.load();
    expect(reloaded.fetchOffsets('g', null, false)).toEqual([]);
    shard.unload();
    reloaded.unload();
  });
});
