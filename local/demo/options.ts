/** The demo's command line: `npm run demo -- [--yes] [--json] [--keep] [--kafka local|real[:VERSION]] [--help]`. */
import { invalidInput } from '../../lambdas/core/errors.ts';
import { REAL_KAFKA_RELEASES } from '../real-kafka/releases.ts';

/** Where the story plays: the local Kafka-compatible cluster, or real Apache Kafka brokers. */
export type DemoKafka = { kind: 'local' } | { kind: 'real'; version: string };

export interface DemoOptions {
  /** Approve the plan without asking (the non-interactive run). */
  assumeYes: boolean;
  /** Print a machine-readable summary on stdout at the end; the narration moves to stderr. */
  json: boolean;
  /** Leave the cluster and the stand-ins running at the end, until Ctrl-C. */
  keep: boolean;
  /** --kafka: the local cluster (default) or real brokers of a release. */
  kafka: DemoKafka;
}

export type ParsedDemoArgs = { help: true } | { help: false; options: DemoOptions };

export const DEMO_USAGE = `Usage: npm run demo -- [--yes] [--json] [--keep] [--kafka local|real[:VERSION]] [--help]

Plays a whole coordinator incident on this machine: a 3-broker local Kafka cluster and the AWS
stand-ins start, a consumer group's coordinator shard fails, the synthesized Step Functions
runbook diagnoses it, recovers the group's offsets from __consumer_offsets, asks for approval,
seeds them into a new group, and a consumer on that group resumes where the old one stopped.

  --yes    approve the plan without asking (without it, a terminal is asked "approve? [y/N]";
           with no terminal the plan is rejected and nothing is written)
  --json   print a JSON summary on stdout at the end (the story goes to stderr)
  --keep   leave the cluster running at the end and print its bootstrap; Ctrl-C stops it
  --kafka local|real[:VERSION]
           where the story plays: the local Kafka-compatible cluster (default), or three real
           Apache Kafka brokers (KRaft, on the JDK; VERSION a 4.x release such as 4.4.0 or 4.1,
           default ${REAL_KAFKA_RELEASES.newest}; the jars once: npm run -s real-kafka -- fetch)
  --help   this text

Exit codes: 0 the story ran to its end (recovered, or rejected with nothing written),
1 a step failed (the reason is printed), 2 bad arguments, 130 interrupted (Ctrl-C).
`;

const FLAGS: Record<string, 'assumeYes' | 'json' | 'keep' | 'help'> = {
  '--yes': 'assumeYes',
  '-y': 'assumeYes',
  '--json': 'json',
  '--keep': 'keep',
  '--help': 'help',
  '-h': 'help',
};

/** `local`, `real` (the newest release), `real:4.4.0`, or `real:4.1` (the release of that line the suite runs). */
export function parseDemoKafka(value: string | undefined): DemoKafka {
  const fix = `Use --kafka local, --kafka real (Apache Kafka ${REAL_KAFKA_RELEASES.newest}) or --kafka real:VERSION, e.g. real:${REAL_KAFKA_RELEASES.vulnerable41}`;
  if (value === undefined || value === '') throw invalidInput('--kafka', 'needs a value', fix);
  if (value === 'local') return { kind: 'local' };
  const real = /^real(?::(.+))?$/.exec(value);
  if (!real) throw invalidInput('--kafka', `"${value}" is not local or real[:VERSION]`, fix);
  const asked = real[1];
  if (asked === undefined) return { kind: 'real', version: REAL_KAFKA_RELEASES.newest };
  if (/^\d+\.\d+\.\d+$/.test(asked)) return { kind: 'real', version: asked };
  const line = Object.values(REAL_KAFKA_RELEASES).find((v) => /^\d+\.\d+$/.test(asked) && v.startsWith(`${asked}.`));
  if (line === undefined) throw invalidInput('--kafka', `"${asked}" is not a release (x.y.z) or a line the suite runs (${Object.values(REAL_KAFKA_RELEASES).join(', ')})`, fix);
  return { kind: 'real', version: line };
}

export function parseDemoArgs(argv: readonly string[]): ParsedDemoArgs {
  const options: DemoOptions = { assumeYes: false, json: false, keep: false, kafka: { kind: 'local' } };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--kafka' || arg.startsWith('--kafka=')) {
      options.kafka = parseDemoKafka(arg === '--kafka' ? argv[++i] : arg.slice('--kafka='.length));
      continue;
    }
    const flag = FLAGS[arg];
    if (flag === undefined) {
      throw invalidInput(arg, 'is not a demo option', 'Use --yes, --json, --keep, --kafka or --help.');
    }
    if (flag === 'help') return { help: true };
    options[flag] = true;
  }
  return { help: false, options };
}
