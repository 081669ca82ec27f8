/**
 * Bad input the operator can type: refused with exit 2 and one line that starts with the flag
 * (or <argument>) as typed and says the fix in CLI terms, never the toolkit's field names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecoveryError } from '../../../lambdas/core/errors.ts';
import { runCli } from '../../../bin/cli/run.ts';
import { parseSince } from '../../../bin/cli/values.ts';
import { InMemoryKafka } from '../../support/in-memory-kafka.ts';
import { fakeIo } from './fake-io.ts';

const NOW = Date.parse('2026-03-10T12:00:00Z');
/** Words of the library API that mean nothing to someone at a terminal. */
const LIBRARY_TERMS = /Date\.now|groupId|fromOffset|resumeFrom|brokerId|epoch milliseconds \(an integer|\bwindow\b|(?<!-)\bpartition: /;

describe('every refusal names what was typed', () => {
  it.each<[string[], string]>([
    [['offsets', 'g', '--since', '2024-02-30'], '--since: "2024-02-30" is not a real time (February 2024 has 29 days)'],
    [['offsets', 'g', '--since', '2023-02-29T10:00:00Z'], '--since: "2023-02-29T10:00:00Z" is not a real time (February 2023 has 28 days)'],
    [['offsets', 'g', '--since', '2024-04-31'], 'April 2024 has 30 days'],
    [['offsets', 'g', '--since', '2024-05-01T24:00:00Z'], 'hour 24 does not exist'],
    [['offsets', 'g', '--since', '2024-05-01T10:60'], 'minute 60 does not exist'],
    [['offsets', 'g', '--since', '1960-01-01'], '--since: "1960-01-01" is before 1970'],
    [['groups', '--partition', '1', '--since', '2024-00-10'], '--since: "2024-00-10" is not a real time (month 00 does not exist)'],
    [['offsets', ''], '<group>: expected a non-empty string'],
    [['coordinator', ''], '<group>: expected a non-empty string'],
    [['partition-for', '-weird', '--partitions', '50'], '-weird: is not an option of partition-for'],
    [['groups', '--partition', '7'], '--partition: 7 is out of range: __consumer_offsets has partitions 0-4 on this cluster'],
  ])('%j', async (argv, message) => {
    const io = fakeIo({ port: new InMemoryKafka({ offsetsPartitions: 5 }), now: NOW, env: { KAFKA_BOOTSTRAP: 'b-1.test:9092' } });
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toMatch(/^error: [-<]/);
    expect(io.err()).toContain(message);
    expect(io.err()).not.toMatch(LIBRARY_TERMS);
    expect(io.err().trim().split('\n')).toHaveLength(1);
  });

  it('tells how to pass a group id that starts with "-"', async () => {
    const io = fakeIo();
    await runCli(['partition-for', '-weird', '--partitions', '50'], io);
    expect(io.err()).toContain('put it after --: coordinator-recovery partition-for [options] -- -weird');
  });
});

describe('-- ends the options', () => {
  it('so a group id may start with "-"', async () => {
    const io = fakeIo();
    expect(await runCli(['partition-for', '--partitions', '50', '--json', '--', '-weird'], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ groupId: '-weird', partitionCount: 50 });
  });
});

describe('--since dates', () => {
  it('takes a calendar date exactly as typed, or refuses it naming --since; never rolls it over', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1970, max: 2025 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), (year, month, day, hour) => {
        const pad = (n: number) => String(n).padStart(2, '0');
        const text = `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:00:00Z`;
        let parsed: number;
        try {
          parsed = parseSince(text, NOW);
        } catch (error) {
          expect((error as RecoveryError).details['field']).toBe('--since');
          const real = month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate() && hour <= 23;
          expect(real).toBe(false);
          return;
        }
        const date = new Date(parsed);
        expect([date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours()]).toEqual([year, month, day, hour]);
      }),
      { numRuns: 2000 },
    );
  });
});
