/** What a CLI command is, and how a command line becomes one command with checked inputs. */
import { parseArgs } from 'node:util';
import type { Readable } from 'node:stream';
import { invalidInput } from '../../lambdas/core/errors.ts';
import type { KafkaPort } from '../../lambdas/core/ports.ts';
import type { KafkaConnectionConfig } from '../../lambdas/kafka/index.ts';
import { exitCodeHelp, type ExitCode } from './exit-codes.ts';

export const PROGRAM = 'coordinator-recovery';

export interface FlagDefinition {
  type: 'string' | 'boolean';
  multiple?: boolean;
  placeholder?: string;
  description: string;
}

export interface PositionalDefinition {
  name: string;
  description: string;
  /** The last positional may take several values (`<group>...`). */
  variadic?: boolean;
  /** May be left out entirely (only the last positional). */
  optional?: boolean;
}

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** true when a person watches stderr (a TTY): progress lines are shown then, or with --debug. */
  interactive: boolean;
  stdin: Readable;
  env: Record<string, string | undefined>;
  now(): number;
  readFile(path: string): Buffer;
  /** May load the Kafka client lazily, so commands that never connect start without it. */
  createPort(config: KafkaConnectionConfig): KafkaPort | Promise<KafkaPort>;
  /** Aborted when the operator interrupts (Ctrl-C): long scans stop and say where. */
  signal?: AbortSignal;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandInput {
  positionals: string[];
  flags: FlagValues;
}

export interface CommandContext {
  io: CliIo;
  json: boolean;
  debug: boolean;
  /** Connects on first call (so pure commands never need --bootstrap); closed by the runner. */
  port(): Promise<KafkaPort>;
  /** A line for the operator on stderr, never mixed into results. */
  note(message: string): void;
  /** Like note, but only when someone is watching (TTY) or --debug is on: progress chatter. */
  progress(message: string): void;
}

export interface CommandResult {
  /** What --json prints. */
  data: unknown;
  /** What a person reads. */
  human(): string;
  /** From exit-codes.ts; default EXIT_OK. EXIT_INCOMPLETE when the printed result is not whole. */
  exitCode?: ExitCode;
}

/** What a command that wrote its own output (a stream) returns: only how it ended. */
export interface StreamedResult {
  exitCode: ExitCode;
}

export interface Command {
  name: string;
  summary: string;
  positionals: PositionalDefinition[];
  flags: Record<string, FlagDefinition>;
  /** Extra help: examples, what the output means. */
  details?: string;
  /** Never contacts a cluster: help leaves the connection flags out. */
  offline?: boolean;
  /** Returns a StreamedResult (or nothing, for EXIT_OK) when the command wrote its own output. */
  run(context: CommandContext, input: CommandInput): Promise<CommandResult | StreamedResult | void>;
}

export const OUTPUT_FLAGS: Record<string, FlagDefinition> = {
  json: { type: 'boolean', description: 'machine-readable JSON on stdout' },
  debug: { type: 'boolean', description: 'show stack traces and Kafka client logs on errors' },
  help: { type: 'boolean', description: 'show help for the command' },
};

export type ParsedCommandLine =
  | { kind: 'help'; text: string }
  | { kind: 'run'; command: Command; input: CommandInput; json: boolean; debug: boolean };

function closest(name: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0] as number;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const saved = row[j] as number;
        row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = saved;
      }
    }
    return row[b.length] as number;
  };
  const best = candidates.map((c) => ({ c, d: distance(name, c) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 3 ? best.c : undefined;
}

export function parseCommandLine(argv: readonly string[], commands: readonly Command[], sharedFlags: Record<string, FlagDefinition>): ParsedCommandLine {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    return { kind: 'help', text: topic ? commandHelp(topic, sharedFlags) : programHelp(commands) };
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const suggestion = closest(name, commands.map((c) => c.name));
    throw invalidInput('command', `"${name}" is not a command`, `${suggestion ? `Did you mean "${suggestion}"? ` : ''}Commands: ${commands.map((c) => c.name).join(', ')}. Run ${PROGRAM} --help`);
  }
  const definitions = { ...sharedFlags, ...OUTPUT_FLAGS, ...command.flags };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(Object.entries(definitions).map(([flag, d]) => [flag, { type: d.type, multiple: d.multiple ?? false }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw argumentError(error as Error & { code?: string }, command, rest, sharedFlags);
  }
  const flags = parsed.values as FlagValues;
  if (flags['help'] === true) return { kind: 'help', text: commandHelp(command, sharedFlags) };
  const positionals = parsed.positionals;
  const expected = command.positionals;
  const required = expected.filter((p) => p.optional !== true).length;
  if (positionals.length < required) {
    const missing = expected[positionals.length] as PositionalDefinition;
    throw invalidInput(`<${missing.name}>`, 'is missing', `Usage: ${synopsis(command)}`);
  }
  if (positionals.length > expected.length && expected.at(-1)?.variadic !== true) {
    throw invalidInput(command.name, `unexpected argument "${positionals[expected.length]}"`, `Usage: ${synopsis(command)}`);
  }
  return { kind: 'run', command, input: { positionals, flags }, json: flags['json'] === true, debug: flags['debug'] === true };
}

function argumentError(error: Error & { code?: string }, command: Command, args: readonly string[], sharedFlags: Record<string, FlagDefinition>) {
  const reported = /'(-{1,2}[^' =]+)/.exec(error.message)?.[1];
  const help = `Run ${PROGRAM} ${command.name} --help`;
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      // parseArgs names one letter of "-weird"; the operator typed the whole word.
      const typed = (reported && args.find((arg) => arg === reported || (reported.length === 2 && !arg.startsWith('--') && arg.startsWith(reported)))) ?? reported ?? command.name;
      const positional = command.positionals[0];
      const flags = Object.keys({ ...sharedFlags, ...OUTPUT_FLAGS, ...command.flags });
      const near = typed.startsWith('--') ? closest(typed.slice(2), flags) : undefined;
      const hint = near
        ? ` Did you mean --${near}?`
        : positional && !typed.startsWith('--')
          ? ` If "${typed}" is a ${positional.description} starting with "-", put it after --: ${PROGRAM} ${command.name} [options] -- ${typed}.`
          : '';
      return invalidInput(typed, `is not an option of ${command.name}`, `${help}.${hint}`);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = reported ?? command.name;
      if (error.message.includes('ambiguous')) return invalidInput(flag, 'has a value starting with "-"', `Write it as ${flag}=VALUE if that is meant. ${help}`);
      return invalidInput(flag, error.message.includes('does not take') ? 'takes no value' : 'needs a value', help);
    }
    default:
      return invalidInput(reported ?? command.name, error.message, help);
  }
}

export function synopsis(command: Command): string {
  const positionals = command.positionals.map((p) => (p.optional ? `[<${p.name}>${p.variadic ? '...' : ''}]` : `<${p.name}>${p.variadic ? '...' : ''}`)).join(' ');
  const flags = Object.entries(command.flags)
    .map(([flag, d]) => `[--${flag}${d.type === 'string' ? ` ${d.placeholder ?? 'VALUE'}` : ''}]`)
    .join(' ');
  return [PROGRAM, command.name, positionals, flags].filter((part) => part.length > 0).join(' ');
}

function flagLines(flags: Record<string, FlagDefinition>): string[] {
  const entries = Object.entries(flags).map(([flag, d]) => [`  --${flag}${d.type === 'string' ? ` ${d.placeholder ?? 'VALUE'}` : ''}`, d.description] as const);
  const width = Math.max(...entries.map(([left]) => left.length));
  return entries.map(([left, right]) => `${left.padEnd(width)}  ${right}`);
}

export function commandHelp(command: Command, sharedFlags: Record<string, FlagDefinition>): string {
  const lines = [`${command.summary}`, '', `Usage: ${synopsis(command)}`];
  if (command.positionals.length > 0) {
    lines.push('', 'Arguments:');
    for (const p of command.positionals) lines.push(`  <${p.name}>  ${p.description}`);
  }
  if (Object.keys(command.flags).length > 0) lines.push('', 'Options:', ...flagLines(command.flags));
  if (!command.offline) lines.push('', 'Connection:', ...flagLines(sharedFlags));
  lines.push('', 'Output:', ...flagLines(OUTPUT_FLAGS));
  if (command.details) lines.push('', command.details);
  lines.push('', exitCodeHelp());
  return `${lines.join('\n')}\n`;
}

export function programHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `${PROGRAM}: find, scope and recover the offsets of consumer groups whose group coordinator has failed.`,
    '',
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run ${PROGRAM} <command> --help for a command's options and an example.`,
    '',
    exitCodeHelp(),
    '',
  ].join('\n');
}
