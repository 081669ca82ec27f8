import { RecoveryError } from '../errors.ts';
import { partitionForGroup } from '../hash.ts';
import { CONSUMER_OFFSETS_TOPIC, type BrokerInfo, type KafkaPort } from '../ports.ts';

/** Who leads each __consumer_offsets partition right now: the coordinator map of the cluster. */
export interface CoordinatorLayout {
  partitionCount: number;
  leaders: Map<number, number>; // partition -> leader broker id (-1 leaderless)
  brokers: Map<number, BrokerInfo>;
}

export async function readCoordinatorLayout(port: KafkaPort): Promise<CoordinatorLayout> {
  const metadata = await port.metadata([CONSUMER_OFFSETS_TOPIC]);
  const topic = metadata.topics.find((t) => t.name === CONSUMER_OFFSETS_TOPIC);
  if (!topic || topic.partitions.length === 0) {
    throw new RecoveryError('NOT_FOUND', `${CONSUMER_OFFSETS_TOPIC} does not exist on this cluster yet (no group has ever committed); there is nothing to recover.`);
  }
  return {
    partitionCount: topic.partitions.length,
    leaders: new Map(topic.partitions.map((p) => [p.partition, p.leader])),
    brokers: new Map(metadata.brokers.map((b) => [b.nodeId, b])),
  };
}

export function brokerAddress(layout: CoordinatorLayout, brokerId: number): string {
  const broker = layout.brokers.get(brokerId);
  return broker ? `${broker.host}:${broker.port}` : `broker ${brokerId} (not in metadata)`;
}

export function shardOf(layout: CoordinatorLayout, groupId: string): { partition: number; leader: number } {
  const partition = partitionForGroup(groupId, layout.partitionCount);
  return { partition, leader: layout.leaders.get(partition) ?? -1 };
}

/** Partitions led by a broker, sorted. */
export function partitionsLedBy(layout: CoordinatorLayout, brokerId: number): number[] {
  return [...layout.leaders.entries()]
    .filter(([, leader]) => leader === brokerId)
    .map(([partition]) => partition)
    .sort((a, b) => a - b);
}
