/**
 * The CLI's exit codes: the one definition that the runner, every command, `--help` and the
 * README follow, so a script can gate on them (`if coordinator-recovery offsets g; then ...`).
 */
import type { RecoveryError } from '../../lambdas/core/errors.ts';

/** Done, and the answer is whole. */
export const EXIT_OK = 0;
/** Could not do it: the cluster, the network or the data failed (one line says why). */
export const EXIT_FAILED = 1;
/** What was typed is wrong: the line names the flag and the fix. */
export const EXIT_BAD_INPUT = 2;
/** Refused for safety (e.g. a write without approval); nothing was written. */
export const EXIT_REFUSED = 3;
/** Done, the result is printed, but it is not whole: the issues are listed (gate on this). */
export const EXIT_INCOMPLETE = 4;
/** Stopped by Ctrl-C (the shell's code for SIGINT); nothing was written. */
export const EXIT_INTERRUPTED = 130;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILED | typeof EXIT_BAD_INPUT | typeof EXIT_REFUSED | typeof EXIT_INCOMPLETE | typeof EXIT_INTERRUPTED;

/** The table `--help` prints and the README repeats. */
export const EXIT_CODE_LINES: readonly (readonly [ExitCode, string])[] = [
  [EXIT_OK, 'done, the result is complete'],
  [EXIT_INCOMPLETE, 'done but incomplete: the result is printed with its issues (missing or out-of-range offsets, an unfinished scan, undecodable input)'],
  [EXIT_FAILED, 'failed: one line says why (--debug for more)'],
  [EXIT_BAD_INPUT, 'bad input: the line names the flag and the fix'],
  [EXIT_REFUSED, 'refused for safety: nothing was written'],
  [EXIT_INTERRUPTED, 'interrupted (Ctrl-C): says where it stopped; nothing was written'],
];

export function exitCodeHelp(): string {
  return ['Exit codes:', ...EXIT_CODE_LINES.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`)].join('\n');
}

/** Error codes caused by what the operator typed; every other failure is EXIT_FAILED. */
const BAD_INPUT_ERROR_CODES: ReadonlySet<string> = new Set(['INVALID_INPUT', 'PARTITION_OUT_OF_RANGE']);

/** A failure's code; an interrupted run is EXIT_INTERRUPTED whatever it failed with (the runner decides). */
export function exitCodeForError(error: RecoveryError): ExitCode {
  if (error.code === 'REFUSED') return EXIT_REFUSED;
  return BAD_INPUT_ERROR_CODES.has(error.code) ? EXIT_BAD_INPUT : EXIT_FAILED;
}

/**
 * A finished result's code from its own verdict (`complete` in the core documents), so a new
 * status such as UNCHECKED or UNCERTAIN changes the exit code without a list kept here.
 */
export function exitCodeForCompleteness(results: readonly { complete: boolean }[]): ExitCode {
  return results.every((result) => result.complete) ? EXIT_OK : EXIT_INCOMPLETE;
}
