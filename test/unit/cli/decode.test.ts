import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeLine } from '../../../bin/cli/commands/decode.ts';
import { runCli } from '../../../bin/cli/run.ts';
import { encodeOffsetCommitKey, encodeOffsetCommitValue } from '../../../lambdas/core/offsets-records/index.ts';
import { loadVectors } from '../../support/shared-schemas.ts';
import { fakeIo } from './fake-io.ts';


const key = encodeOffsetCommitKey({ group: 'payments', topic: 'orders', partition: 3 }).toString('hex');
const value = encodeOffsetCommitValue({ offset: 2n ** 63n - 2n, leaderEpoch: 4, metadata: 'm', commitTimestamp: 2n ** 53n + 1n }, 3).toString('hex');

describe('decodeLine', () => {
  it('decodes an offset commit with int64 values as exact decimal strings', () => {
    const decoded = decodeLine(JSON.stringify({ key, value }), 1);
    expect(decoded).toMatchObject({ line: 1, kind: 'offset-commit', group: 'payments', topic: 'orders', partition: 3, tombstone: false });
    expect(decoded['value']).toMatchObject({ offset: '9223372036854775806', commitTimestamp: '9007199254740993', leaderEpoch: 4 });
  });

  it('decodes a tombstone', () => {
    expect(decodeLine(JSON.stringify({ key, value: null }), 2)).toMatchObject({ line: 2, kind: 'offset-commit', tombstone: true });
  });

  it.each([
    ['{not json', 'not JSON'],
    ['[1,2]', 'expected an object'],
    [JSON.stringify({ key }), 'value: missing'],
    [JSON.stringify({ key: 'zz', value: null }), 'key:'],
    [JSON.stringify({ key, value: 'abc' }), 'value:'],
    [JSON.stringify({ value: null }), 'key:'],
  ])('turns %s into an error object naming the line', (text, problem) => {
    const decoded = decodeLine(text, 7);
    expect(decoded['line']).toBe(7);
    expect(String(decoded['error'])).toMatch(/^line 7: /);
    expect(String(decoded['error'])).toContain(problem);
  });

  it('reports undecodable record bytes as a typed skip, not an error', () => {
    expect(decodeLine(JSON.stringify({ key: '7fff00', value: null }), 1)).toMatchObject({ kind: 'skipped' });
  });

  it('decodes every record vector of the shared golden file to its expected group and offset', () => {
    const records = loadVectors().records;
    expect(records.length).toBeGreaterThan(0);
    for (const vector of records) {
      const decoded = decodeLine(JSON.stringify({ key: vector.keyHex, value: vector.valueHex }), 1);
      expect(decoded['error'], vector.name).toBeUndefined();
      if (typeof vector.expect['group'] === 'string') expect(decoded['group'], vector.name).toBe(vector.expect['group']);
      if (typeof vector.expect['offset'] === 'string') expect((decoded['value'] as Record<string, unknown>)['offset'], vector.name).toBe(vector.expect['offset']);
    }
  });
});

describe('coordinator-recovery decode', () => {
  it('streams one object per input line, keeps going past bad lines and summarises them on stderr', async () => {
    const io = fakeIo({ stdin: Readable.from([`${JSON.stringify({ key, value })}\n`, '\n', 'garbage\n', JSON.stringify({ key, value: null })]) });
    expect(await runCli(['decode'], io)).toBe(4);
    const lines = io.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['line'])).toEqual([1, 3, 4]);
    expect(lines[1]?.['error']).toMatch(/^line 3: not JSON/);
    expect(lines[2]?.['tombstone']).toBe(true);
    expect(io.err()).toContain('1 of 4 line(s) could not be decoded');
  });
});
