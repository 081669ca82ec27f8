/** Plain-text tables for the narration: left-aligned text, right-aligned numbers. */
export interface TextTable {
  columns: string[];
  rows: Array<Array<string | number | null>>;
}

function cell(value: string | number | null): string {
  return value === null ? '-' : String(value);
}

export function renderTable(table: TextTable, indent = '  '): string[] {
  const cells = table.rows.map((row) => row.map(cell));
  const numeric = table.columns.map((_, i) => table.rows.length > 0 && table.rows.every((row) => typeof row[i] === 'number' || row[i] === null));
  const widths = table.columns.map((name, i) => Math.max(name.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (values: string[]): string =>
    indent + values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(table.columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
}
