/**
 * What the cluster says about `__consumer_offsets`: its partitions and their leaders. The
 * partition count always comes from here; `offsets.topic.num.partitions` is 50 only by default.
 */
import { RecoveryError } from '../errors.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../ports.ts';
import type { ClusterMetadata, KafkaPort, TopicInfo } from '../ports.ts';

export interface OffsetsTopic {
  metadata: ClusterMetadata;
  topic: TopicInfo;
  partitionCount: number;
}

export async function describeOffsetsTopic(port: KafkaPort): Promise<OffsetsTopic> {
  const metadata = await port.metadata([CONSUMER_OFFSETS_TOPIC]);
  const topic = metadata.topics.find((t) => t.name === CONSUMER_OFFSETS_TOPIC);
  if (topic === undefined || topic.partitions.length === 0) {
    throw new RecoveryError(
      'NOT_FOUND',
      `${CONSUMER_OFFSETS_TOPIC} does not exist on this cluster (no consumer group has committed yet, or the bootstrap points at the wrong cluster)`,
      { details: { topic: CONSUMER_OFFSETS_TOPIC } },
    );
  }
  return { metadata, topic, partitionCount: topic.partitions.length };
}

/** Throws PARTITION_OUT_OF_RANGE, naming the valid range, unless `partition` exists. */
export function requireOffsetsPartition(offsets: OffsetsTopic, partition: number, field = 'partition'): void {
  if (Number.isInteger(partition) && partition >= 0 && partition < offsets.partitionCount) return;
  throw new RecoveryError(
    'PARTITION_OUT_OF_RANGE',
    `${field}: ${String(partition)} is out of range: ${CONSUMER_OFFSETS_TOPIC} has partitions 0-${offsets.partitionCount - 1}. Pass a partition in that range.`,
    { details: { field, partition, partitionCount: offsets.partitionCount } },
  );
}
