import { affectedGroups } from '../../../lambdas/core/operations/index.ts';
import { invalidInput } from '../../../lambdas/core/errors.ts';
import type { AffectedGroupsResult } from '../../../lambdas/core/model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import type { Command } from '../command.ts';
import { formatTimestamp, listOrDash, renderTable } from '../table.ts';
import { parsePartitionList } from '../values.ts';
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

export const groupsCommand: Command = {
  name: 'groups',
  summary: `groups with committed offsets on ${CONSUMER_OFFSETS_TOPIC} partitions, read from the log without the coordinator`,
  positionals: [],
  flags: {
    partition: { type: 'string', multiple: true, placeholder: 'P', description: 'partition(s): 7, 3,7,12 or 0-4; repeatable' },
    ...SCAN_FLAGS,
  },
  details: 'Example: coordinator-recovery groups --partition 12 --since 6h --bootstrap b-1.example:9092',
  async run(context, { flags }) {
    const values = flags['partition'];
    if (!Array.isArray(values) || values.length === 0) throw invalidInput('--partition', 'is required', 'Pass e.g. --partition 12 (see the partitions command for a broker\'s list)');
    const partitions = parsePartitionList(values, '--partition');
    const window = scanWindow(flags, context.io.now());
    const port = await context.port();
    const results: AffectedGroupsResult[] = [];
    for (const partition of partitions) results.push(await affectedGroups(port, partition, window, scanOptions(context)));
    return { data: results, human: () => renderGroups(results) };
  },
};
