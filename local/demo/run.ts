/**
 * `npm run demo`: the whole incident on one machine, narrated. Exit codes: 0 the story ran to
 * its end, 1 a step failed (the reason is printed), 2 bad arguments, 130 Ctrl-C.
 */
import { invalidInput, isRecoveryError } from '../../lambdas/core/errors.ts';
import { DEMO_USAGE, parseDemoArgs, type DemoOptions } from './options.ts';
import { javaOnPath, realKafkaProblem } from '../incident/real-kafka-stage.ts';
import type { RehearsalResult } from './events.ts';
import { runRehearsal } from './rehearsal.ts';
import { runDemo } from './scenario.ts';
import { TerminalReporter } from './terminal-reporter.ts';
import { isInterruption } from './wait.ts';

function exit(code: number): never {
  // Everything the demo started is stopped by now; exit without waiting for stray client timers.
  process.exit(code);
}

// The SDK's notice about a future Node.js requirement would land in the middle of the story.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

async function main(): Promise<never> {
  let options: DemoOptions;
  try {
    const parsed = parseDemoArgs(process.argv.slice(2));
    if (parsed.help) {
      process.stdout.write(DEMO_USAGE);
      exit(0);
    }
    options = parsed.options;
    if (options.kafka.kind === 'real') {
      const problem = realKafkaProblem(options.kafka.version, javaOnPath());
      if (problem !== null) throw invalidInput('--kafka', `real:${options.kafka.version} ${problem.problem}`, problem.fix);
    }
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${DEMO_USAGE}`);
    exit(2);
  }

  const controller = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (): void => {
    if (firstSignalAt === 0) {
      firstSignalAt = Date.now();
      process.stderr.write('\nStopping: Ctrl-C again leaves at once.\n');
      controller.abort();
      return;
    }
    // The terminal signals the whole process group and tsx relays it too: one Ctrl-C can arrive twice.
    if (Date.now() - firstSignalAt > 500) exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // With --json stdout carries only the summary; the story goes to stderr, and so does whatever
  // else writes to stdout meanwhile (the handlers' metrics, which on AWS go to their log).
  const out = options.json ? process.stderr : process.stdout;
  const summary = process.stdout.write.bind(process.stdout);
  if (options.json) process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const reporter = new TerminalReporter({ out, input: process.stdin });
  try {
    if (options.rehearsal !== null) {
      const rehearsal = await runRehearsal({ ...options, rehearsal: options.rehearsal, signal: controller.signal }, reporter);
      if (options.json) summary(`${JSON.stringify(rehearsal, null, 2)}\n`);
      out.write(`\n${rehearsalVerdict(rehearsal)}\n`);
      exit(rehearsal.ok ? 0 : 1);
    }
    const result = await runDemo({ ...options, signal: controller.signal }, reporter);
    if (options.json) summary(`${JSON.stringify(result, null, 2)}\n`);
    const verdict = result.ok
      ? result.outcome === 'RECOVERED'
        ? `Demo done in ${(result.durationMs / 1000).toFixed(1)} s: ${result.group} recovered into ${result.targetGroup}, nothing lost, nothing replayed.`
        : `Demo done in ${(result.durationMs / 1000).toFixed(1)} s: the plan was rejected and nothing was written to Kafka.`
      : `Demo failed: the recovery did not check out (see above).`;
    out.write(`\n${verdict}\n`);
    exit(result.ok ? 0 : 1);
  } catch (error) {
    if (isInterruption(error) || controller.signal.aborted) {
      process.stderr.write('Interrupted: everything the demo started has been stopped; nothing more was written.\n');
      exit(130);
    }
    const message = isRecoveryError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`\nDemo failed: ${message}\n`);
    if (process.env['DEBUG'] !== undefined && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    exit(1);
  }
}

function rehearsalVerdict(r: RehearsalResult): string {
  const took = `${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.outcome === 'NOT_APPROVED') return `Rehearsal done in ${took}: the plan was rejected and nothing was written to Kafka.`;
  if (r.failure !== null) return `Rehearsal failed after ${took}${r.failure.state ? ` in ${r.failure.state}` : ''}: ${r.failure.error}: ${r.failure.cause}`;
  const figures =
    `${r.groupsVerified} of ${r.groups} target groups equal what was committed, ${r.continuations} scan continuation(s), ` +
    `largest state ${r.maxStatePayloadBytes.toLocaleString('en-US')} bytes, shard read ${(r.shardBytesRead / Math.max(1, r.shardBytes)).toFixed(2)} times`;
  return r.ok ? `Rehearsal done in ${took}: ${r.outcome}; ${figures}.` : `Rehearsal did not check out (${r.outcome}) after ${took}: ${figures}.`;
}

void main();
