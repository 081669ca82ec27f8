/**
 * Ctrl-C: repeats of one keypress are one request; an interrupted scan says where it stopped and
 * how to go on, and exits 130; a command stuck waiting for the cluster gives up within a second.
 * The real process (the built bin given SIGINT) is tested in test/integration/toolkit/cli-signals.test.ts.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../../bin/cli/command.ts';
import { INTERRUPT_GRACE_MS, interruptOnSignals, interruptedMessage } from '../../../bin/cli/interrupt.ts';
import { runCli } from '../../../bin/cli/run.ts';
import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import type { KafkaPort } from '../../../lambdas/core/ports.ts';
import { InMemoryKafka } from '../../support/in-memory-kafka.ts';
import { offsetCommit } from '../../support/offsets-records.ts';
import { fakeIo } from './fake-io.ts';

describe('interruptOnSignals', () => {
  function setup() {
    const source = new EventEmitter();
    let now = 1_000;
    let left = 0;
    const signal = interruptOnSignals(source, { now: () => now, leaveNow: () => (left += 1), repeatWindowMs: 1000 });
    return { source, signal, left: () => left, advance: (ms: number) => (now += ms) };
  }

  it('takes one Ctrl-C delivered three times within a moment as one request to stop cleanly', () => {
    const { source, signal, left, advance } = setup();
    source.emit('SIGINT');
    advance(3);
    source.emit('SIGINT');
    advance(5);
    source.emit('SIGINT');
    expect(signal.aborted).toBe(true);
    expect(left()).toBe(0);
  });

  it('leaves at once on a Ctrl-C pressed again after that moment', () => {
    const { source, left, advance } = setup();
    source.emit('SIGINT');
    advance(1500);
    source.emit('SIGINT');
    expect(left()).toBe(1);
  });

  it('treats SIGTERM like Ctrl-C', () => {
    const { source, signal } = setup();
    source.emit('SIGTERM');
    expect(signal.aborted).toBe(true);
  });
});

describe('interruptedMessage', () => {
  const stop = { partition: 12, nextOffset: '5000', endOffset: '9000', records: 4321 };

  it('names the offset and partition, and the resume option with the value given', () => {
    expect(interruptedMessage(stop, { option: '--checkpoint', given: 'scan.ckpt' })).toBe(
      'interrupted: stopped at offset 5000 of __consumer_offsets-12 (log end 9000, 4321 records read); nothing was written.\n' +
        'To resume from there, run the same command again with --checkpoint scan.ckpt.',
    );
  });

  it('suggests the resume option when the command has one but it was not given', () => {
    expect(interruptedMessage(stop, { option: '--checkpoint' })).toContain('add --checkpoint FILE to be able to resume');
  });

  it('says the scan starts over when the command cannot resume', () => {
    expect(interruptedMessage(undefined, {})).toBe(
      'interrupted while waiting for the cluster to answer (connecting, or a request in flight); nothing was written.\n' +
        'Run the same command again to start over (it is read-only).',
    );
  });
});

describe('runCli interrupted', () => {
  it('stops a running scan, prints where it stopped and exits 130', async () => {
    const group = 'billing';
    const kafka = new InMemoryKafka({ offsetsPartitions: 5 });
    const log = kafka.offsetsLog(partitionForGroup(group, 5));
    // Several fetches' worth (8 MiB each), so the scan is mid-way when the operator interrupts.
    const metadata = 'm'.repeat(400);
    for (let batch = 0; batch < 40; batch++) {
      log.batch(Array.from({ length: 1000 }, (_, i) => offsetCommit({ group, topic: `orders-${i % 50}`, partition: i % 7, offset: BigInt(batch * 1000 + i), metadata })));
    }
    const interrupt = new AbortController();
    kafka.faults.beforeFetch = (_request, index) => {
      if (index === 0) interrupt.abort();
    };
    const io = { ...fakeIo({ port: kafka }), signal: interrupt.signal };
    expect(await runCli(['offsets', group, '--bootstrap', 'b-1.test:9092'], io)).toBe(130);
    expect(io.out()).toBe('');
    const [where, next] = io.err().trim().split('\n');
    const stoppedAt = /^interrupted: stopped at offset (\d+) of __consumer_offsets-(\d+) \(log end (\d+), (\d+) records read\); nothing was written\.$/.exec(where ?? '');
    expect(stoppedAt, io.err()).not.toBeNull();
    const [, offset, partition, end] = stoppedAt as RegExpExecArray;
    expect(Number(partition)).toBe(partitionForGroup(group, 5));
    expect(Number(offset)).toBeGreaterThan(0);
    expect(Number(offset)).toBeLessThan(Number(end));
    // offsets can resume with --checkpoint, so the hint names it.
    expect(next).toBe('Run the same command again to start over (it is read-only); add --checkpoint FILE to be able to resume an interrupted scan.');
  });

  it('gives up within a second on a command stuck waiting for the cluster', async () => {
    const stuck: KafkaPort = new Proxy({} as KafkaPort, {
      get: (_target, name) => (name === 'then' ? undefined : () => new Promise(() => undefined)),
    });
    const interrupt = new AbortController();
    const io = { ...fakeIo({ port: stuck }), signal: interrupt.signal };
    const started = Date.now();
    const running = runCli(['coordinator', 'g', '--bootstrap', 'b-1.test:9092'], io);
    setTimeout(() => interrupt.abort(), 50);
    expect(await running).toBe(130);
    expect(Date.now() - started).toBeLessThan(50 + INTERRUPT_GRACE_MS + 500);
    expect(io.err()).toContain('interrupted while waiting for the cluster to answer');
  });

  it('reports the interruption as a JSON error under --json', async () => {
    const waiting: Command = {
      name: 'wait',
      summary: 'waits until interrupted',
      positionals: [],
      flags: {},
      offline: true,
      run: (context) => new Promise((_, reject) => context.io.signal?.addEventListener('abort', () => reject(new Error('cancelled')))),
    };
    const interrupt = new AbortController();
    const io = { ...fakeIo(), signal: interrupt.signal };
    const running = runCli(['wait', '--json'], io, [waiting]);
    interrupt.abort();
    expect(await running).toBe(130);
    expect(JSON.parse(io.err()).error).toMatchObject({ code: 'INTERRUPTED', message: expect.stringContaining('interrupted (cancelled); nothing was written.') });
  });
});
