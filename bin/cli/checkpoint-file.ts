/**
 * The `--checkpoint FILE` of `groups` and `offsets`: what a stopped scan leaves so that the same
 * command continues where it stopped. One file per command line: per `__consumer_offsets`
 * partition, the scan's checkpoint (finished partitions as `done` checkpoints, so they are not read
 * again), and the window as first resolved, so a relative `--since 6h` means the same instant when
 * the command is run again. Written whole to FILE.tmp and renamed, so a second Ctrl-C never leaves
 * half a file.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { invalidInput } from '../../lambdas/core/errors.ts';
import type { ScanCheckpoint, ScanWindow } from '../../lambdas/core/model.ts';

export const CLI_CHECKPOINT_KIND = 'coordinator-recovery/cli-scan-checkpoint';

export interface CliCheckpoint {
  kind: typeof CLI_CHECKPOINT_KIND;
  command: string;
  group: string | null;
  partitions: number[];
  /** The --since/--from-offset text as typed, and the window it resolved to on the first run. */
  sinceText: string | null;
  window: ScanWindow;
  scans: Record<string, ScanCheckpoint>;
}

const FIX = 'Run the same command line that wrote it, or pass another --checkpoint file to start over.';

/** The file's checkpoint, or null when there is no file yet. */
export function readCliCheckpoint(path: string, expected: { command: string; group: string | null }): CliCheckpoint | null {
  if (!existsSync(path)) return null;
  let parsed: CliCheckpoint;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as CliCheckpoint;
  } catch (error) {
    throw invalidInput('--checkpoint', `${path} is not a checkpoint this tool wrote (${error instanceof Error ? error.message : String(error)})`, FIX);
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.kind !== CLI_CHECKPOINT_KIND || typeof parsed.scans !== 'object') {
    throw invalidInput('--checkpoint', `${path} is not a checkpoint this tool wrote`, FIX);
  }
  if (parsed.command !== expected.command || parsed.group !== expected.group) {
    const what = (c: { command: string; group: string | null }) => (c.group === null ? c.command : `${c.command} ${c.group}`);
    throw invalidInput('--checkpoint', `${path} was written by "${what(parsed)}", not "${what(expected)}"`, FIX);
  }
  return parsed;
}

export function writeCliCheckpoint(path: string, checkpoint: CliCheckpoint): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(checkpoint)}\n`);
  renameSync(temporary, path);
}

export function removeCliCheckpoint(path: string): void {
  rmSync(path, { force: true });
}
