/**
 * export: recovered offsets in the forms other tools read, for Direct Assignments (consumers
 * that `assign` and `seek`, no coordinator involved) and for `kafka-consumer-groups
 * --reset-offsets --from-file`. Read-only.
 */
import { invalidInput, RecoveryError } from '../../../lambdas/core/errors.ts';
import { checkCompleteness, readCommittedOffsets } from '../../../lambdas/core/operations/index.ts';
import type { GroupOffsetsResult } from '../../../lambdas/core/model.ts';
import type { Command, CommandContext, FlagValues } from '../command.ts';
import { EXIT_INCOMPLETE, EXIT_OK } from '../exit-codes.ts';
import { SCAN_FLAGS, scanOptions, scanWindow } from './scan-flags.ts';

export interface ExportedOffset {
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

export const EXPORT_FORMATS = ['json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function exportRows(results: readonly GroupOffsetsResult[]): ExportedOffset[] {
  const rows: ExportedOffset[] = [];
  for (const result of results) {
    for (const [topic, partitions] of Object.entries(result.offsets)) {
      for (const [partition, entry] of Object.entries(partitions)) {
        const offset = Number(entry.offset);
        // Consumers take offsets as numbers; one past 2^53 would be silently rounded, so refuse it.
        if (!Number.isSafeInteger(offset)) {
          throw new RecoveryError('UNSUPPORTED', `${result.groupId} ${topic}-${partition}: offset ${entry.offset} is beyond what JSON numbers carry exactly; use offsets --json, which prints it as a string`);
        }
        rows.push({ group: result.groupId, topic, partition: Number(partition), offset });
      }
    }
  }
  return rows.sort((a, b) => (a.group !== b.group ? (a.group < b.group ? -1 : 1) : a.topic !== b.topic ? (a.topic < b.topic ? -1 : 1) : a.partition - b.partition));
}

/**
 * kafka-consumer-groups --from-file: `topic,partition,offset` per line for one group, with a
 * leading group column when several groups are reset at once. No header: the tool reads none.
 */
export function exportCsv(rows: readonly ExportedOffset[], groups: readonly string[]): string {
  const single = groups.length === 1;
  return rows.map((r) => (single ? `${r.topic},${r.partition},${r.offset}` : `${r.group},${r.topic},${r.partition},${r.offset}`)).join('\n');
}

/** One assignment per line: readable, diffable and still one JSON array. */
export function exportJson(rows: readonly ExportedOffset[]): string {
  return rows.length === 0 ? '[]' : `[\n${rows.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]`;
}

export function parseExportFormat(value: unknown): ExportFormat {
  if (value === undefined) return 'json';
  if (typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value)) return value as ExportFormat;
  throw invalidInput('--format', `"${String(value)}" is not a format`, 'Use --format json or --format csv');
}

async function recoverAll(context: CommandContext, groups: string[], flags: FlagValues): Promise<{ results: GroupOffsetsResult[]; complete: boolean }> {
  const window = scanWindow(flags, context.io.now());
  const port = await context.port();
  const results: GroupOffsetsResult[] = [];
  let complete = true;
  for (const groupId of groups) {
    const result = await readCommittedOffsets(port, groupId, window, scanOptions(context));
    const report = await checkCompleteness(port, result);
    // The export holds only what was recovered; what is missing must still reach the operator.
    if (!result.scan.complete) context.note(`warning: ${groupId}: the scan stopped at ${result.scan.nextOffset}; later commits may be missing`);
    if (!report.complete) for (const issue of report.issues) context.note(`warning: ${groupId}: ${issue.kind}: ${issue.message}`);
    if (Object.keys(result.offsets).length === 0) context.note(`warning: ${groupId}: no committed offsets found in the window (a wider --since?)`);
    complete &&= result.scan.complete && report.complete && Object.keys(result.offsets).length > 0;
    results.push(result);
  }
  return { results, complete };
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'recovered offsets as JSON or CSV, for consumers that assign partitions or for kafka-consumer-groups --from-file',
  positionals: [{ name: 'group', description: 'consumer group id(s)', variadic: true }],
  flags: {
    format: { type: 'string', placeholder: 'json|csv', description: 'json (default): [{ group, topic, partition, offset }]; csv: topic,partition,offset (group,topic,partition,offset for several groups)' },
    ...SCAN_FLAGS,
  },
  details: [
    'Example: coordinator-recovery export orders-service --since 6h --format csv > orders-service-offsets.csv',
    '         kafka-consumer-groups --bootstrap-server "$BOOTSTRAP" --reset-offsets --group orders-service-v2 \\',
    '           --from-file orders-service-offsets.csv --execute',
    'Each offset is the next record to read (what a consumer seeks to). Gaps and stale offsets are',
    'reported on stderr (exit 4); nothing is invented for them. Read-only.',
  ].join('\n'),
  async run(context, { positionals, flags }) {
    const format = parseExportFormat(flags['format']);
    const groups = [...new Set(positionals)];
    const { results, complete } = await recoverAll(context, groups, flags);
    const rows = exportRows(results);
    return {
      data: rows,
      // The file is written either way; a script can still tell that it has gaps.
      exitCode: complete ? EXIT_OK : EXIT_INCOMPLETE,
      human: () => (format === 'csv' ? exportCsv(rows, groups) : exportJson(rows)),
    };
  },
};
