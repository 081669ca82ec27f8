import { createInterface } from 'node:readline';
import { decodeOffsetsRecord, offsetsRecordToJson } from '../../../lambdas/core/offsets-records/index.ts';
import { invalidInput } from '../../../lambdas/core/errors.ts';
import type { Command } from '../command.ts';
import { EXIT_INCOMPLETE, EXIT_OK } from '../exit-codes.ts';
import { KCAT_FORMAT, readKcatFrames } from '../kcat-frames.ts';
import type { KcatFrame } from '../kcat-frames.ts';

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

/** One kcat frame -> one output object; like decodeLine, never throws. */
export function decodeFrame(frame: KcatFrame): Record<string, unknown> {
  // Named apart from the decoded record's own topic partition.
  const where = { logPartition: frame.partition, logOffset: frame.offset };
  if (frame.key === null) return { ...where, error: `partition ${frame.partition} offset ${frame.offset}: the record has no key; every __consumer_offsets record has one` };
  return { ...where, ...offsetsRecordToJson(decodeOffsetsRecord(frame.key, frame.value, { decodeGroupRecordValues: true })) };
}

const FORMATS = ['json', 'kcat'] as const;

export const decodeCommand: Command = {
  name: 'decode',
  summary: 'decode raw __consumer_offsets records: JSON lines {"key": hex, "value": hex|null} (or kcat output) on stdin, one JSON object per line on stdout',
  positionals: [],
  flags: {
    format: {
      type: 'string',
      placeholder: 'json|kcat',
      description: `stdin holds JSON lines (default) or what kcat prints with -f '${KCAT_FORMAT}'`,
    },
  },
  offline: true,
  details: [
    'Examples:',
    '  echo \'{"key":"000100066f726465727300066f726465727300000000","value":null}\' | coordinator-recovery decode',
    `  kcat -b BROKER:9092 -C -t __consumer_offsets -p 12 -o beginning -e -q -f '${KCAT_FORMAT}' | coordinator-recovery decode --format kcat`,
    'JSON lines carry keys and values as hex (from a dump: xxd -p). kcat output carries each record\'s',
    'partition and offset, which come out as logPartition and logOffset. int64 values are decimal strings.',
    'A bad line yields {"line": N, "error": ...} and the rest still decodes; kcat input not in the format',
    'above ends with one {"error": ...} saying where.',
  ].join('\n'),
  async run(context, { flags }) {
    const format = flags['format'] ?? 'json';
    if (typeof format !== 'string' || !(FORMATS as readonly string[]).includes(format)) {
      throw invalidInput('--format', `"${String(format)}" is not an input format`, `Pass --format json (JSON lines, the default) or --format kcat (kcat -f '${KCAT_FORMAT}')`);
    }
    let inputs = 0;
    let failed = 0;
    const emit = (decoded: Record<string, unknown>): void => {
      if ('error' in decoded) failed += 1;
      context.io.stdout.write(`${JSON.stringify(decoded)}\n`);
    };
    if (format === 'kcat') {
      for await (const frame of readKcatFrames(context.io.stdin)) {
        inputs += 1;
        emit('error' in frame ? { error: frame.error } : decodeFrame(frame));
      }
    } else {
      const lines = createInterface({ input: context.io.stdin, crlfDelay: Infinity });
      for await (const text of lines) {
        inputs += 1;
        if (text.trim().length > 0) emit(decodeLine(text, inputs));
      }
    }
    const unit = format === 'kcat' ? 'record(s)' : 'line(s)';
    if (failed > 0) context.note(`${failed} of ${inputs} ${unit} could not be decoded; see their "error" fields`);
    return { exitCode: failed > 0 ? EXIT_INCOMPLETE : EXIT_OK };
  },
};
