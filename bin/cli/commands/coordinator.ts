import { coordinatorFor } from '../../../lambdas/core/operations/index.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import { validateGroupId } from '../../../lambdas/core/operations/validate.ts';
import type { Command } from '../command.ts';
import { renderTable } from '../table.ts';

export const coordinatorCommand: Command = {
  name: 'coordinator',
  summary: 'which broker coordinates a group (the leader of its offsets partition, read from metadata)',
  positionals: [{ name: 'group', description: 'consumer group id' }],
  flags: {},
  details: ['Example: coordinator-recovery coordinator orders-service --bootstrap b-1.example:9092', 'Reads cluster metadata only, so it answers even when the coordinator shard is FAILED.'].join('\n'),
  async run(context, { positionals }) {
    const location = await coordinatorFor(await context.port(), validateGroupId(positionals[0], '<group>'));
    return {
      data: location,
      human: () =>
        renderTable(
          ['GROUP', 'OFFSETS PARTITION', 'BROKER', 'HOST'],
          [[location.groupId, `${CONSUMER_OFFSETS_TOPIC}-${location.partition}`, String(location.brokerId), location.brokerHost]],
        ),
    };
  },
};
