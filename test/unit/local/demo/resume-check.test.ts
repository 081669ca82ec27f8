import { describe, expect, it } from 'vitest';
import { checkResume, type PlacedMessage } from '../../../../local/demo/resume-check.ts';

// Two partitions, four messages each: seq 0,2,4,6 on partition 0 and 1,3,5,7 on partition 1.
const PRODUCED: PlacedMessage[] = Array.from({ length: 8 }, (_, seq) => ({ seq, partition: seq % 2, offset: Math.floor(seq / 2) }));
const COMMITTED = new Map([
  [0, 1],
  [1, 3],
]);
const at = (seq: number): PlacedMessage => PRODUCED[seq]!;

describe('checkResume', () => {
  it('accepts exactly the messages from the committed offset on', () => {
    const check = checkResume(PRODUCED, COMMITTED, [at(2), at(4), at(6), at(7)]);
    expect(check).toMatchObject({ ok: true, expected: 4, received: 4, lost: 0, replayed: 0, duplicated: 0 });
    expect(check.partitions[0]).toMatchObject({ committedOffset: 1, firstReceivedOffset: 1, firstSeq: 2, lastSeq: 6 });
  });

  it('names a lost message, a replayed one and a duplicate', () => {
    const check = checkResume(PRODUCED, COMMITTED, [at(0), at(2), at(2), at(6), at(7)]);
    expect(check.ok).toBe(false);
    expect(check.partitions[0]).toMatchObject({ lost: [4], replayed: [0], duplicated: [2], ok: false });
    expect(check.partitions[1]).toMatchObject({ lost: [], replayed: [], ok: true });
    expect(check).toMatchObject({ lost: 1, replayed: 1, duplicated: 1 });
  });

  it('a partition the group never committed must be read from its start', () => {
    const check = checkResume(PRODUCED, new Map([[0, 4]]), [at(1), at(3), at(5), at(7)]);
    expect(check.ok).toBe(true);
    expect(check.partitions[0]).toMatchObject({ expected: 0, received: 0, firstReceivedOffset: null });
  });
});
