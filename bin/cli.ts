#!/usr/bin/env node
/**
 * The operator CLI, installed as `coordinator-recovery` (built to dist/js/cli.js, the package's
 * `bin`). Commands live in bin/cli/commands/; this file only wires the real process to them.
 */
import { readFileSync } from 'node:fs';
import { EXIT_INTERRUPTED } from './cli/exit-codes.ts';
import { interruptOnSignals } from './cli/interrupt.ts';
import { runCli } from './cli/run.ts';

const interrupt = interruptOnSignals(process, {
  now: () => Date.now(),
  leaveNow: () => {
    process.stderr.write('\ninterrupted again: leaving at once; nothing was written\n');
    process.exit(EXIT_INTERRUPTED);
  },
});

const exitCode = await runCli(process.argv.slice(2), {
  signal: interrupt,
  stdout: process.stdout,
  stderr: process.stderr,
  interactive: process.stderr.isTTY === true,
  stdin: process.stdin,
  env: process.env,
  now: () => Date.now(),
  readFile: (path) => readFileSync(path),
  // Loaded on first use: `--help`, `decode` and `partition-for --partitions` never load kafkajs.
  createPort: async (config) =>
    (await import('../lambdas/kafka/index.ts')).createKafkaPort(
      config,
      process.argv.includes('--debug')
        ? { debugLog: (line) => process.stderr.write(`kafkajs ${line.level} [${line.namespace}] ${line.message} ${JSON.stringify(line.extra)}\n`) }
        : {},
    ),
});
// Interrupted: kafkajs may still hold sockets and retry timers; do not wait for them.
if (exitCode === EXIT_INTERRUPTED) process.exit(exitCode);
process.exitCode = exitCode;
