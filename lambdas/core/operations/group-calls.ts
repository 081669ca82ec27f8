import { kafkaErrorName } from '../errors.ts';
import type { GroupDescription, KafkaPort } from '../ports.ts';

/**
 * DescribeGroups where "no such group" is an answer, not a failure: older brokers report an
 * unknown group as state Dead, newer ones (DescribeGroups v6+) as GROUP_ID_NOT_FOUND. Either
 * way the coordinator answered, which is what the runbook needs to know.
 */
export async function describeGroupOrAbsent(port: KafkaPort, groupId: string): Promise<GroupDescription> {
  try {
    return await port.describeGroup(groupId);
  } catch (error) {
    if (kafkaErrorName(error) === 'GROUP_ID_NOT_FOUND') return { groupId, state: 'Dead', protocolType: '', protocol: '', members: [] };
    throw error;
  }
}
