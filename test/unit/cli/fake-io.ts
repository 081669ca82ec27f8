import { Readable } from 'node:stream';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import type { CliIo } from '../../../bin/cli/command.ts';
import type { KafkaConnectionConfig } from '../../../lambdas/kafka/index.ts';

export interface FakeIo extends CliIo {
  out(): string;
  err(): string;
  configs: KafkaConnectionConfig[];
}

export function fakeIo(options: { stdin?: Readable; env?: Record<string, string>; port?: KafkaPort; now?: number; interactive?: boolean } = {}): FakeIo {
  let out = '';
  let err = '';
  const configs: KafkaConnectionConfig[] = [];
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    interactive: options.interactive ?? false,
    stdin: options.stdin ?? Readable.from([]),
    env: options.env ?? {},
    now: () => options.now ?? Date.parse('2026-03-10T12:00:00Z'),
    readFile: () => {
      throw Object.assign(new Error('no files in tests'), { code: 'ENOENT' });
    },
    createPort: (config) => {
      configs.push(config);
      if (!options.port) throw new Error('this test expected no cluster access');
      return options.port;
    },
    out: () => out,
    err: () => err,
    configs,
  };
}
