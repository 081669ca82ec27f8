import { createInterface } from 'node:readline';
import { decodeOffsetsRecord, offsetsRecordToJson } from '../../../lambdas/core/offsets-records/index.ts';
import type { Command } from '../command.ts';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function hexField(value: unknown, field: string, nullable: boolean): Buffer | null {
  if (value === null && nullable) return null;
  if (typeof value !== 'string') throw new Error(`${field}: expected a hex string${nullable ? ' or null (tombstone)' : ''}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  const text = value.startsWith('0x') ? value.slice(2) : value;
  if (!HEX.test(text)) throw new Error(`${field}: "${value.length > 40 ? `${value.slice(0, 40)}...` : value}" is not hex (pairs of 0-9a-f)`);
  return Buffer.from(text, 'hex');
}

/**
 * One input line -> one output object. Never throws: a line that cannot be read becomes
 * { line, error } so a dump with one damaged line still decodes the rest.
 */
export function decodeLine(text: string, lineNumber: number): Record<string, unknown> {
  try {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (error) {
      throw new Error(`not JSON (${(error as Error).message})`, { cause: error });
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('expected an object {"key": hex, "value": hex|null}');
    const fields = input as Record<string, unknown>;
    if (!('value' in fields)) throw new Error('value: missing; use null for a tombstone');
    const key = hexField(fields['key'], 'key', false);
    const value = hexField(fields['value'], 'value', true);
    return { line: lineNumber, ...offsetsRecordToJson(decodeOffsetsRecord(key, value, { decodeGroupRecordValues: true })) };
  } catch (error) {
    return { line: lineNumber, error: `line ${lineNumber}: ${(error as Error).message}` };
  }
}

export const decodeCommand: Command = {
  name: 'decode',
  summary: 'decode raw __consumer_offsets records: JSON lines {"key": hex, "value": hex|null} on stdin, one JSON object per line on stdout',
  positionals: [],
  flags: {},
  offline: true,
  details: [
    'Example: echo \'{"key":"000100066f726465727300066f726465727300000000","value":null}\' | coordinator-recovery decode',
    'Keys and values are hex (convert raw bytes from a dump with e.g. xxd -p); int64 values come out as',
    'decimal strings; a bad line yields {"line": N, "error": ...} and the rest still decodes.',
  ].join('\n'),
  async run(context) {
    const lines = createInterface({ input: context.io.stdin, crlfDelay: Infinity });
    let lineNumber = 0;
    let failed = 0;
    for await (const text of lines) {
      lineNumber += 1;
      if (text.trim().length === 0) continue;
      const decoded = decodeLine(text, lineNumber);
      if ('error' in decoded) failed += 1;
      context.io.stdout.write(`${JSON.stringify(decoded)}\n`);
    }
    if (failed > 0) context.note(`${failed} of ${lineNumber} line(s) could not be decoded; see their "error" fields`);
  },
};
