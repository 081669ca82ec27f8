/**
 * `npm run demo`: the whole incident on one machine, narrated. Exit codes: 0 the story ran to
 * its end, 1 a step failed (the reason is printed), 2 bad arguments, 130 Ctrl-C.
 */
import { invalidInput, isRecoveryError } from '../../lambdas/core/errors.ts';
import { DEMO_USAGE, parseDemoArgs, type DemoOptions } from './options.ts';
import { javaOnPath, realKafkaProblem } from '../incident/real-kafka-stage.ts';
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

  // With --json stdout carries only the summary; the story goes to stderr.
  const out = options.json ? process.stderr : process.stdout;
  const reporter = new TerminalReporter({ out, input: process.stdin });
  try {
    const result = await runDemo({ ...options, signal: controller.signal }, reporter);
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
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

void main();
