import { offsetsPartitionForCount } from '../../../lambdas/core/operations/index.ts';
import { validateGroupId } from '../../../lambdas/core/operations/validate.ts';
import { describeOffsetsTopic } from '../../../lambdas/core/scanner/index.ts';
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
    // Checked before the cluster is asked anything.
    const groupId = validateGroupId(positionals[0], '<group>');
    const given = typeof flags['partitions'] === 'string';
    const partitionCount = given
      ? parseInteger(flags['partitions'] as string, '--partitions', { min: 1, example: 50 })
      : (await describeOffsetsTopic(await context.port())).partitionCount;
    const partition = offsetsPartitionForCount(groupId, partitionCount);
    const source = given ? '--partitions' : 'cluster metadata';
    return {
      data: { groupId, partition, partitionCount, source },
      human: () => `group "${groupId}" -> ${CONSUMER_OFFSETS_TOPIC}-${partition} (of ${partitionCount} partitions, count from ${source})`,
    };
  },
};
