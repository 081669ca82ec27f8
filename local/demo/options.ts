/**
 * The demo's command line: `npm run demo -- [--yes] [--json] [--keep] [--kafka local|real[:VERSION]]
 * [--groups N] [--commits M] [--lambda-timeout S] [--help]`.
 */
import { invalidInput } from '../../lambdas/core/errors.ts';
import { REAL_KAFKA_RELEASES } from '../real-kafka/releases.ts';
import { checkRehearsalShape, partitionsCommittedBy } from './rehearsal-load.ts';

/** Where the story plays: the local Kafka-compatible cluster, or real Apache Kafka brokers. */
export type DemoKafka = { kind: 'local' } | { kind: 'real'; version: string };

/** The rehearsal at scale: N groups on the failed shard, M commits of theirs in it. */
export interface RehearsalScale {
  groups: number;
  commits: number;
}

export interface DemoOptions {
  /** Approve the plan without asking (the non-interactive run). */
  assumeYes: boolean;
  /** Print a machine-readable summary on stdout at the end; the narration moves to stderr. */
  json: boolean;
  /** Leave the cluster and the stand-ins running at the end, until Ctrl-C. */
  keep: boolean;
  /** --kafka: the local cluster (default) or real brokers of a release. */
  kafka: DemoKafka;
  /** Set by --groups or --commits: the rehearsal at scale instead of the narrated story. */
  rehearsal: RehearsalScale | null;
  /** Every Lambda's timeout in seconds (--lambda-timeout); null: the synthesized ones. */
  lambdaTimeoutSeconds: number | null;
}

export type ParsedDemoArgs = { help: true } | { help: false; options: DemoOptions };

export const DEMO_USAGE = `Usage: npm run demo -- [--yes] [--json] [--keep] [--kafka local|real[:VERSION]] [--groups N] [--commits M] [--lambda-timeout S] [--help]

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

The rehearsal at scale (instead of the story, on the local cluster): N groups share the failed
shard, M offset commits of theirs are bulk-loaded into it, the runbook recovers them all, and every target group is
checked against what was committed.
  --groups N          groups on the failed shard (1-20,000; default 200 with --commits)
  --commits M         offset commits in the shard (default 50 per partition the groups read)
  --lambda-timeout S  every Lambda stops at S seconds (1-900), as Lambda would; long scans
                      continue from checkpoints

Exit codes: 0 the story ran to its end (recovered, or rejected with nothing written),
1 a step failed (the reason is printed), 2 bad arguments, 130 interrupted (Ctrl-C).
`;

const MAX_GROUPS = 20_000;
const DEFAULT_GROUPS = 200;
/** The local cluster keeps the shard in memory: about 85 MB per million commits. */
const MAX_COMMITS = 20_000_000;
const DEFAULT_COMMITS_PER_PARTITION = 50;
/** Lambda's own limit. */
const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

const SWITCHES: Record<string, 'assumeYes' | 'json' | 'keep' | 'help'> = {
  '--yes': 'assumeYes',
  '-y': 'assumeYes',
  '--json': 'json',
  '--keep': 'keep',
  '--help': 'help',
  '-h': 'help',
};
const VALUED = ['--kafka', '--groups', '--commits', '--lambda-timeout'] as const;
type ValuedFlag = (typeof VALUED)[number];

function wholeNumber(flag: ValuedFlag, text: string | undefined, min: number, max: number, example: string): number {
  if (text === undefined || text.startsWith('-')) throw invalidInput(flag, 'needs a value', `Write it as ${flag} ${example}.`);
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw invalidInput(flag, `'${text}' is not a whole number`, `Write it as ${flag} ${example}.`);
  if (value < min || value > max) {
    throw invalidInput(flag, `${value} is out of range`, `Use a value from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}.`);
  }
  return value;
}

export function parseDemoArgs(argv: readonly string[]): ParsedDemoArgs {
  const switches = { assumeYes: false, json: false, keep: false };
  const values = new Map<ValuedFlag, string | undefined>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const equals = arg.indexOf('=');
    const name = equals > 0 ? arg.slice(0, equals) : arg;
    if ((VALUED as readonly string[]).includes(name)) {
      const flag = name as ValuedFlag;
      if (values.has(flag)) throw invalidInput(flag, 'is given twice', `Give ${flag} once.`);
      values.set(flag, equals > 0 ? arg.slice(equals + 1) : argv[++i]);
      continue;
    }
    const flag = SWITCHES[arg];
    if (flag === undefined) {
      throw invalidInput(arg, 'is not a demo option', 'Use --yes, --json, --keep, --kafka, --groups, --commits, --lambda-timeout or --help.');
    }
    if (flag === 'help') return { help: true };
    switches[flag] = true;
  }

  const kafka: DemoKafka = values.has('--kafka') ? parseDemoKafka(values.get('--kafka')) : { kind: 'local' };
  const lambdaTimeoutSeconds = values.has('--lambda-timeout') ? wholeNumber('--lambda-timeout', values.get('--lambda-timeout'), 1, MAX_LAMBDA_TIMEOUT_SECONDS, '20') : null;
  let rehearsal: RehearsalScale | null = null;
  if (values.has('--groups') || values.has('--commits')) {
    const groups = values.has('--groups') ? wholeNumber('--groups', values.get('--groups'), 1, MAX_GROUPS, '300') : DEFAULT_GROUPS;
    const commits = values.has('--commits') ? wholeNumber('--commits', values.get('--commits'), 1, MAX_COMMITS, '1000000') : defaultCommits(groups);
    checkRehearsalShape(groups, commits);
    if (kafka.kind !== 'local') throw invalidInput('--kafka', 'the rehearsal bulk-loads the shard of the local cluster', 'Leave --kafka out (or use --kafka local) with --groups and --commits.');
    rehearsal = { groups, commits };
  }
  return { help: false, options: { ...switches, kafka, rehearsal, lambdaTimeoutSeconds } };
}

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

/** Each group commits every partition it reads about this many times. */
function defaultCommits(groups: number): number {
  return partitionsCommittedBy(groups) * DEFAULT_COMMITS_PER_PARTITION;
}
