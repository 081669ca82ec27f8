/**
 * The operator CLI, installed as `coordinator-recovery` (bin/coordinator-recovery.js runs this
 * file). Commands live in bin/cli/commands/; this file only wires the real process to them.
 */
import { readFileSync } from 'node:fs';
import { createKafkaPort } from '../lambdas/kafka/index.ts';
import { runCli } from './cli/run.ts';

// First Ctrl-C: stop the scan cleanly and report where it stopped; second: leave at once.
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});

const exitCode = await runCli(process.argv.slice(2), {
  signal: interrupt.signal,
  stdout: process.stdout,
  stderr: process.stderr,
  interactive: process.stderr.isTTY === true,
  stdin: process.stdin,
  env: process.env,
  now: () => Date.now(),
  readFile: (path) => readFileSync(path),
  createPort: (config) =>
    createKafkaPort(
      config,
      process.argv.includes('--debug')
        ? { debugLog: (line) => process.stderr.write(`kafkajs ${line.level} [${line.namespace}] ${line.message} ${JSON.stringify(line.extra)}\n`) }
        : {},
    ),
});
process.exitCode = exitCode;
