/** The scan's progress line: position, records, rate and time left, rewritten in place on a terminal. */
import { describe, expect, it } from 'vitest';
import { ScanProgressFormatter, StatusLine, formatDuration } from '../../../bin/cli/progress.ts';
import { runCli } from '../../../bin/cli/run.ts';
import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import { InMemoryKafka } from '../../support/in-memory-kafka.ts';
import { offsetCommit } from '../../support/offsets-records.ts';
import { fakeIo } from './fake-io.ts';

describe('ScanProgressFormatter', () => {
  it('shows position, share, records, rate and time left from the first report on', () => {
    let now = 0;
    const formatter = new ScanProgressFormatter(() => now);
    const report = (position: bigint, records: number) => formatter.format({ partition: 12, position, end: 10_000n, records, bytes: 0, batches: 0 });
    expect(report(1_000n, 900)).toBe('scanning __consumer_offsets-12: offset 1000 of 10000 (10%), 900 records');
    now = 2_000;
    // 3000 offsets in 2 s: 1500/s, 6000 to go: 4 s; 2700 records in 2 s.
    expect(report(4_000n, 3_600)).toBe('scanning __consumer_offsets-12: offset 4000 of 10000 (40%), 3,600 records, 1,350 records/s, ~4s left');
  });

  it('formats durations a person reads at a glance', () => {
    expect([formatDuration(0.2), formatDuration(59), formatDuration(61), formatDuration(3_725)]).toEqual(['1s', '59s', '1m01s', '1h02m']);
  });
});

describe('StatusLine', () => {
  it('rewrites one line on a terminal and clears it before any other line', () => {
    let written = '';
    const line = new StatusLine({ write: (text: string) => (written += text) }, 'terminal');
    line.update('a');
    line.update('b');
    line.line('note');
    expect(written).toBe('\r\u001b[2Ka\r\u001b[2Kb\r\u001b[2Knote\n');
  });

  it('writes nothing off a terminal unless asked for lines', () => {
    let written = '';
    new StatusLine({ write: (text: string) => (written += text) }, 'off').update('a');
    expect(written).toBe('');
  });
});

describe('a scan on a terminal', () => {
  it('shows the progress line on stderr and leaves stdout to the result', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: 5 });
    kafka.createTopic('orders', 1);
    kafka.setOffsets('orders', 0, 0n, 10n);
    kafka.offsetsLog(partitionForGroup('billing', 5)).record(offsetCommit({ group: 'billing', topic: 'orders', partition: 0, offset: 4n }));
    const io = fakeIo({ port: kafka, interactive: true });
    expect(await runCli(['offsets', 'billing', '--bootstrap', 'b-1.test:9092', '--json'], io)).toBe(0);
    const clear = '\r\u001b[2K';
    expect(io.err().startsWith(clear)).toBe(true);
    expect(io.err().slice(clear.length)).toMatch(/^scanning __consumer_offsets-\d+: offset \d+ of \d+ \(\d+%\), 1 records/);
    expect(io.err().endsWith(clear)).toBe(true);
    expect(JSON.parse(io.out()).offsets.offsets.orders['0'].offset).toBe('4');
  });
});
