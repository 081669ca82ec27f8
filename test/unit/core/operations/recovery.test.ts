import { describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { affectedGroups, readCommittedOffsets } from '../../../../lambdas/core/operations/index.ts';
import { encodeGroupRecordKey } from '../../../../lambdas/core/offsets-records/index.ts';
import { InMemoryKafka } from '../../../support/in-memory-kafka.ts';
import {
  groupMetadata,
  groupMetadataTombstone,
  offsetCommit,
  offsetTombstone,
  unknownTypeRecord,
} from '../../../support/offsets-records.ts';

const PARTITIONS = 10;
const FAST = { retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 } };

/** `count` group ids that hash to `partition` (so they share a log, as real neighbours do). */
function groupsOn(partition: number, count: number, prefix = 'svc'): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) {
    const id = `${prefix}-${i}`;
    if (partitionForGroup(id, PARTITIONS) === partition) found.push(id);
  }
  return found;
}

describe('readCommittedOffsets', () => {
  it('returns the last committed offset per topic partition, sorted, with where each came from', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
    const [group, neighbour] = groupsOn(4, 2) as [string, string];
    const log = kafka.offsetsLog(4);
    log.record(groupMetadata(group, { members: [['payments', 'orders'], ['orders']], generation: 7 }));
    log.batch((ts) => [
      offsetCommit({ group, topic: 'payments', partition: 10, offset: 5n, leaderEpoch: 3, metadata: 'm', commitTimestamp: ts }),
      offsetCommit({ group, topic: 'orders', partition: 2, offset: 20n, commitTimestamp: ts }),
      offsetCommit({ group: neighbour, topic: 'orders', partition: 2, offset: 999n, commitTimestamp: ts }),
    ]);
    const latest = log.record((ts) => offsetCommit({ group, topic: 'payments', partition: 9, offset: 2n ** 53n + 1n, commitTimestamp: ts }));
    log.record(offsetCommit({ group, topic: 'orders', partition: 2, offset: 21n, valueVersion: 1 }));
    // A group on another partition is never scanned.
    kafka.offsetsLog(5).record(offsetCommit({ group: groupsOn(5, 1)[0]!, topic: 'orders', partition: 0, offset: 1n }));

    const result = await readCommittedOffsets(kafka, group, {}, FAST);
    expect(result.groupId).toBe(group);
    expect(result.offsetsPartition).toBe(4);
    expect(Object.keys(result.offsets)).toEqual(['orders', 'payments']);
    expect(Object.keys(result.offsets['payments']!)).toEqual(['9', '10']);
    expect(result.offsets['orders']!['2']).toMatchObject({ offset: '21', logOffset: '5' });
    expect(result.offsets['payments']!['9']).toEqual({
      offset: '9007199254740993',
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: latest.timestamp.toString(),
      logOffset: '4',
      logTimestamp: latest.timestamp.toString(),
    });
    expect(result.offsets['payments']!['10']).toMatchObject({ offset: '5', leaderEpoch: 3, metadata: 'm' });
    expect(result.groupMetadata).toEqual({
      protocolType: 'consumer',
      protocol: 'range',
      state: 'Stable',
      generation: 7,
      members: 2,
      subscribedTopics: ['orders', 'payments'],
      currentStateTimestamp: '1700000000000',
    });
    expect(result.scan).toMatchObject({ partition: 4, complete: true, startOffset: '0', endOffset: '6' });
    // The document survives JSON unchanged (no bigint anywhere).
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('keeps only commits inside the window while tombstones still delete', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
    const [group] = groupsOn(1, 1) as [string];
    const log = kafka.offsetsLog(1);
    log.record(offsetCommit({ group, topic: 't', partition: 0, offset: 1n }));
    log.record(offsetCommit({ group, topic: 't', partition: 1, offset: 1n }));
    const windowStart = log.record(offsetCommit({ group, topic: 't', partition: 2, offset: 3n })).timestamp;
    log.record(offsetTombstone(group, 't', 2));
    log.record(offsetCommit({ group, topic: 't', partition: 1, offset: 4n }));

    const windowed = await readCommittedOffsets(kafka, group, { since: Number(windowStart) }, FAST);
    expect(windowed.offsets).toEqual({ t: { '1': expect.objectContaining({ offset: '4' }) } });
    const all = await readCommittedOffsets(kafka, group, {}, FAST);
    expect(Object.keys(all.offsets['t']!)).toEqual(['0', '1']);
    const fromOffset = await readCommittedOffsets(kafka, group, { fromOffset: '1' }, FAST);
    expect(Object.keys(fromOffset.offsets['t']!)).toEqual(['1']);
  });

  it('applies committed transactions, drops aborted ones, and reports both in the scan stats', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
    const [group] = groupsOn(2, 1) as [string];
    const log = kafka.offsetsLog(2);
    log.batch([offsetCommit({ group, topic: 't', partition: 0, offset: 500n })], { producerId: 1n, transactional: true });
    log.batch([offsetCommit({ group, topic: 't', partition: 0, offset: 666n }), offsetCommit({ group, topic: 't', partition: 1, offset: 6n })], {
      producerId: 2n,
      transactional: true,
    });
    log.marker(2n, 'ABORT');
    log.marker(1n, 'COMMIT');
    log.record(unknownTypeRecord(42));
    const result = await readCommittedOffsets(kafka, group, {}, FAST);
    expect(result.offsets).toEqual({ t: { '0': expect.objectContaining({ offset: '500' }) } });
    expect(result.scan).toMatchObject({ abortedRecords: 2, controlBatches: 2, skipped: { UNKNOWN_RECORD_TYPE: 1 } });
  });

  it('says so when a transaction was still open at the end of the scan', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
    kafka.faults.sizeLimit = 'whole';
    const [group] = groupsOn(2, 1) as [string];
    const log = kafka.offsetsLog(2);
    log.record(offsetCommit({ group, topic: 't', partition: 0, offset: 1n }));
    log.batch([offsetCommit({ group, topic: 't', partition: 0, offset: 2n })], { producerId: 9n, transactional: true });
    const result = await readCommittedOffsets(kafka, group, {}, FAST);
    expect(result.offsets['t']!['0']!.offset).toBe('1');
    expect(result.scan.complete).toBe(false);
  });

  it('reports a deleted group and a group without metadata', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
    const [deleted, bare] = groupsOn(3, 2) as [string, string];
    const log = kafka.offsetsLog(3);
    log.record(groupMetadata(deleted, { members: [['t']] }));
    log.record(offsetCommit({ group: deleted, topic: 't', partition: 0, offset: 1n }));
    log.record(offsetTombstone(deleted, 't', 0));
    const gone = log.record(groupMetadataTombstone(deleted));
    log.record(offsetCommit({ group: bare, topic: 't', partition: 0, offset: 8n }));
    const deletedResult = await readCommittedOffsets(kafka, deleted, {}, FAST);
    expect(deletedResult.offsets).toEqual({});
    expect(deletedResult.groupMetadata).toMatchObject({ state: 'Deleted', currentStateTimestamp: gone.timestamp.toString() });
    const bareResult = await readCommittedOffsets(kafka, bare, {}, FAST);
    expect(bareResult.groupMetadata).toBeNull();
    expect(bareResult.offsets['t']!['0']!.offset).toBe('8');
  });

  it('validates the group id and the window, naming the field', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
    await expect(readCommittedOffsets(kafka, '')).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^groupId:/) });
    await expect(readCommittedOffsets(kafka, 7 as unknown as string)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(readCommittedOffsets(kafka, 'g', { since: 1.5 })).rejects.toMatchObject({ message: expect.stringMatching(/^since:/) });
    await expect(readCommittedOffsets(kafka, 'g', { fromOffset: '-3' })).rejects.toMatchObject({ message: expect.stringMatching(/^fromOffset:/) });
    await expect(readCommittedOffsets(new InMemoryKafka({ offsetsPartitions: 0 }), 'g')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(kafka.calls).toEqual([]);
  });

  it('turns scan failures into retryable SCAN_INTERRUPTED errors an operator can act on', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
    const [group] = groupsOn(6, 1) as [string];
    kafka.offsetsLog(6).record(offsetCommit({ group, topic: 't', partition: 0, offset: 1n }));
    kafka.faults.dropConnections = 10;
    await expect(readCommittedOffsets(kafka, group, {}, FAST)).rejects.toMatchObject({
      code: 'SCAN_INTERRUPTED',
      retryable: true,
      message:
        'Scan of __consumer_offsets-6 stopped at offset 0 of 1: Fetch failed 3 times: connection to the leader of __consumer_offsets-6 was closed. ' +
        'Nothing was written; run it again once the cluster answers (the scan starts over).',
      details: { position: { partition: 6, nextOffset: '0', endOffset: '1' } },
    });
  });
});

describe('affectedGroups', () => {
  it('lists groups with live offsets in the window, sorted, with topics and what metadata says', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
    const [old, live, tombstoned, connect, modern] = groupsOn(7, 5) as [string, string, string, string, string];
    const log = kafka.offsetsLog(7);
    log.record(offsetCommit({ group: old, topic: 't', partition: 0, offset: 1n }));
    const since = log.record(groupMetadata(live, { members: [['payments'], ['orders']], generation: 3 })).timestamp;
    log.record((ts) => offsetCommit({ group: live, topic: 'orders', partition: 0, offset: 10n, commitTimestamp: ts }));
    const last = log.record((ts) => offsetCommit({ group: live, topic: 'audit', partition: 0, offset: 11n, commitTimestamp: ts }));
    log.record(offsetCommit({ group: tombstoned, topic: 't', partition: 0, offset: 1n }));
    log.record(offsetTombstone(tombstoned, 't', 0));
    log.record(groupMetadata(connect, { protocolType: 'connect', members: [['ignored']] }));
    log.record(offsetCommit({ group: connect, topic: 'c', partition: 0, offset: 1n }));
    log.record({ key: encodeGroupRecordKey(3, modern), value: null });
    log.record(offsetCommit({ group: modern, topic: 'm', partition: 0, offset: 1n }));

    const result = await affectedGroups(kafka, 7, { since: Number(since) }, FAST);
    expect(result.partition).toBe(7);
    expect(result.scan.complete).toBe(true);
    expect(result.groups.map((g) => g.groupId)).toEqual([connect, live, modern].sort());
    expect(result.groups.find((g) => g.groupId === live)).toEqual({
      groupId: live,
      topics: ['audit', 'orders'],
      protocolType: 'consumer',
      state: 'Stable',
      subscribedTopics: ['orders', 'payments'],
      lastCommitTimestamp: last.timestamp.toString(),
    });
    expect(result.groups.find((g) => g.groupId === connect)).toMatchObject({ protocolType: 'connect', subscribedTopics: [] });
    expect(result.groups.find((g) => g.groupId === modern)).toMatchObject({ protocolType: 'consumer', state: 'Deleted' });

    const everything = await affectedGroups(kafka, 7, {}, FAST);
    expect(everything.groups.map((g) => g.groupId)).toContain(old);
    expect(everything.groups.map((g) => g.groupId)).not.toContain(tombstoned);
  });

  it('fails with PARTITION_OUT_OF_RANGE naming the valid range, and INVALID_INPUT for a non-integer', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
    await expect(affectedGroups(kafka, 10)).rejects.toMatchObject({
      code: 'PARTITION_OUT_OF_RANGE',
      message: 'partition: 10 is out of range: __consumer_offsets has partitions 0-9. Pass a partition in that range.',
    });
    await expect(affectedGroups(kafka, -1)).rejects.toMatchObject({ code: 'PARTITION_OUT_OF_RANGE' });
    await expect(affectedGroups(kafka, 2.5)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^partition:/) });
  });
});
