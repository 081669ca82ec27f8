/** Plain-text tables for terminals: padded columns, no colours (output is often pasted into tickets). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], options: { rightAlign?: readonly number[] } = {}): string {
  const right = new Set(options.rightAlign ?? []);
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (right.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function formatTimestamp(epochMs: string | number | bigint | null | undefined): string {
  if (epochMs === null || epochMs === undefined) return '-';
  const ms = Number(epochMs);
  if (!Number.isFinite(ms) || ms < 0) return '-';
  return new Date(ms).toISOString();
}

export function listOrDash(items: readonly string[] | null | undefined): string {
  return items && items.length > 0 ? items.join(',') : '-';
}
