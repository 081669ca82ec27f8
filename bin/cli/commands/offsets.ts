import { checkCompleteness, shardGroupOffsets, offsetsPartitionFor } from '../../../lambdas/core/operations/index.ts';
import type { CompletenessReport, GroupOffsetsResult } from '../../../lambdas/core/model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import { validateGroupId } from '../../../lambdas/core/operations/validate.ts';
import type { Command } from '../command.ts';
import { exitCodeForCompleteness } from '../exit-codes.ts';
import { formatTimestamp, listOrDash, renderTable } from '../table.ts';
import { SCAN_FLAGS, SHARD_FLAGS, scanOptions, scanSummary } from './scan-flags.ts';
import { readShards } from './shard-runs.ts';

export function renderOffsets(result: GroupOffsetsResult, report: CompletenessReport): string {
  const lines: string[] = [];
  const meta = result.groupMetadata;
  lines.push(`group "${result.groupId}" (${CONSUMER_OFFSETS_TOPIC}-${result.offsetsPartition})`);
  if (meta) {
    lines.push(`group metadata: ${meta.protocolType || '-'}/${meta.protocol ?? '-'}, state ${meta.state}, generation ${meta.generation}, ${meta.members} member(s), subscribed ${listOrDash(meta.subscribedTopics)}`);
  }
  const checks = new Map(report.partitions.map((c) => [`${c.topic}\u0000${c.partition}`, c]));
  const keys = new Map<string, { topic: string; partition: number }>();
  for (const check of report.partitions) keys.set(`${check.topic}\u0000${check.partition}`, { topic: check.topic, partition: check.partition });
  for (const [topic, partitions] of Object.entries(result.offsets)) {
    for (const partition of Object.keys(partitions)) keys.set(`${topic}\u0000${partition}`, { topic, partition: Number(partition) });
  }
  const rows = [...keys]
    .sort(([, a], [, b]) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    .map(([key, { topic, partition }]) => {
      const entry = result.offsets[topic]?.[String(partition)];
      const check = checks.get(key);
      return [
        topic,
        String(partition),
        entry?.offset ?? '-',
        check?.lag ?? '-',
        check?.status ?? 'UNCHECKED',
        entry ? String(entry.leaderEpoch) : '-',
        formatTimestamp(entry?.commitTimestamp),
        entry?.logOffset ?? '-',
      ];
    });
  lines.push(
    rows.length === 0
      ? 'no committed offsets found in the window'
      : renderTable(['TOPIC', 'PARTITION', 'OFFSET', 'LAG', 'STATUS', 'EPOCH', 'COMMITTED AT', 'LOG OFFSET'], rows, { rightAlign: [1, 2, 3] }),
  );
  lines.push(
    !report.complete
      ? `INCOMPLETE: ${report.issues.length} issue(s); total lag ${report.totalLag}`
      : report.partitions.length === 0
        ? 'nothing to check: no committed offset and no subscribed topic in the window (is the group id right? a wider --since?)'
        : `complete: every known partition has a valid offset; total lag ${report.totalLag}`,
  );
  for (const issue of report.issues) lines.push(`  ${issue.kind}: ${issue.message}`);
  for (const note of report.notes ?? []) lines.push(`  note: ${note}`);
  lines.push(scanSummary(result.scan));
  return lines.join('\n');
}

export const offsetsCommand: Command = {
  name: 'offsets',
  summary: `a group's last committed offsets, recovered from ${CONSUMER_OFFSETS_TOPIC}, with a completeness report`,
  positionals: [{ name: 'group', description: 'consumer group id' }],
  flags: { ...SCAN_FLAGS, ...SHARD_FLAGS },
  details: [
    'Example: coordinator-recovery offsets orders-service --since 2024-05-01T00:00:00Z --bootstrap b-1.example:9092',
    'STATUS: OK, MISSING (no offset recovered for a partition of a subscribed or committed topic),',
    'BELOW_LOG_START (retention deleted that data), ABOVE_LOG_END. Read-only: nothing is committed.',
    'Any issue (a status other than OK, an unfinished scan) makes the result incomplete: exit 4, the issues listed.',
  ].join('\n'),
  async run(context, { positionals, flags }) {
    const groupId = validateGroupId(positionals[0], '<group>');
    const { shards } = await readShards(context, flags, {
      command: 'offsets',
      group: groupId,
      partitions: async () => [await offsetsPartitionFor(await context.port(), groupId)],
    });
    const port = await context.port();
    const result = await shardGroupOffsets(port, shards[0]!, groupId, scanOptions(context));
    const completeness = await checkCompleteness(port, result);
    if (context.json && !completeness.complete) context.note(`INCOMPLETE: ${completeness.issues.map((issue) => issue.message).join('; ')}`);
    return { data: { offsets: result, completeness }, human: () => renderOffsets(result, completeness), exitCode: exitCodeForCompleteness([completeness]) };
  },
};
