/** The command runner: parse, run, print, map failures to exit codes. Everything here is reachable from tests with a fake io. */
import { RecoveryError, isRecoveryError } from '../../lambdas/core/errors.ts';
import type { KafkaPort } from '../../lambdas/core/ports.ts';
import { PROGRAM, parseCommandLine, type CliIo, type Command, type CommandContext } from './command.ts';
import { CONNECTION_FLAGS, buildConnectionConfig } from './connection.ts';
import { COMMANDS } from './commands/index.ts';
import { EXIT_BAD_INPUT, EXIT_OK, exitCodeForError } from './exit-codes.ts';
import { stringifyJson } from './json.ts';

export { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INCOMPLETE, EXIT_INTERRUPTED, EXIT_OK, EXIT_REFUSED } from './exit-codes.ts';

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
      if (result && 'data' in result) io.stdout.write(parsed.json ? `${stringifyJson(result.data, true)}\n` : `${result.human()}\n`);
      return result?.exitCode ?? EXIT_OK;
    } finally {
      await port?.close().catch(() => undefined);
    }
  } catch (error) {
    return reportFailure(error, io, { debug, json, commandName });
  }
}

function reportFailure(error: unknown, io: CliIo, options: { debug: boolean; json: boolean; commandName: string | undefined }): number {
  const recovery = isRecoveryError(error) ? error : new RecoveryError('KAFKA_ERROR', error instanceof Error ? error.message : String(error), { cause: error, details: { kafkaErrorName: 'INTERNAL' } });
  const exitCode = exitCodeForError(recovery, io.signal?.aborted === true);
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
