/** The demo's command line: `npm run demo -- [--yes] [--json] [--keep] [--help]`. */
import { invalidInput } from '../../lambdas/core/errors.ts';

export interface DemoOptions {
  /** Approve the plan without asking (the non-interactive run). */
  assumeYes: boolean;
  /** Print a machine-readable summary on stdout at the end; the narration moves to stderr. */
  json: boolean;
  /** Leave the cluster and the stand-ins running at the end, until Ctrl-C. */
  keep: boolean;
}

export type ParsedDemoArgs = { help: true } | { help: false; options: DemoOptions };

export const DEMO_USAGE = `Usage: npm run demo -- [--yes] [--json] [--keep] [--help]

Plays a whole coordinator incident on this machine: a 3-broker local Kafka cluster and the AWS
stand-ins start, a consumer group's coordinator shard fails, the synthesized Step Functions
runbook diagnoses it, recovers the group's offsets from __consumer_offsets, asks for approval,
seeds them into a new group, and a consumer on that group resumes where the old one stopped.

  --yes    approve the plan without asking (without it, a terminal is asked "approve? [y/N]";
           with no terminal the plan is rejected and nothing is written)
  --json   print a JSON summary on stdout at the end (the story goes to stderr)
  --keep   leave the cluster running at the end and print its bootstrap; Ctrl-C stops it
  --help   this text

Exit codes: 0 the story ran to its end (recovered, or rejected with nothing written),
1 a step failed (the reason is printed), 2 bad arguments, 130 interrupted (Ctrl-C).
`;

const FLAGS: Record<string, keyof DemoOptions | 'help'> = {
  '--yes': 'assumeYes',
  '-y': 'assumeYes',
  '--json': 'json',
  '--keep': 'keep',
  '--help': 'help',
  '-h': 'help',
};

export function parseDemoArgs(argv: readonly string[]): ParsedDemoArgs {
  const options: DemoOptions = { assumeYes: false, json: false, keep: false };
  for (const arg of argv) {
    const flag = FLAGS[arg];
    if (flag === undefined) {
      throw invalidInput(arg, 'is not a demo option', 'Use --yes, --json, --keep or --help.');
    }
    if (flag === 'help') return { help: true };
    options[flag] = true;
  }
  return { help: false, options };
}
