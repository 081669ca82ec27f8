/**
 * The exit codes a script gates on: each command's outcome through runCli, from the document's
 * own `complete` verdict, never from what the human text happens to say.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { kafkaError, refusedForSafety } from '../../../lambdas/core/errors.ts';
import type { Command } from '../../../bin/cli/command.ts';
import { EXIT_CODE_LINES } from '../../../bin/cli/exit-codes.ts';
import { runCli } from '../../../bin/cli/run.ts';
import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import { InMemoryKafka } from '../../support/in-memory-kafka.ts';
import { groupMetadata, offsetCommit } from '../../support/offsets-records.ts';
import { fakeIo } from './fake-io.ts';

const GROUP = 'billing';
const BOOTSTRAP = ['--bootstrap', 'b-1.test:9092'];

/** `orders` has two partitions; the group subscribes to it and committed `committed` of them. */
function clusterWithCommits(committed: number[]): InMemoryKafka {
  const kafka = new InMemoryKafka({ offsetsPartitions: 5 });
  kafka.createTopic('orders', 2);
  kafka.setOffsets('orders', 0, 0n, 100n);
  kafka.setOffsets('orders', 1, 0n, 100n);
  const log = kafka.offsetsLog(partitionForGroup(GROUP, 5));
  log.record(groupMetadata(GROUP, { members: [['orders']] }));
  for (const partition of committed) log.record(offsetCommit({ group: GROUP, topic: 'orders', partition, offset: 40n }));
  return kafka;
}

describe('offsets', () => {
  it('exits 0 when every subscribed partition has a valid offset', async () => {
    const io = fakeIo({ port: clusterWithCommits([0, 1]) });
    expect(await runCli(['offsets', GROUP, ...BOOTSTRAP], io)).toBe(0);
    expect(io.out()).toContain('complete: every known partition has a valid offset');
  });

  it('exits 4 with the result printed when a partition has no offset, and lists the issue', async () => {
    const io = fakeIo({ port: clusterWithCommits([0]) });
    expect(await runCli(['offsets', GROUP, ...BOOTSTRAP], io)).toBe(4);
    expect(io.out()).toMatch(/orders\s+0\s+40\s+60\s+OK/);
    expect(io.out()).toMatch(/orders\s+1\s+-\s+-\s+MISSING/);
    expect(io.out()).toContain('INCOMPLETE: 1 issue(s)');
  });

  it('exits 4 under --json too: only the document on stdout, the issues on stderr', async () => {
    const io = fakeIo({ port: clusterWithCommits([0]) });
    expect(await runCli(['offsets', GROUP, ...BOOTSTRAP, '--json'], io)).toBe(4);
    expect(JSON.parse(io.out()).completeness.complete).toBe(false);
    expect(io.err()).toMatch(/^INCOMPLETE: .*orders.*1/);
  });
});

describe('offsets with a partition that cannot be checked', () => {
  it('exits 4 with every recovered offset printed and the unchecked one marked (issue 9, defect 1)', async () => {
    const kafka = clusterWithCommits([0, 1]);
    const leaderless = Object.create(kafka) as InMemoryKafka;
    leaderless.listOffsets = async (topic, partitions, spec) => {
      if (topic === 'orders' && partitions.includes(1)) throw kafkaError('LEADER_NOT_AVAILABLE', 5, 'ListOffsets orders-1: There is no leader for this topic-partition');
      return kafka.listOffsets(topic, partitions, spec);
    };
    const io = fakeIo({ port: leaderless });
    expect(await runCli(['offsets', GROUP, ...BOOTSTRAP], io)).toBe(4);
    expect(io.out()).toMatch(/orders\s+0\s+40\s+60\s+OK/);
    expect(io.out()).toMatch(/orders\s+1\s+40\s+-\s+UNCHECKED/);
  });
});

describe('decode', () => {
  const good = JSON.stringify({ key: '000100066f726465727300066f726465727300000000', value: null });

  it('exits 0 when every line decodes', async () => {
    const io = fakeIo({ stdin: Readable.from([`${good}\n`]) });
    expect(await runCli(['decode'], io)).toBe(0);
  });

  it('exits 4 when any line could not be decoded, after printing every line', async () => {
    const io = fakeIo({ stdin: Readable.from([`${good}\n`, 'garbage\n', `${good}\n`]) });
    expect(await runCli(['decode'], io)).toBe(4);
    expect(io.out().trim().split('\n')).toHaveLength(3);
  });
});

describe('failures', () => {
  it('exits 3 when a command refuses for safety, with the reason on one line', async () => {
    const refusing: Command = {
      name: 'seed',
      summary: 'refuses',
      positionals: [],
      flags: {},
      offline: true,
      run: async () => {
        throw refusedForSafety('no terminal to ask for approval and no --yes', 'Run it on a terminal or pass --yes');
      },
    };
    const io = fakeIo();
    expect(await runCli(['seed'], io, [refusing])).toBe(3);
    expect(io.err()).toBe('error: refused: no terminal to ask for approval and no --yes. Nothing was written. Run it on a terminal or pass --yes\n');
  });
});

describe('help', () => {
  it('lists every exit code, in the program help and in each command\'s help', async () => {
    const program = fakeIo();
    await runCli(['--help'], program);
    const command = fakeIo();
    await runCli(['offsets', '--help'], command);
    for (const [code, meaning] of EXIT_CODE_LINES) {
      expect(program.out()).toContain(`${code}  ${meaning}`);
      expect(command.out()).toContain(`${code}  ${meaning}`);
    }
  });
});
