import { describe, expect, it } from 'vitest';
import { encodeGroupRecordKey, encodeOffsetCommitKey } from '../../../../lambdas/core/offsets-records/index.ts';
import { crc32c, decodeRecordBatches, encodeRecordBatch } from '../../../../lambdas/core/record-batch/index.ts';
import { OffsetsLogReplay } from '../../../../lambdas/core/replay/index.ts';
import {
  commit,
  groupMetadata,
  groupMetadataTombstone,
  LogBuilder,
  offsetsByGroup,
  rawRecord,
  replay,
  T0,
  tombstone,
} from './log-builder.ts';

describe('last write wins, tombstones delete', () => {
  it('keeps the latest commit per group/topic/partition with its log position', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 'orders', 0, 5n), commit('g', 'orders', 1, 7n, { timestamp: T0 + 1n })]);
    log.plain([commit('g', 'orders', 0, 9n, { timestamp: T0 + 2n, metadata: 'm', leaderEpoch: 4 })]);
    log.plain([commit('g', 'orders', 0, 8n, { timestamp: T0 + 3n })]); // offsets may go backwards: still the latest
    const result = replay(log.buffer());
    expect(result.committedOffsets('g')).toEqual([
      {
        topic: 'orders',
        partitions: [
          { partition: 0, offset: 8n, leaderEpoch: 3, metadata: '', commitTimestamp: T0 + 3n, logOffset: 3n, logTimestamp: T0 + 3n },
          { partition: 1, offset: 7n, leaderEpoch: 3, metadata: '', commitTimestamp: T0 + 1n, logOffset: 1n, logTimestamp: T0 + 1n },
        ],
      },
    ]);
  });

  it('sorts topics by name and partitions by number', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 'zeta', 10, 1n), commit('g', 'alpha', 2, 1n), commit('g', 'zeta', 9, 1n), commit('g', 'alpha', 11, 1n)]);
    const result = replay(log.buffer());
    expect(result.committedOffsets('g').map((t) => [t.topic, t.partitions.map((p) => p.partition)])).toEqual([
      ['alpha', [2, 11]],
      ['zeta', [9, 10]],
    ]);
  });

  it('deletes on a tombstone, restores on a later commit, and drops fully tombstoned groups', () => {
    const log = new LogBuilder();
    log.plain([commit('a', 't', 0, 1n), commit('a', 't', 1, 2n), commit('b', 't', 0, 3n)]);
    log.plain([tombstone('a', 't', 0), tombstone('b', 't', 0)]);
    log.plain([commit('a', 't', 0, 4n)]);
    log.plain([tombstone('a', 't', 1)]);
    const result = replay(log.buffer());
    expect(offsetsByGroup(result)).toEqual({ a: { 't/0': '4' } });
    expect(result.groups()).toEqual(['a']);
    expect(result.stats().offsetTombstones).toBe(3);
    expect(result.liveOffsetCount).toBe(1);
  });

  it('keeps offset 0 at log offset 0 (zero is a value, not "missing")', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 0n)]);
    const result = replay(log.buffer());
    expect(result.committedOffset('g', 't', 0)).toMatchObject({ offset: 0n, logOffset: 0n });
  });

  it('keeps offsets beyond 2^31 and 2^53 exact, as committed values and as log offsets', () => {
    const log = new LogBuilder(2n ** 53n + 1n);
    log.plain([commit('g', 't', 0, 2n ** 31n + 7n), commit('g', 't', 1, 2n ** 53n + 1n), commit('g', 't', 2, 2n ** 63n - 2n)]);
    const result = replay(log.buffer());
    expect(offsetsByGroup(result)).toEqual({
      g: { 't/0': '2147483655', 't/1': '9007199254740993', 't/2': '9223372036854775806' },
    });
    expect(result.committedOffset('g', 't', 2)!.logOffset).toBe(2n ** 53n + 3n);
    expect(result.nextOffset).toBe(2n ** 53n + 4n);
  });

  it('reads every OffsetCommitValue version the same way', () => {
    const log = new LogBuilder();
    log.plain([0, 1, 2, 3, 4].map((v) => commit('g', 't', v, BigInt(100 + v), { valueVersion: v })));
    expect(offsetsByGroup(replay(log.buffer()))).toEqual({ g: { 't/0': '100', 't/1': '101', 't/2': '102', 't/3': '103', 't/4': '104' } });
  });
});

describe('log shapes', () => {
  it('survives compaction gaps between and inside batches', () => {
    const log = new LogBuilder(100n);
    log.plain([commit('g', 't', 0, 1n)]);
    log.gap(1000n);
    const sparse = [commit('g', 't', 1, 2n), commit('g', 't', 0, 3n)];
    sparse[0]!.offsetDelta = 2;
    sparse[1]!.offsetDelta = 9;
    log.plain(sparse, { lastOffsetDelta: 12 });
    log.gap(5n);
    log.plain([commit('g', 't', 2, 4n)]);
    const result = replay(log.buffer());
    expect(offsetsByGroup(result)).toEqual({ g: { 't/0': '3', 't/1': '2', 't/2': '4' } });
    expect(result.committedOffset('g', 't', 0)!.logOffset).toBe(1110n);
    expect(result.nextOffset).toBe(1120n);
  });

  it('gives the same result when the log arrives cut at any fetch size limit', () => {
    const log = new LogBuilder();
    for (let i = 0; i < 6; i++) log.plain([commit('g', 't', i % 3, BigInt(i)), commit('h', 't', 0, BigInt(10 + i))]);
    log.transactional(3n, [commit('g', 't', 0, 99n)]);
    log.marker(3n, 'COMMIT');
    const whole = log.buffer();
    const expected = offsetsByGroup(replay(whole));
    const largestFrame = Math.max(...log.frames.map((f) => f.length));
    for (const maxBytes of [largestFrame, largestFrame + 1, largestFrame + 77, 2 * largestFrame + 5]) {
      const result = new OffsetsLogReplay();
      let position = 0;
      let fetches = 0;
      while (position < whole.length) {
        const chunk = whole.subarray(position, position + maxBytes);
        const decoded = decodeRecordBatches(chunk);
        for (const batch of decoded.batches) result.apply(batch);
        // A real fetch would restart at decoded.nextOffset; here bytes stand for offsets.
        position += decoded.bytesConsumed;
        if (decoded.bytesConsumed === 0) throw new Error(`a fetch of ${maxBytes} bytes cannot hold one batch`);
        fetches++;
      }
      expect(offsetsByGroup(result)).toEqual(expected);
      expect(fetches).toBeGreaterThan(1);
    }
  });

  it('follows a simulated Fetch loop: whole batches from the one holding the offset, partial tails, a mid-batch start', () => {
    const log = new LogBuilder(1000n);
    for (let i = 0; i < 12; i++) {
      log.plain([commit('g', 't', i % 4, BigInt(i * 10)), commit('g', 't', (i + 1) % 4, BigInt(i * 10 + 1)), commit('h', 'u', 0, BigInt(i))]);
      if (i % 3 === 0) log.gap(7n);
    }
    const placed = decodeRecordBatches(log.buffer()).batches.map((batch, i) => ({
      first: batch.baseOffset,
      last: batch.kind === 'records' ? batch.lastOffset : batch.baseOffset,
      frame: log.frames[i]!,
    }));
    /** What a broker returns: from the batch holding `offset`, whole frames, the last one cut at maxBytes. */
    const fetch = (offset: bigint, maxBytes: number): Buffer =>
      Buffer.concat(placed.filter((p) => p.last >= offset).map((p) => p.frame)).subarray(0, maxBytes);

    const startOffset = placed[2]!.first + 1n; // inside the third batch
    const reference = new OffsetsLogReplay();
    for (const batch of decodeRecordBatches(log.buffer()).batches) {
      if (batch.kind === 'records' && batch.baseOffset >= placed[3]!.first) reference.apply(batch);
    }
    for (const maxBytes of [200, 333, 512]) {
      const result = new OffsetsLogReplay({ startOffset });
      let offset = startOffset;
      let size = maxBytes;
      let truncatedTails = 0;
      while (offset < log.nextOffset) {
        const decoded = decodeRecordBatches(fetch(offset, size));
        if (decoded.truncatedTail) truncatedTails++;
        if (decoded.nextOffset === undefined) {
          size *= 2; // a batch larger than the fetch: ask for more, as the scanner does
          continue;
        }
        for (const batch of decoded.batches) result.apply(batch);
        offset = decoded.nextOffset;
      }
      // The part of the third batch at and after startOffset, then everything later.
      expect(result.committedOffset('g', 't', 3)).toEqual(reference.committedOffset('g', 't', 3));
      expect(result.nextOffset).toBe(log.nextOffset);
      expect(truncatedTails).toBeGreaterThan(0);
      expect(result.stats().alreadyApplied).toBe(1);
      expect(offsetsByGroup(result)).toEqual({
        ...offsetsByGroup(reference),
        h: { 'u/0': '11' },
      });
    }
  });

  it('ignores what a re-fetch delivers again and what lies below the start offset', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 1n), commit('g', 't', 0, 2n), commit('g', 't', 0, 3n)]);
    log.plain([commit('g', 't', 0, 4n)]);
    const batches = decodeRecordBatches(log.buffer()).batches;
    const result = new OffsetsLogReplay();
    for (const batch of [batches[0]!, batches[1]!, batches[0]!]) result.apply(batch);
    expect(offsetsByGroup(result)).toEqual({ g: { 't/0': '4' } });
    expect(result.stats().alreadyApplied).toBe(3);

    const resumed = new OffsetsLogReplay({ startOffset: 1n });
    resumed.apply(batches[0]!);
    expect(resumed.committedOffset('g', 't', 0)!.logOffset).toBe(2n);
    expect(resumed.stats().alreadyApplied).toBe(1);
  });

  it('reads gzip-compressed batches', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 1n), commit('g', 't', 1, 2n)], { compression: 'gzip' });
    log.plain([tombstone('g', 't', 1)], { compression: 'gzip' });
    expect(offsetsByGroup(replay(log.buffer()))).toEqual({ g: { 't/0': '1' } });
  });

  it('counts corrupt and unreadable batches, reports their ranges and keeps going', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 1n)]);
    log.plain([commit('g', 't', 0, 2n), commit('g', 't', 1, 2n)]);
    log.plain([commit('g', 't', 2, 3n)]);
    log.plain([commit('g', 't', 3, 4n)]);
    const [first, second, third, fourth] = log.frames;
    const damaged = Buffer.from(second!);
    damaged[damaged.length - 2] = damaged[damaged.length - 2]! ^ 0xff;
    const unknownCodec = Buffer.from(third!);
    unknownCodec.writeInt16BE(5, 21); // codec ids 5-7 are not defined by Kafka
    unknownCodec.writeUInt32BE(crc32c(unknownCodec, 21), 17);
    const result = replay(Buffer.concat([first!, damaged, unknownCodec, fourth!]));
    expect(offsetsByGroup(result)).toEqual({ g: { 't/0': '1', 't/3': '4' } });
    expect(result.stats()).toMatchObject({ corruptBatches: 1, unsupportedBatches: 1, batches: 4 });
    expect(result.unreadableRanges()).toEqual([
      { kind: 'corrupt', baseOffset: 1n, lastOffset: null, reason: expect.stringMatching(/CRC-32C/) },
      { kind: 'unsupported-compression', baseOffset: 3n, lastOffset: 3n, reason: 'unknown-5 compression cannot be decompressed here' },
    ]);
  });
});

describe('record kinds', () => {
  it('counts unknown, negative and corrupt record types by reason and never fails', () => {
    const log = new LogBuilder();
    log.plain([
      commit('g', 't', 0, 1n),
      rawRecord('0063' + '0001' + '67', '0000'), // type 99 for group "g"
      rawRecord('fffd' + '0001' + '67', null), // type -3
      rawRecord('0001' + '0001' + '67' + '00', '0003'), // offset key cut short
      { key: null, value: Buffer.from('00', 'hex'), timestamp: T0 },
      { key: encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 1 }), value: Buffer.from('0009', 'hex'), timestamp: T0 },
    ]);
    for (const options of [{}, { group: 'g' }]) {
      const result = replay(log.buffer(), options);
      expect(offsetsByGroup(result)).toEqual({ g: { 't/0': '1' } });
      expect(result.stats().skipped).toEqual({
        UNKNOWN_RECORD_TYPE: 1,
        NEGATIVE_RECORD_TYPE: 1,
        CORRUPT_KEY: 1,
        EMPTY_KEY: 1,
        UNKNOWN_VALUE_VERSION: 1,
      });
    }
  });

  it('keeps the latest group metadata; a group tombstone deletes it but not the offsets', () => {
    const log = new LogBuilder();
    log.plain([groupMetadata('g', 1), commit('g', 't', 0, 5n), groupMetadata('h', 1)]);
    log.plain([groupMetadata('g', 2, T0 + 5n)]);
    log.plain([groupMetadataTombstone('h', T0 + 9n)]);
    const result = replay(log.buffer());
    expect(result.groupMetadata('g')).toMatchObject({ logOffset: 3n, value: { generation: 2, protocolType: 'consumer' } });
    expect(result.groupMetadata('h')).toBeNull();
    expect(result.groupDeletion('h')).toEqual({ logOffset: 4n, logTimestamp: T0 + 9n });
    expect(result.groupDeletion('g')).toBeNull();
    expect(result.groupsWithMetadata()).toEqual(['g', 'h']);
    expect(offsetsByGroup(result)).toEqual({ g: { 't/0': '5' } });
  });

  it('notes KIP-848 consumer-group records per group without taking them for offsets', () => {
    const log = new LogBuilder();
    log.plain([
      { key: encodeGroupRecordKey(3, 'new-style'), value: null, timestamp: T0 },
      { key: encodeGroupRecordKey(5, 'new-style', { memberId: 'm-1' }), value: null, timestamp: T0 },
      commit('new-style', 't', 0, 8n),
    ]);
    const result = replay(log.buffer());
    expect(result.groupRecords('new-style')).toEqual({
      typeNames: ['ConsumerGroupMemberMetadata', 'ConsumerGroupMetadata'],
      records: 2,
      lastLogOffset: 1n,
    });
    expect(result.stats().groupRecords).toBe(2);
    expect(offsetsByGroup(result)).toEqual({ 'new-style': { 't/0': '8' } });
    const oneGroup = replay(log.buffer(), { group: 'new-style' });
    expect(oneGroup.groupRecords('new-style')).toEqual(result.groupRecords('new-style'));
    expect(replay(log.buffer(), { group: 'new' }).groupRecords('new-style')).toBeNull();
  });
});

describe('group filter', () => {
  it('isolates one group from groups with similar names, without decoding the others', () => {
    const log = new LogBuilder();
    log.plain([
      commit('g1', 't', 0, 1n),
      commit('g10', 't', 0, 2n),
      commit('g', 't', 0, 3n),
      commit('G1', 't', 0, 4n),
      commit('g1 ', 't', 0, 5n),
      groupMetadata('g10', 3),
      tombstone('g10', 't', 0),
    ]);
    log.plain([commit('g1', 't', 1, 6n)]);
    const result = replay(log.buffer(), { group: 'g1' });
    expect(offsetsByGroup(result)).toEqual({ g1: { 't/0': '1', 't/1': '6' } });
    expect(result.groupMetadata('g10')).toBeNull();
    expect(result.stats()).toMatchObject({ otherGroups: 6, offsetCommitsApplied: 2, offsetTombstones: 0 });
  });

  it('gives each group exactly what the all-groups replay gives it (randomized log)', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const groups = ['a', 'ab', 'b', 'payments', 'päyments', ''];
    const log = new LogBuilder();
    for (let b = 0; b < 40; b++) {
      const records = Array.from({ length: 1 + random(8) }, () => {
        const group = groups[random(groups.length)]!;
        const roll = random(10);
        if (roll === 0) return tombstone(group, 'x', random(3), T0 + BigInt(b));
        if (roll === 1) return groupMetadata(group, b, T0 + BigInt(b));
        return commit(group, random(2) ? 'x' : 'y', random(3), BigInt(random(1000)), { timestamp: T0 + BigInt(b) });
      });
      if (random(4) === 0) log.transactional(BigInt(random(3)), records);
      else log.plain(records);
      if (random(5) === 0) log.marker(BigInt(random(3)), random(2) ? 'COMMIT' : 'ABORT');
    }
    const since = T0 + 10n;
    const all = replay(log.buffer(), { since });
    expect(all.groups().length).toBeGreaterThan(2);
    for (const group of groups) {
      const one = replay(log.buffer(), { group, since });
      expect(one.committedOffsets(group)).toEqual(all.committedOffsets(group));
      expect(one.groupMetadata(group)).toEqual(all.groupMetadata(group));
      expect(one.groups()).toEqual(all.groups().includes(group) ? [group] : []);
    }
  });
});

describe('time window (since)', () => {
  const since = T0 + 1000n;

  it('counts only commits at or after since', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 1n, { timestamp: since - 1n }), commit('g', 't', 1, 2n, { timestamp: since })]);
    log.plain([commit('g', 't', 0, 3n, { timestamp: since - 500n })]);
    const result = replay(log.buffer(), { since });
    expect(offsetsByGroup(result)).toEqual({ g: { 't/1': '2' } });
    expect(result.stats().outsideWindow).toBe(2);
  });

  it('accepts since as a number of epoch ms too', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 1n, { timestamp: since - 1n }), commit('g', 't', 1, 2n, { timestamp: since })]);
    expect(offsetsByGroup(replay(log.buffer(), { since: Number(since) }))).toEqual({ g: { 't/1': '2' } });
  });

  it('lets a commit in the window win over an earlier tombstone before it', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 1n, { timestamp: since - 10n })]);
    log.plain([tombstone('g', 't', 0, since - 5n)]);
    log.plain([commit('g', 't', 0, 2n, { timestamp: since + 5n })]);
    expect(offsetsByGroup(replay(log.buffer(), { since }))).toEqual({ g: { 't/0': '2' } });
  });

  it('lets a later tombstone delete a commit in the window, whatever its own timestamp', () => {
    for (const tombstoneTime of [since + 10n, since - 10n /* clock skew after a leader change */]) {
      const log = new LogBuilder();
      log.plain([commit('g', 't', 0, 1n, { timestamp: since + 5n }), commit('g', 't', 1, 2n, { timestamp: since + 5n })]);
      log.plain([tombstone('g', 't', 0, tombstoneTime)]);
      expect(offsetsByGroup(replay(log.buffer(), { since }))).toEqual({ g: { 't/1': '2' } });
    }
  });

  it('does not let an old commit resurrect a key its tombstone deleted', () => {
    const log = new LogBuilder();
    log.plain([commit('g', 't', 0, 1n, { timestamp: since + 1n })]);
    log.plain([tombstone('g', 't', 0, since + 2n)]);
    log.plain([commit('g', 't', 0, 7n, { timestamp: since - 1n })]);
    expect(offsetsByGroup(replay(log.buffer(), { since }))).toEqual({});
  });

  it('applies the window to transactional commits by their own record time', () => {
    const log = new LogBuilder();
    log.transactional(1n, [commit('g', 't', 0, 1n, { timestamp: since - 1n }), commit('g', 't', 1, 2n, { timestamp: since + 1n })]);
    log.marker(1n, 'COMMIT', since + 2n);
    expect(offsetsByGroup(replay(log.buffer(), { since }))).toEqual({ g: { 't/1': '2' } });
  });

  it('uses the broker append time of LogAppendTime batches for the window', () => {
    const records = [commit('g', 't', 0, 1n, { timestamp: since - 100n })];
    const early = encodeRecordBatch({ baseOffset: 0n, records, timestampType: 'log-append-time', maxTimestamp: since - 1n });
    const late = encodeRecordBatch({ baseOffset: 1n, records: [commit('g', 't', 1, 2n, { timestamp: since - 100n })], timestampType: 'log-append-time', maxTimestamp: since });
    const result = replay(Buffer.concat([early, late]), { since });
    expect(offsetsByGroup(result)).toEqual({ g: { 't/1': '2' } });
    expect(result.committedOffset('g', 't', 1)!.logTimestamp).toBe(since);
  });

  it('rejects a since that is not a time, naming the field', () => {
    expect(() => new OffsetsLogReplay({ since: Number.NaN })).toThrowError(/since/);
  });
});

describe('state size', () => {
  it('grows with distinct keys, not with records', () => {
    const result = new OffsetsLogReplay();
    let offset = 0n;
    for (let round = 0; round < 30; round++) {
      const records = Array.from({ length: 200 }, (_, i) => commit(`group-${i % 20}`, 'topic', Math.floor(i / 20), BigInt(round)));
      const frame = encodeRecordBatch({ baseOffset: offset, records });
      offset += 200n;
      for (const batch of decodeRecordBatches(frame).batches) result.apply(batch);
    }
    expect(result.stats().records).toBe(6000);
    expect(result.liveOffsetCount).toBe(200);
    expect(result.groups()).toHaveLength(20);
  });
});
