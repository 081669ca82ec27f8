import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../bin/cli/run.ts';
import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import { InMemoryKafka } from '../../support/in-memory-kafka.ts';
import { groupMetadata, offsetCommit, offsetTombstone } from '../../support/offsets-records.ts';
import { fakeIo } from './fake-io.ts';
import { tempDirForSuite } from '../../support/temp-dir.ts';

const PARTITIONS = 10;
const dir = tempDirForSuite('cli-checkpoint-');

/** Groups that share one __consumer_offsets partition, as neighbours of a failed shard do. */
function groupsOn(partition: number, count: number): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) if (partitionForGroup(`svc-${i}`, PARTITIONS) === partition) found.push(`svc-${i}`);
  return found;
}

const P = 4;
const GROUPS = groupsOn(P, 4);

/** A log of many small batches (so a scan makes many Fetches) over four groups. */
function cluster(seed: number): InMemoryKafka {
  const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
  kafka.faults.sizeLimit = 'whole';
  const log = kafka.offsetsLog(P);
  const random = fc.sample(fc.array(fc.tuple(fc.nat(GROUPS.length - 1), fc.nat(2), fc.nat(5), fc.bigInt({ min: 0n, max: 10_000n })), { minLength: 80, maxLength: 80 }), { numRuns: 1, seed })[0]!;
  for (const [i, [g, topic, partition, offset]] of random.entries()) {
    const group = GROUPS[g]!;
    if (i % 17 === 0) log.record(groupMetadata(group, { members: [[`t${topic}`]], generation: i }));
    else if (i % 11 === 0) log.record(offsetTombstone(group, `t${topic}`, partition));
    else log.batch((ts) => [offsetCommit({ group, topic: `t${topic}`, partition, offset, commitTimestamp: ts })]);
  }
  return kafka;
}

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(kafka: InMemoryKafka, argv: string[], signal?: AbortSignal): Promise<Run> {
  const io = { ...fakeIo({ port: kafka }), ...(signal ? { signal } : {}) };
  const code = await runCli([...argv, '--bootstrap', 'b-1.test:9092', '--fetch-bytes', '1KiB'], io);
  return { code, out: io.out(), err: io.err() };
}

/** Runs the command, Ctrl-C at the given Fetches, and again with the same file until it finishes. */
async function interruptedRuns(seed: number, argv: string[], stopAt: number[], file: string): Promise<{ final: Run; stops: Run[] }> {
  const kafka = cluster(seed);
  let interrupt = new AbortController();
  kafka.faults.beforeFetch = (_request, index) => {
    if (stopAt.includes(index)) interrupt.abort();
  };
  const stops: Run[] = [];
  for (;;) {
    const result = await run(kafka, [...argv, '--checkpoint', file], interrupt.signal);
    if (result.code !== 130) return { final: result, stops };
    stops.push(result);
    expect(stops.length).toBeLessThanOrEqual(stopAt.length);
    interrupt = new AbortController();
  }
}

describe('--checkpoint', () => {
  for (const argv of [['groups', '--partition', String(P), '--offsets'], ['offsets', GROUPS[1]!]]) {
    it(`${argv[0]}: stopped by Ctrl-C at random points and run again with the same file, prints exactly what one uninterrupted run prints`, async () => {
      let interruptions = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 4 }), async (seed, points) => {
          const once = cluster(seed);
          let fetches = 0;
          once.faults.beforeFetch = () => void fetches++;
          const whole = await run(once, argv);
          // Stop points among the Fetches an uninterrupted run makes, so every run is stopped at least once.
          const stopAt = [...new Set(points.map((p) => p % fetches))];
          const file = join(dir, `${argv[0]}-${seed}-${stopAt.join('-')}.json`);
          const { final, stops } = await interruptedRuns(seed, argv, stopAt, file);
          expect(final).toEqual({ ...whole, err: stops.length > 0 ? `checkpoint ${file} removed: the scan finished\n` : '' });
          for (const stop of stops) {
            expect(stop.out).toBe('');
            expect(stop.err).toMatch(
              new RegExp(`^interrupted: stopped at offset \\d+ of __consumer_offsets-${P} \\(log end \\d+[^)]*\\); nothing was written\\.\nTo resume from there, run the same command again with --checkpoint ${file}\\.\n$`),
            );
          }
          expect(existsSync(file)).toBe(false);
          interruptions += stops.length;
        }),
        { numRuns: 12 },
      );
      // The property is about stopped runs: make sure every one of them was.
      expect(interruptions).toBeGreaterThanOrEqual(12);
    });
  }

  it('refuses a file written by another command line, naming it', async () => {
    const kafka = cluster(1);
    const file = join(dir, 'other.json');
    let interrupt = new AbortController();
    kafka.faults.beforeFetch = (_r, index) => {
      if (index === 1) interrupt.abort();
    };
    expect((await run(kafka, ['offsets', GROUPS[0]!, '--checkpoint', file], interrupt.signal)).code).toBe(130);
    interrupt = new AbortController();
    const other = await run(kafka, ['offsets', GROUPS[2]!, '--checkpoint', file]);
    expect(other.code).toBe(2);
    expect(other.err).toContain(`--checkpoint: ${file} was written by "offsets ${GROUPS[0]}", not "offsets ${GROUPS[2]}"`);
    writeFileSync(file, 'not json');
    expect((await run(kafka, ['offsets', GROUPS[0]!, '--checkpoint', file])).err).toContain(`--checkpoint: ${file} is not a checkpoint this tool wrote`);
    expect(readFileSync(file, 'utf8')).toBe('not json');
  });
});

describe('--segments', () => {
  it('finds the same groups and offsets as one pass', async () => {
    const kafka = cluster(42);
    const json = async (extra: string[]) => JSON.parse((await run(kafka, ['groups', '--partition', String(P), '--offsets', '--json', ...extra])).out) as Array<{ groups: unknown; offsets: unknown }>;
    const [whole] = await json([]);
    const [split] = await json(['--segments', '5']);
    expect(split!.groups).toEqual(whole!.groups);
    expect(split!.offsets).toEqual(whole!.offsets);
    expect(Object.keys(whole!.offsets as object)).toEqual(GROUPS.filter((g) => (whole!.offsets as Record<string, unknown>)[g] !== undefined).sort());
  });

  it('refuses --segments with --checkpoint, and a bad --fetch-bytes, naming the flag', async () => {
    const kafka = cluster(2);
    expect((await run(kafka, ['groups', '--partition', '4', '--segments', '2', '--checkpoint', join(dir, 'x.json')])).err).toContain('--segments: cannot be combined with --checkpoint');
    expect((await run(kafka, ['groups', '--partition', '4', '--segments', '0'])).err).toContain('--segments:');
    const io = fakeIo({ port: kafka });
    expect(await runCli(['offsets', 'g', '--fetch-bytes', '12 parsecs', '--bootstrap', 'b:1'], io)).toBe(2);
    expect(io.err()).toContain('--fetch-bytes: "12 parsecs" is not a fetch size from 1KiB to 256MiB');
  });
});
