import { spawn, type ChildProcess } from 'node:child_process';
import { decodeOffsetsRecord, type OffsetsRecord } from '../../../lambdas/core/offsets-records/index.ts';

/**
 * Helpers for the coordinator's conformance tests: child processes whose output is watched
 * while they run (a stuck consumer never exits on its own), and the binary-safe dump of a
 * `__consumer_offsets` partition through kcat.
 */
const children = new Set<ChildProcess>();

export interface WatchedProcess {
  stdout(): Buffer;
  stderr(): string;
  /** Resolves when `predicate` holds on the output so far; rejects after `timeoutMs` or on exit without it. */
  until(predicate: (stdout: string, stderr: string) => boolean, timeoutMs: number): Promise<void>;
  exited(): Promise<number | null>;
  kill(): void;
}

export function watchProcess(command: string, args: string[], input = ''): WatchedProcess {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const out: Buffer[] = [];
  let err = '';
  let exitCode: number | null | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => listeners.forEach((l) => l());
  child.stdout!.on('data', (d: Buffer) => {
    out.push(d);
    notify();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    notify();
  });
  const exit = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      exitCode = code;
      children.delete(child);
      notify();
      resolve(code);
    });
  });
  child.on('error', () => undefined);
  child.stdin!.end(input);
  return {
    stdout: () => Buffer.concat(out),
    stderr: () => err,
    until(predicate, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (predicate(Buffer.concat(out).toString(), err)) finish(resolve);
          else if (exitCode !== undefined) finish(() => reject(new Error(`${command} exited (${exitCode}) before the condition held; stderr tail: ${err.slice(-2000)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`condition not met within ${timeoutMs} ms; stderr tail: ${err.slice(-2000)}`))), timeoutMs);
        const finish = (then: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        check();
      });
    },
    exited: () => exit,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}

export async function runToExit(command: string, args: string[], timeoutMs: number, input = ''): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = watchProcess(command, args, input);
  const timer = setTimeout(() => child.kill(), timeoutMs);
  const code = await child.exited();
  clearTimeout(timer);
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

export function killWatchedChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

export interface DumpedRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  decoded: OffsetsRecord;
}

/** `kcat -C -t __consumer_offsets -p P` with length-prefixed key and value, decoded by the recovery codec. */
export async function dumpOffsetsPartition(bootstrap: string, partition: number, isolation: 'read_committed' | 'read_uncommitted' = 'read_uncommitted'): Promise<DumpedRecord[]> {
  const result = await runToExit(
    'kcat',
    ['-b', bootstrap, '-C', '-t', '__consumer_offsets', '-p', String(partition), '-o', 'beginning', '-e', '-X', `isolation.level=${isolation}`, '-f', '%o %K %S\\n%k%s'],
    20_000,
  );
  if (result.code !== 0) throw new Error(`kcat dump failed (${result.code}): ${result.stderr}`);
  const bytes = result.stdout;
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
