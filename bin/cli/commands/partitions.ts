import { affectedPartitions } from '../../../lambdas/core/operations/index.ts';
import { invalidInput } from '../../../lambdas/core/errors.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import type { Command } from '../command.ts';
import { parseInteger } from '../values.ts';

export const partitionsCommand: Command = {
  name: 'partitions',
  summary: `the ${CONSUMER_OFFSETS_TOPIC} partitions a broker leads: the blast radius of that broker`,
  positionals: [],
  flags: { broker: { type: 'string', placeholder: 'N', description: 'broker (node) id' } },
  details: 'Example: coordinator-recovery partitions --broker 2 --bootstrap b-1.example:9092',
  async run(context, { flags }) {
    if (typeof flags['broker'] !== 'string') throw invalidInput('--broker', 'is required', 'Pass the node id of the broker, e.g. --broker 2');
    const brokerId = parseInteger(flags['broker'], '--broker', { example: 2 });
    const partitions = await affectedPartitions(await context.port(), brokerId);
    return {
      data: { brokerId, partitions },
      human: () =>
        partitions.length === 0
          ? `broker ${brokerId} leads no ${CONSUMER_OFFSETS_TOPIC} partition (unknown broker, or it leads none right now)`
          : `broker ${brokerId} leads ${partitions.length} ${CONSUMER_OFFSETS_TOPIC} partition(s): ${partitions.join(', ')}`,
    };
  },
};
