import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readKcatFrames } from '../../../bin/cli/kcat-frames.ts';
import type { KcatFrame, KcatFrameError } from '../../../bin/cli/kcat-frames.ts';
import { runCli } from '../../../bin/cli/run.ts';
import { encodeOffsetCommitKey, encodeOffsetCommitValue } from '../../../lambdas/core/offsets-records/index.ts';
import { fakeIo } from './fake-io.ts';

/** What kcat prints for one record with -f '%p %o %K %S\n%k%s' (no -Z: a null prints nothing). */
function kcatRecord(partition: number, offset: string, key: Buffer | null, value: Buffer | null): Buffer {
  const header = `${partition} ${offset} ${key === null ? -1 : key.length} ${value === null ? -1 : value.length}\n`;
  return Buffer.concat([Buffer.from(header), key ?? Buffer.alloc(0), value ?? Buffer.alloc(0)]);
}

async function frames(chunks: Buffer[]): Promise<Array<KcatFrame | KcatFrameError>> {
  const out: Array<KcatFrame | KcatFrameError> = [];
  for await (const frame of readKcatFrames(Readable.from(chunks))) out.push(frame);
  return out;
}

const key = encodeOffsetCommitKey({ group: 'payments', topic: 'orders', partition: 3 });
// Raw bytes that contain newlines and digits, so nothing but the lengths can split them.
const value = encodeOffsetCommitValue({ offset: 10n, leaderEpoch: 10, metadata: '\n7 8 9\n', commitTimestamp: 2n ** 53n + 1n }, 3);
const stream = Buffer.concat([
  kcatRecord(12, '0', key, value),
  kcatRecord(12, '1', key, null),
  kcatRecord(3, '9007199254740993', null, Buffer.from('0a', 'hex')),
]);

describe('readKcatFrames', () => {
  it('splits records by their lengths, whatever the bytes and wherever the chunks end', async () => {
    const expected = [
      { partition: 12, offset: '0', key, value },
      { partition: 12, offset: '1', key, value: null },
      { partition: 3, offset: '9007199254740993', key: null, value: Buffer.from('0a', 'hex') },
    ];
    expect(await frames([stream])).toEqual(expected);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(await frames([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(expected);
    }
    expect(await frames([...stream].map((byte) => Buffer.from([byte])))).toEqual(expected);
  });

  it('ends with one error naming the format for other input, and for a record cut short', async () => {
    const other = await frames([Buffer.from('Topic __consumer_offsets [12] at offset 0: key ...\n')]);
    expect(other).toEqual([{ error: expect.stringContaining("-f '%p %o %K %S\\n%k%s'") }]);
    expect((other[0] as KcatFrameError).error).toMatch(/^byte 0: expected a kcat header/);
    const noNewline = await frames([Buffer.alloc(200, 0x41)]);
    expect(noNewline).toHaveLength(1);
    expect(noNewline[0]).toHaveProperty('error');
    const cut = await frames([stream.subarray(0, stream.length - 1)]);
    expect(cut.slice(0, 2)).toHaveLength(2);
    expect(cut[2]).toEqual({ error: expect.stringMatching(/ends inside a record at byte \d+ \(\d+ byte\(s\) left over\)/) });
    expect(await frames([])).toEqual([]);
  });
});

describe('coordinator-recovery decode --format kcat', () => {
  it('decodes each record with its partition and offset, and keeps going past a keyless one', async () => {
    const io = fakeIo({ stdin: Readable.from([stream]) });
    expect(await runCli(['decode', '--format', 'kcat'], io)).toBe(4);
    const lines = io.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ logPartition: 12, logOffset: '0', kind: 'offset-commit', group: 'payments', topic: 'orders', partition: 3, tombstone: false });
    expect(lines[0]?.['value']).toMatchObject({ offset: '10', metadata: '\n7 8 9\n', commitTimestamp: '9007199254740993' });
    expect(lines[1]).toMatchObject({ logPartition: 12, logOffset: '1', kind: 'offset-commit', tombstone: true });
    expect(lines[2]).toMatchObject({ logPartition: 3, logOffset: '9007199254740993', error: expect.stringContaining('no key') });
    expect(io.err()).toContain('1 of 3 record(s) could not be decoded');
  });

  it('refuses an unknown --format with exit 2, naming the flag and both formats', async () => {
    const io = fakeIo();
    expect(await runCli(['decode', '--format', 'xxd'], io)).toBe(2);
    expect(io.err()).toMatch(/--format: "xxd" is not an input format.*--format json.*--format kcat/);
  });
});
