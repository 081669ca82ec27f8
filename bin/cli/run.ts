/** The command runner: parse, run, print, map failures to exit codes. Everything here is reachable from tests with a fake io. */
import { RecoveryError, isRecoveryError } from '../../lambdas/core/errors.ts';
import type { KafkaPort } from '../../lambdas/core/ports.ts';
import { PROGRAM, parseCommandLine, type CliIo, type Command, type CommandContext } from './command.ts';
import { CONNECTION_FLAGS, buildConnectionConfig } from './connection.ts';
import { COMMANDS } from './commands/index.ts';
import { stringifyJson } from './json.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
/** A safety check refused to write (no approval, target in use, plan changed). */
export const EXIT_REFUSED = 3;
/** The shell's code for "stopped by SIGINT". */
export const EXIT_INTERRUPTED = 130;

/** Errors caused by what the operator typed; everything else is a runtime failure. */
const BAD_INPUT_CODES = new Set(['INVALID_INPUT', 'PARTITION_OUT_OF_RANGE']);

export async function runCli(argv: readonly string[], io: CliIo, commands: readonly Command[] = COMMANDS): Promise<number> {
  // Known before parsing so that even a parse failure can honour them.
  const debug = argv.includes('--debug');
  const json = argv.includes('--json');
  let commandName: string | undefined;
  try {
    const parsed = parseCommandLine(argv, commands, CONNECTION_FLAGS);
    if (parsed.kind === 'help') {
      io.stdout.write(parsed.text);
      return EXIT_OK;
    }
    commandName = parsed.command.name;
    let port: KafkaPort | undefined;
    const context: CommandContext = {
      io,
      json: parsed.json,
      debug: parsed.debug,
      port: async () => {
        port ??= io.createPort(buildConnectionConfig(parsed.input.flags, io.env, io.readFile));
        return port;
      },
      note: (message) => io.stderr.write(`${message}\n`),
      progress: (message) => {
        if (io.interactive || parsed.debug) io.stderr.write(`${message}\n`);
      },
    };
    try {
      const result = await parsed.command.run(context, parsed.input);
      if (result) io.stdout.write(parsed.json ? `${stringifyJson(result.data, true)}\n` : `${result.human()}\n`);
      return result?.exitCode ?? EXIT_OK;
    } finally {
      await port?.close().catch(() => undefined);
    }
  } catch (error) {
    const exitCode = reportFailure(error, io, { debug, json, commandName });
    return io.signal?.aborted ? EXIT_INTERRUPTED : exitCode;
  }
}

function reportFailure(error: unknown, io: CliIo, options: { debug: boolean; json: boolean; commandName: string | undefined }): number {
  const recovery = isRecoveryError(error) ? error : new RecoveryError('KAFKA_ERROR', error instanceof Error ? error.message : String(error), { cause: error, details: { kafkaErrorName: 'INTERNAL' } });
  const exitCode = BAD_INPUT_CODES.has(recovery.code) ? EXIT_BAD_INPUT : recovery.code === 'REFUSED' ? EXIT_REFUSED : EXIT_FAILED;
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
