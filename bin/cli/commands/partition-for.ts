import { offsetsPartitionFor, offsetsPartitionForCount } from '../../../lambdas/core/operations/index.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import type { Command } from '../command.ts';
import { parseInteger } from '../values.ts';

export const partitionForCommand: Command = {
  name: 'partition-for',
  summary: `the ${CONSUMER_OFFSETS_TOPIC} partition a group's offsets live on`,
  positionals: [{ name: 'group', description: 'consumer group id' }],
  flags: {
    partitions: { type: 'string', placeholder: 'N', description: `partition count of ${CONSUMER_OFFSETS_TOPIC}; given, no cluster is contacted` },
  },
  details: 'Example: coordinator-recovery partition-for orders-service --partitions 50',
  async run(context, { positionals, flags }) {
    const groupId = positionals[0] as string;
    let partitionCount: number | null = null;
    let partition: number;
    if (typeof flags['partitions'] === 'string') {
      partitionCount = parseInteger(flags['partitions'], '--partitions', { min: 1, example: 50 });
      partition = offsetsPartitionForCount(groupId, partitionCount);
    } else {
      partition = await offsetsPartitionFor(await context.port(), groupId);
    }
    const data = { groupId, partition, partitionCount, source: partitionCount === null ? 'cluster metadata' : '--partitions' };
    return {
      data,
      human: () => `group "${groupId}" -> ${CONSUMER_OFFSETS_TOPIC}-${partition}${partitionCount === null ? ' (partition count from cluster metadata)' : ` (of ${partitionCount} partitions)`}`,
    };
  },
};
