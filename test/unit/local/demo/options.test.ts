import { describe, expect, it } from 'vitest';
import { RecoveryError } from '../../../../lambdas/core/errors.ts';
import { collapseProbeLines } from '../../../../local/demo/narrator.ts';
import { parseDemoArgs } from '../../../../local/demo/options.ts';
import { REAL_KAFKA_RELEASES } from '../../../../local/real-kafka/releases.ts';
import { renderTable } from '../../../../local/demo/table.ts';

describe('parseDemoArgs', () => {
  it('reads the flags', () => {
    expect(parseDemoArgs([])).toEqual({ help: false, options: { assumeYes: false, json: false, keep: false, kafka: { kind: 'local' } } });
    expect(parseDemoArgs(['--yes', '--json', '--keep'])).toEqual({ help: false, options: { assumeYes: true, json: true, keep: true, kafka: { kind: 'local' } } });
    expect(parseDemoArgs(['--json', '--help'])).toEqual({ help: true });
  });

  it('refuses an unknown flag, naming it and the ones that exist', () => {
    expect(() => parseDemoArgs(['--yess'])).toThrow(RecoveryError);
    expect(() => parseDemoArgs(['--yess'])).toThrow('--yess: is not a demo option. Use --yes, --json, --keep, --kafka or --help.');
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
