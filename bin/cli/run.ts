/** The command runner: parse, run, print, map failures to exit codes. Everything here is reachable from tests with a fake io. */
import { RecoveryError, isRecoveryError } from '../../lambdas/core/errors.ts';
import type { KafkaPort } from '../../lambdas/core/ports.ts';
import { PROGRAM, parseCommandLine, type CliIo, type Command, type CommandContext } from './command.ts';
import { CONNECTION_FLAGS, buildConnectionConfig } from './connection.ts';
import { COMMANDS } from './commands/index.ts';
import { EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, exitCodeForError } from './exit-codes.ts';
import { StillWaitingError, interruptedMessage, scanStopOf, untilInterrupted, type ScanStop } from './interrupt.ts';
import { lastScanProgress } from './commands/scan-flags.ts';
import { stringifyJson } from './json.ts';
import { StatusLine } from './progress.ts';

/** A connection that does not close promptly must not keep an interrupted run waiting. */
const CLOSE_AFTER_INTERRUPT_MS = 200;

export { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INCOMPLETE, EXIT_INTERRUPTED, EXIT_OK, EXIT_REFUSED } from './exit-codes.ts';

export async function runCli(argv: readonly string[], io: CliIo, commands: readonly Command[] = COMMANDS): Promise<number> {
  // Known before parsing so that even a parse failure can honour them.
  const debug = argv.includes('--debug');
  const json = argv.includes('--json');
  let commandName: string | undefined;
  let resume: { option?: string; given?: string } = {};
  const status = new StatusLine(io.stderr, io.interactive ? 'terminal' : debug ? 'lines' : 'off');
  let context: CommandContext | undefined;
  try {
    const parsed = parseCommandLine(argv, commands, CONNECTION_FLAGS);
    if (parsed.kind === 'help') {
      io.stdout.write(parsed.text);
      return EXIT_OK;
    }
    commandName = parsed.command.name;
    resume = resumeOption(parsed.command, parsed.input.flags);
    // One promise, so concurrent first calls share one connection.
    let port: Promise<KafkaPort> | undefined;
    context = {
      io,
      json: parsed.json,
      debug: parsed.debug,
      port: () => (port ??= (async () => io.createPort(buildConnectionConfig(parsed.input.flags, io.env, io.readFile)))()),
      note: (message) => status.line(message),
      progress: (message) => status.update(message),
    };
    try {
      const result = await untilInterrupted(parsed.command.run(context, parsed.input), io.signal);
      status.clear();
      if (result && 'data' in result) io.stdout.write(parsed.json ? `${stringifyJson(result.data, true)}\n` : `${result.human()}\n`);
      return result?.exitCode ?? EXIT_OK;
    } finally {
      const closing = port?.then((open) => open.close()).catch(() => undefined);
      await (io.signal?.aborted ? Promise.race([closing, new Promise((resolve) => setTimeout(resolve, CLOSE_AFTER_INTERRUPT_MS).unref())]) : closing);
    }
  } catch (error) {
    status.clear();
    if (io.signal?.aborted) {
      const last = context ? lastScanProgress(context) : undefined;
      const lastStop = last ? { partition: last.partition, nextOffset: String(last.position), endOffset: String(last.end), records: last.records } : undefined;
      return reportInterruption(error, io, { json, resume, lastStop });
    }
    return reportFailure(error, io, { debug, json, commandName });
  }
}

/** The command's resume option (`--checkpoint`) when it has one, and the value the operator gave. */
function resumeOption(command: Command, flags: Record<string, unknown>): { option?: string; given?: string } {
  if (!('checkpoint' in command.flags)) return {};
  const given = flags['checkpoint'];
  return typeof given === 'string' ? { option: '--checkpoint', given } : { option: '--checkpoint' };
}

function reportInterruption(error: unknown, io: CliIo, options: { json: boolean; resume: { option?: string; given?: string }; lastStop: ScanStop | undefined }): number {
  // The scan's own stop when it reported one; else where it last said it was (stuck in a request).
  const stop = (isRecoveryError(error) ? scanStopOf(error.details) : undefined) ?? options.lastStop;
  const why = error instanceof StillWaitingError || !(error instanceof Error) ? undefined : `(${oneLine(error.message)})`;
  const message = interruptedMessage(stop, options.resume, why);
  if (options.json) {
    io.stderr.write(`${stringifyJson({ error: { code: 'INTERRUPTED', message: message.replace('\n', ' '), details: stop ? { stoppedAt: stop } : {} } })}\n`);
  } else {
    io.stderr.write(`${message}\n`);
  }
  return EXIT_INTERRUPTED;
}

function reportFailure(error: unknown, io: CliIo, options: { debug: boolean; json: boolean; commandName: string | undefined }): number {
  const recovery = isRecoveryError(error) ? error : new RecoveryError('KAFKA_ERROR', error instanceof Error ? error.message : String(error), { cause: error, details: { kafkaErrorName: 'INTERNAL' } });
  const exitCode = exitCodeForError(recovery);
  if (options.json) {
    io.stderr.write(`${stringifyJson({ error: recovery.toJSON() })}\n`);
  } else {
    const hint = exitCode === EXIT_BAD_INPUT && options.commandName ? ` (see ${PROGRAM} ${options.commandName} --help)` : '';
    io.stderr.write(`error: ${oneLine(recovery.message)}${hint}\n`);
  }
  if (options.debug) {
    io.stderr.write(`${recovery.stack ?? ''}\n`);
    if (recovery.cause !== undefined) io.stderr.write(`caused by: ${(recovery.cause as Error)?.stack ?? String(recovery.cause)}\n`);
    if (Object.keys(recovery.details).length > 0) io.stderr.write(`details: ${stringifyJson(recovery.details)}\n`);
  }
  return exitCode;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}
