/**
 * Where groups live: the `__consumer_offsets` partition a group hashes to, the broker leading
 * it (the coordinator, read from metadata rather than asked of the possibly FAILED
 * coordinator), and the blast radius of one broker.
 */
import { RecoveryError, invalidInput } from '../errors.ts';
import { partitionForGroup } from '../hash.ts';
import type { CoordinatorLocation } from '../model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../ports.ts';
import type { KafkaPort } from '../ports.ts';
import { describeOffsetsTopic } from '../scanner/index.ts';
import { validateGroupId } from './validate.ts';

/** Pure: the partition for a known partition count (e.g. from `--partitions`). */
export function offsetsPartitionForCount(groupId: string, partitionCount: number): number {
  return partitionForGroup(validateGroupId(groupId), partitionCount);
}

/** The group's `__consumer_offsets` partition, with the partition count read from metadata. */
export async function offsetsPartitionFor(port: KafkaPort, groupId: string): Promise<number> {
  validateGroupId(groupId);
  const offsets = await describeOffsetsTopic(port);
  return partitionForGroup(groupId, offsets.partitionCount);
}

export async function coordinatorFor(port: KafkaPort, groupId: string): Promise<CoordinatorLocation> {
  validateGroupId(groupId);
  const offsets = await describeOffsetsTopic(port);
  const partition = partitionForGroup(groupId, offsets.partitionCount);
  const info = offsets.topic.partitions.find((p) => p.partition === partition);
  const leader = info?.leader ?? -1;
  if (leader < 0) {
    throw new RecoveryError(
      'KAFKA_ERROR',
      `${CONSUMER_OFFSETS_TOPIC}-${partition}, which coordinates group "${groupId}", has no leader right now; retry after the election`,
      { retryable: true, details: { groupId, partition, kafkaErrorName: 'LEADER_NOT_AVAILABLE', kafkaErrorCode: 5 } },
    );
  }
  const broker = offsets.metadata.brokers.find((b) => b.nodeId === leader);
  if (broker === undefined) {
    throw new RecoveryError(
      'NOT_FOUND',
      `broker ${leader} leads ${CONSUMER_OFFSETS_TOPIC}-${partition} (group "${groupId}") but is missing from the cluster's broker list; it may be down`,
      { details: { groupId, partition, brokerId: leader } },
    );
  }
  return { groupId, partition, brokerId: leader, brokerHost: `${broker.host}:${broker.port}` };
}

/** The `__consumer_offsets` partitions `brokerId` leads, sorted; [] for a broker the cluster does not know. */
export async function affectedPartitions(port: KafkaPort, brokerId: number): Promise<number[]> {
  if (typeof brokerId !== 'number' || !Number.isInteger(brokerId)) {
    throw invalidInput('brokerId', `expected an integer broker id, got ${String(brokerId)}`, 'Pass the numeric node id, e.g. 2.');
  }
  const offsets = await describeOffsetsTopic(port);
  return offsets.topic.partitions
    .filter((p) => p.leader === brokerId)
    .map((p) => p.partition)
    .sort((a, b) => a - b);
}
