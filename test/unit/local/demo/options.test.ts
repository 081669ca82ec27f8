import { describe, expect, it } from 'vitest';
import { RecoveryError } from '../../../../lambdas/core/errors.ts';
import { collapseProbeLines } from '../../../../local/demo/narrator.ts';
import { parseDemoArgs } from '../../../../local/demo/options.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { renderTable } from '../../../../local/demo/table.ts';

describe('parseDemoArgs', () => {
  it('reads the flags', () => {
    const plain = { assumeYes: false, json: false, keep: false, kafka: { kind: 'local' }, rehearsal: null, lambdaTimeoutSeconds: null };
    expect(parseDemoArgs([])).toEqual({ help: false, options: plain });
    expect(parseDemoArgs(['--yes', '--json', '--keep'])).toEqual({ help: false, options: { ...plain, assumeYes: true, json: true, keep: true } });
    expect(parseDemoArgs(['--json', '--help'])).toEqual({ help: true });
  });

  it('refuses an unknown flag, naming it and the ones that exist', () => {
    expect(() => parseDemoArgs(['--yess'])).toThrow(RecoveryError);
    expect(() => parseDemoArgs(['--yess'])).toThrow('--yess: is not a demo option. Use --yes, --json, --keep, --kafka, --groups, --commits, --lambda-timeout or --help.');
  });

  it('reads --kafka local|real[:VERSION], the newest release by default, a line by its release', () => {
    const kafka = (argv: string[]): unknown => (parseDemoArgs(argv) as { options: { kafka: unknown } }).options.kafka;
    expect(kafka(['--kafka', 'real'])).toEqual({ kind: 'real', version: REAL_KAFKA_RELEASES.newest });
    expect(kafka(['--kafka=real:4.1'])).toEqual({ kind: 'real', version: REAL_KAFKA_RELEASES.vulnerable41 });
    expect(kafka(['--kafka', 'real:4.0.2', '--yes'])).toEqual({ kind: 'real', version: '4.0.2' });
    expect(kafka(['--kafka', 'local'])).toEqual({ kind: 'local' });
    for (const bad of [['--kafka'], ['--kafka', 'remote'], ['--kafka', 'real:2.8']]) {
      expect(() => parseDemoArgs(bad)).toThrow(/^--kafka: .*Use --kafka local, --kafka real/);
    }
  });

  it('reads the rehearsal flags, with a value after the flag or after =', () => {
    const options = (args: string[]) => {
      const parsed = parseDemoArgs(args);
      if (parsed.help) throw new Error('help');
      return parsed.options;
    };
    expect(options(['--yes', '--groups', '300', '--commits=100000', '--lambda-timeout', '20'])).toMatchObject({
      assumeYes: true,
      rehearsal: { groups: 300, commits: 100_000 },
      lambdaTimeoutSeconds: 20,
    });
    // --lambda-timeout alone keeps the story; --groups alone gets 50 commits per partition the groups read.
    expect(options(['--lambda-timeout=60'])).toMatchObject({ rehearsal: null, lambdaTimeoutSeconds: 60 });
    expect(options(['--groups', '2'])).toMatchObject({ rehearsal: { groups: 2, commits: (6 + 12) * 50 } });
  });

  it('refuses bad rehearsal values, naming the flag and the fix', () => {
    const refusal = (args: string[]): string => {
      try {
        parseDemoArgs(args);
      } catch (error) {
        expect(error).toBeInstanceOf(RecoveryError);
        return (error as Error).message;
      }
      throw new Error(`${args.join(' ')} was accepted`);
    };
    expect(refusal(['--groups'])).toBe('--groups: needs a value. Write it as --groups 300.');
    expect(refusal(['--groups', '--yes'])).toBe('--groups: needs a value. Write it as --groups 300.');
    expect(refusal(['--groups', '3.5'])).toBe("--groups: '3.5' is not a whole number. Write it as --groups 300.");
    expect(refusal(['--groups', '0'])).toBe('--groups: 0 is out of range. Use a value from 1 to 20,000.');
    expect(refusal(['--lambda-timeout', '901'])).toBe('--lambda-timeout: 901 is out of range. Use a value from 1 to 900.');
    expect(refusal(['--lambda-timeout', '20s'])).toBe("--lambda-timeout: '20s' is not a whole number. Write it as --lambda-timeout 20.");
    expect(refusal(['--groups', '100', '--commits', '500'])).toBe(
      '--commits: 500 commits cannot give each of the 100 groups an offset on every partition it reads (900 partitions). Use --commits 900 or more, or fewer --groups.',
    );
    expect(refusal(['--commits', '5', '--commits', '6'])).toBe('--commits: is given twice. Give --commits once.');
    expect(refusal(['--groups', '10', '--kafka', 'real'])).toBe('--kafka: the rehearsal bulk-loads the shard of the local cluster. Leave --kafka out (or use --kafka local) with --groups and --commits.');
  });
});

describe('narration helpers', () => {
  it('right-aligns numeric columns and prints null as -', () => {
    expect(renderTable({ columns: ['p', 'topic', 'lag'], rows: [[0, 'orders', 12], [10, 'payments', null]] }, '')).toEqual([
      ' p  topic     lag',
      '--  --------  ---',
      ' 0  orders     12',
      '10  payments    -',
    ]);
  });

  it('collapses consecutive probe lines of one broker into one', () => {
    const probe = (p: number): string => `  - probe group coordinator-recovery-probe-${p} -> __consumer_offsets-${p} on broker 3 (127.0.0.1:1): DescribeGroups answered (state Dead, 0 member(s))`;
    expect(collapseProbeLines(['head', probe(2), probe(5), 'tail'])).toEqual([
      'head',
      '  - 2 other shard(s) of broker 3 answer DescribeGroups (probe groups on __consumer_offsets-2, 5)',
      'tail',
    ]);
  });
});
