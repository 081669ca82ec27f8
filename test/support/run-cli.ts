/**
 * The operator CLI run in this process (`runCli`) as a terminal would run it, with what it
 * printed captured: real files, the real Kafka adapter, no terminal to ask.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { CliIo } from '../../bin/cli/command.ts';
import { runCli } from '../../bin/cli/run.ts';
import { createKafkaPort } from '../../lambdas/kafka/index.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface CliRunOptions {
  /** the environment the CLI sees instead of this process's (none by default) */
  env?: Record<string, string>;
  stdin?: Readable;
  interactive?: boolean;
}

export async function runCliInProcess(argv: string[], options: CliRunOptions = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    interactive: options.interactive ?? false,
    stdin: options.stdin ?? Readable.from([]),
    env: options.env ?? {},
    now: () => Date.now(),
    readFile: (path) => readFileSync(path),
    createPort: (config) => createKafkaPort(config),
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}
