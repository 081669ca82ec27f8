/**
 * The record sequence of KAFKA-19862 made deterministic, for the real 4.1.1 brokers and the local
 * 4.1 profile alike: the first ConsumerGroupCurrentMemberAssignment record of a member that was
 * assigned a partition another member owns by the end of the log, found by scanning the group's
 * `__consumer_offsets` partition, and appended again through the `__admin_client` client id (the
 * only producer a broker lets write internal topics). A load that replays it then assigns a
 * partition still owned at another epoch.
 */
import { Kafka, logLevel } from 'kafkajs';
import { decodeOffsetsRecord } from '../../../../lambdas/core/offsets-records/index.ts';
import type { KafkaPort } from '../../../../lambdas/core/ports.ts';
import { scanOffsetsPartition } from '../../../../lambdas/core/scanner/index.ts';

const CURRENT_MEMBER_ASSIGNMENT = 8;

export interface StaleAssignment {
  key: Buffer;
  value: Buffer;
  logOffset: bigint;
  memberId: string;
  memberEpoch: number;
  /** the topic id as Kafka prints it (URL-safe base64) */
  topicId: string;
  partition: number;
  ownerEpoch: number;
  ownerMemberId: string;
}

/** Kafka prints a Uuid as URL-safe base64 without padding. */
export function javaUuid(id: string): string {
  return Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');
}

export async function staleAssignment(port: KafkaPort, partition: number, group: string): Promise<StaleAssignment> {
  type Assignment = { key: Buffer; value: Buffer; logOffset: bigint; memberId: string; memberEpoch: number; partitions: Array<{ topicId: string; partition: number }> };
  const records: Assignment[] = [];
  await scanOffsetsPartition(port, { partition }, {
    apply(batch) {
      if (batch.kind !== 'records' || batch.isControl) return;
      for (let i = 0; i < batch.recordCount; i++) {
        const key = batch.keyAt(i);
        const value = batch.valueAt(i);
        if (key === null || value === null || key.readInt16BE(0) !== CURRENT_MEMBER_ASSIGNMENT) continue;
        const record = decodeOffsetsRecord(key, value, { decodeGroupRecordValues: true });
        if (record.kind !== 'group-record' || record.group !== group || record.value === undefined) continue;
        const assigned = record.value['assignedPartitions'] as Array<{ topicId: string; partitions: number[] }>;
        records.push({
          key: Buffer.from(key),
          value: Buffer.from(value),
          logOffset: batch.offsetAt(i),
          memberId: record.key['memberId'] ?? '',
          memberEpoch: record.value['memberEpoch'] as number,
          partitions: assigned.flatMap((t) => t.partitions.map((p) => ({ topicId: t.topicId, partition: p }))),
        });
      }
    },
  });
  const owners = new Map<string, Assignment>();
  for (const record of records) {
    for (const [key, owner] of owners) if (owner.memberId === record.memberId) owners.delete(key);
    for (const p of record.partitions) owners.set(`${p.topicId}-${p.partition}`, record);
  }
  for (const record of records) {
    for (const p of record.partitions) {
      const owner = owners.get(`${p.topicId}-${p.partition}`);
      if (owner !== undefined && owner.memberId !== record.memberId) {
        return { key: record.key, value: record.value, logOffset: record.logOffset, memberId: record.memberId, memberEpoch: record.memberEpoch, topicId: javaUuid(p.topicId), partition: p.partition, ownerEpoch: owner.memberEpoch, ownerMemberId: owner.memberId };
      }
    }
  }
  throw new Error(`no partition of ${group} moved between members (${records.length} assignment records)`);
}

/** Appends one record to `__consumer_offsets-partition` as `__admin_client`; its offset. */
export async function appendAsAdminClient(bootstrap: string[], partition: number, key: Buffer, value: Buffer): Promise<bigint> {
  const producer = new Kafka({ clientId: '__admin_client', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } }).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const [result] = await producer.send({ topic: '__consumer_offsets', acks: -1, messages: [{ partition, key, value }] });
    if (!result || result.errorCode !== 0) throw new Error(`the broker refused the record: ${JSON.stringify(result)}`);
    return BigInt(result.baseOffset ?? '-1');
  } finally {
    await producer.disconnect();
  }
}
