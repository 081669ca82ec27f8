import { affectedGroups, affectedPartitions } from '../../../lambdas/core/operations/index.ts';
import { RecoveryError, invalidInput, isRecoveryError } from '../../../lambdas/core/errors.ts';
import type { AffectedGroupsResult } from '../../../lambdas/core/model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import type { Command } from '../command.ts';
import { exitCodeForCompleteness } from '../exit-codes.ts';
import { formatTimestamp, listOrDash, renderTable } from '../table.ts';
import { parseInteger, parsePartitionList } from '../values.ts';
import { SCAN_FLAGS, scanOptions, scanSummary, scanWindow } from './scan-flags.ts';

export function renderGroups(results: readonly AffectedGroupsResult[]): string {
  return results
    .map((result) => {
      const header = `${CONSUMER_OFFSETS_TOPIC}-${result.partition}: ${result.groups.length} group(s) with live committed offsets`;
      const table =
        result.groups.length === 0
          ? ''
          : renderTable(
              ['GROUP', 'TOPICS', 'PROTOCOL', 'STATE', 'SUBSCRIBED', 'LAST COMMIT'],
              result.groups.map((g) => [g.groupId, listOrDash(g.topics), g.protocolType ?? '-', g.state ?? '-', listOrDash(g.subscribedTopics), formatTimestamp(g.lastCommitTimestamp)]),
            );
      return [header, table, scanSummary(result.scan)].filter((part) => part.length > 0).join('\n');
    })
    .join('\n\n');
}

/** The toolkit names its own argument; the operator typed --partition. */
function inFlagTerms(error: unknown): never {
  if (isRecoveryError(error) && error.code === 'PARTITION_OUT_OF_RANGE' && typeof error.details['partitionCount'] === 'number') {
    const count = error.details['partitionCount'];
    throw new RecoveryError(
      'PARTITION_OUT_OF_RANGE',
      `--partition: ${String(error.details['partition'])} is out of range: ${CONSUMER_OFFSETS_TOPIC} has partitions 0-${count - 1} on this cluster. Pass partitions in that range, e.g. --partition 0-${count - 1}`,
      { details: { ...error.details, field: '--partition' } },
    );
  }
  throw error;
}

export const groupsCommand: Command = {
  name: 'groups',
  summary: `groups with committed offsets on ${CONSUMER_OFFSETS_TOPIC} partitions, read from the log without the coordinator`,
  positionals: [],
  flags: {
    partition: { type: 'string', multiple: true, placeholder: 'P', description: 'partition(s): 7, 3,7,12 or 0-4; repeatable' },
    broker: { type: 'string', placeholder: 'N', description: 'instead of --partition: every partition broker N leads (its blast radius)' },
    ...SCAN_FLAGS,
  },
  details: [
    'Example: coordinator-recovery groups --partition 12 --since 6h --bootstrap b-1.example:9092',
    '         coordinator-recovery groups --broker 2 --since 6h --bootstrap b-1.example:9092',
  ].join('\n'),
  async run(context, { flags }) {
    const values = flags['partition'];
    const named = Array.isArray(values) && values.length > 0;
    const broker = flags['broker'];
    if (named === (typeof broker === 'string')) {
      throw invalidInput(named ? '--broker' : '--partition', named ? 'cannot be combined with --partition' : 'is required (or --broker)', 'Pass e.g. --partition 12, or --broker 2 for every partition that broker leads');
    }
    const brokerId = typeof broker === 'string' ? parseInteger(broker, '--broker', { example: 2 }) : null;
    const listed = named ? parsePartitionList(values, '--partition') : null;
    const window = scanWindow(flags, context.io.now());
    const port = await context.port();
    const partitions = listed ?? (await affectedPartitions(port, brokerId as number));
    const results: AffectedGroupsResult[] = [];
    for (const partition of partitions) results.push(await affectedGroups(port, partition, window, scanOptions(context)).catch(inFlagTerms));
    return {
      data: results,
      human: () =>
        results.length === 0
          ? `broker ${brokerId} leads no ${CONSUMER_OFFSETS_TOPIC} partition (unknown broker, or it leads none right now): no groups to list`
          : renderGroups(results),
      // A scan that stopped before the log end may have missed groups.
      exitCode: exitCodeForCompleteness(results.map((result) => result.scan)),
    };
  },
};
