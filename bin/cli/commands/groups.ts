import { affectedPartitions } from '../../../lambdas/core/operations/index.ts';
import { RecoveryError, invalidInput, isRecoveryError } from '../../../lambdas/core/errors.ts';
import type { AffectedGroupsResult, RecoveredOffsets } from '../../../lambdas/core/model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import type { Command } from '../command.ts';
import { exitCodeForCompleteness } from '../exit-codes.ts';
import { formatTimestamp, listOrDash, renderTable } from '../table.ts';
import { parseInteger, parsePartitionList } from '../values.ts';
import { SCAN_FLAGS, SHARD_FLAGS, scanSummary } from './scan-flags.ts';
import { readShards } from './shard-runs.ts';

/** With --offsets: each group's recovered offsets, from the same pass. */
export type GroupsWithOffsets = AffectedGroupsResult & { offsets?: Record<string, RecoveredOffsets> };

export function renderGroups(results: readonly GroupsWithOffsets[]): string {
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
      const offsets = result.offsets === undefined || result.groups.length === 0 ? '' : renderGroupOffsets(result.offsets);
      return [header, table, offsets, scanSummary(result.scan)].filter((part) => part.length > 0).join('\n');
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

function renderGroupOffsets(byGroup: Record<string, RecoveredOffsets>): string {
  const rows: string[][] = [];
  for (const [groupId, topics] of Object.entries(byGroup)) {
    for (const [topic, partitions] of Object.entries(topics)) {
      for (const [partition, entry] of Object.entries(partitions)) {
        rows.push([groupId, topic, partition, entry.offset, String(entry.leaderEpoch), formatTimestamp(entry.commitTimestamp), entry.logOffset]);
      }
    }
  }
  return renderTable(['GROUP', 'TOPIC', 'PARTITION', 'OFFSET', 'EPOCH', 'COMMITTED AT', 'LOG OFFSET'], rows, { rightAlign: [2, 3] });
}

export const groupsCommand: Command = {
  name: 'groups',
  summary: `groups with committed offsets on ${CONSUMER_OFFSETS_TOPIC} partitions, read from the log without the coordinator`,
  positionals: [],
  flags: {
    partition: { type: 'string', multiple: true, placeholder: 'P', description: 'partition(s): 7, 3,7,12 or 0-4; repeatable' },
    broker: { type: 'string', placeholder: 'N', description: 'instead of --partition: every partition broker N leads (its blast radius)' },
    offsets: { type: 'boolean', description: "also print every group's recovered offsets, from the same pass over the log" },
    ...SCAN_FLAGS,
    ...SHARD_FLAGS,
  },
  details: [
    'Example: coordinator-recovery groups --partition 12 --since 6h --bootstrap b-1.example:9092',
    '         coordinator-recovery groups --broker 2 --since 6h --bootstrap b-1.example:9092',
    '         coordinator-recovery groups --partition 12 --offsets --checkpoint p12.json --bootstrap b-1.example:9092',
    'A big partition: --segments 4 reads it as 4 offset ranges at once; --checkpoint FILE lets Ctrl-C stop',
    'it and the same command continue (one pass per partition reads every group at once either way).',
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
    const { shards } = await readShards(context, flags, {
      command: 'groups',
      group: undefined,
      partitions: async () => listed ?? (await affectedPartitions(await context.port(), brokerId as number)),
    }).catch(inFlagTerms);
    const withOffsets = flags['offsets'] === true;
    const results: GroupsWithOffsets[] = shards.map((shard) => {
      const result: GroupsWithOffsets = shard.affectedGroups();
      if (withOffsets) result.offsets = Object.fromEntries(shard.groups().map((groupId) => [groupId, shard.groupResult(groupId).offsets]));
      return result;
    });
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
