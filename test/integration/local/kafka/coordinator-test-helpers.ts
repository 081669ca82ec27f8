import { decodeOffsetsRecord, type OffsetsRecord } from '../../../../lambdas/core/offsets-records/index.ts';
import { runProcess } from './helpers.ts';

/** Helpers for the coordinator's conformance tests: the binary-safe dump of a `__consumer_offsets` partition through kcat. */
export interface DumpedRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  decoded: OffsetsRecord;
}

/** `kcat -C -t __consumer_offsets -p P` with length-prefixed key and value, decoded by the recovery codec. */
export async function dumpOffsetsPartition(bootstrap: string, partition: number, isolation: 'read_committed' | 'read_uncommitted' = 'read_uncommitted'): Promise<DumpedRecord[]> {
  const result = await runProcess(
      'kcat',
      ['-b', bootstrap, '-C', '-t', '__consumer_offsets', '-p', String(partition), '-o', 'beginning', '-e', '-X', `isolation.level=${isolation}`, '-f', '%o %K %S\\n%k%s'],
      { timeoutMs: 20_000 },
    );
  if (result.code !== 0) throw new Error(`kcat dump failed (${result.code}): ${result.stderr}`);
  const bytes = result.stdoutBytes;
  const records: DumpedRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    const eol = bytes.indexOf(0x0a, at);
    const [offset, keyLength, valueLength] = bytes.toString('latin1', at, eol).split(' ').map(Number) as [number, number, number];
    at = eol + 1;
    const key = keyLength < 0 ? null : bytes.subarray(at, at + keyLength);
    at += Math.max(keyLength, 0);
    const value = valueLength < 0 ? null : bytes.subarray(at, at + valueLength);
    at += Math.max(valueLength, 0);
    records.push({ offset, key, value, decoded: decodeOffsetsRecord(key, value) });
  }
  return records;
}

/** The committed offsets a reader of the dump ends up with: last write wins, tombstones delete. */
export function offsetsFromDump(records: DumpedRecord[], group: string): Record<string, string> {
  const offsets = new Map<string, string>();
  for (const { decoded } of records) {
    if (decoded.kind !== 'offset-commit' || decoded.group !== group) continue;
    const key = `${decoded.topic}-${decoded.partition}`;
    if (decoded.tombstone) offsets.delete(key);
    else offsets.set(key, decoded.value.offset.toString());
  }
  return Object.fromEntries([...offsets].sort(([a], [b]) => (a < b ? -1 : 1)));
}
