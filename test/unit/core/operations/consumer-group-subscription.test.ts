import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../../../lambdas/core/hash.ts';
import { checkCompleteness, readCommittedOffsets } from '../../../../lambdas/core/operations/index.ts';
import { decodeOffsetsRecord, encodeGroupRecordValue } from '../../../../lambdas/core/offsets-records/index.ts';
import { decodeRecordBatches, encodeRecordBatch } from '../../../../lambdas/core/record-batch/index.ts';
import { mergeReplays, OffsetsLogReplay, replayCheckpoint, restoreReplay } from '../../../../lambdas/core/replay/index.ts';
import { InMemoryKafka } from '../../../support/in-memory-kafka.ts';
import { capturedRecord, KAFKA_4_1_1_BY_NAME, KAFKA_4_1_1_BY_REGEX, type CapturedRecord } from '../../../support/kip848-records.ts';
import { groupMetadata, offsetCommit } from '../../../support/offsets-records.ts';

const PARTITIONS = 10;
const FAST = { retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 2 } };

/** A cluster whose group partition holds `records` (one record per batch, as the coordinator wrote them), and the topic with 3 partitions. */
function clusterWith(group: string, topic: string, records: CapturedRecord[]): InMemoryKafka {
  const kafka = new InMemoryKafka({ offsetsPartitions: PARTITIONS });
  kafka.createTopic(topic, 3);
  for (let p = 0; p < 3; p++) kafka.setOffsets(topic, p, 0n, 10n);
  const log = kafka.offsetsLog(partitionForGroup(group, PARTITIONS));
  for (const record of records) log.record(capturedRecord(record));
  return kafka;
}

const { group, topic, records } = KAFKA_4_1_1_BY_NAME;
/** Up to the assignment: the member joined and was assigned, nothing committed yet. */
const JOINED = records.slice(0, 5);
/** Up to the commits, before the member left. */
const COMMITTED = records.slice(0, 8);

describe('a KIP-848 group\'s subscription (records of Apache Kafka 4.1.1)', () => {
  it('comes from the members\' ConsumerGroupMemberMetadata, and completeness holds the group to it', async () => {
    const kafka = clusterWith(group, topic, JOINED);
    const result = await readCommittedOffsets(kafka, group, {}, FAST);
    expect(result.offsets).toEqual({});
    expect(result.subscription).toEqual({ source: 'window', topics: [topic], logOffset: '0', committedBeforeWindow: [], note: null });
    expect(result.groupMetadata).toMatchObject({ protocolType: 'consumer', protocol: null, state: 'Stable', generation: 1, members: 1, subscribedTopics: [topic] });
    // Nothing committed yet: every partition of the subscribed topic would start from auto.offset.reset.
    const report = await checkCompleteness(kafka, result);
    expect(report.complete).toBe(false);
    expect(report.issues.map((i) => [i.kind, i.topic, i.partition])).toEqual([0, 1, 2].map((p) => ['MISSING_PARTITION', topic, p]));
  });

  it('of a group whose members all left is the one of the member that left last', async () => {
    const kafka = clusterWith(group, topic, records);
    const result = await readCommittedOffsets(kafka, group, {}, FAST);
    expect(Object.keys(result.offsets[topic]!)).toEqual(['0', '1', '2']);
    expect(result.groupMetadata).toMatchObject({ protocolType: 'consumer', state: 'Empty', generation: 2, members: 0, subscribedTopics: [] });
    expect(result.subscription).toMatchObject({ source: 'window', topics: [topic], logOffset: '10' });
    expect(result.subscription?.note).toMatch(/no members now \(Empty\); the subscription is the one of the member\(s\) that left last, at __consumer_offsets-\d+ offset 10/);
    const report = await checkCompleteness(kafka, result);
    expect(report.complete).toBe(true);
  });

  it('includes the topics a subscribed regular expression resolved to (ConsumerGroupRegularExpression)', async () => {
    const regex = KAFKA_4_1_1_BY_REGEX;
    const kafka = clusterWith(regex.group, regex.topic, regex.records.slice(0, 10));
    const result = await readCommittedOffsets(kafka, regex.group, {}, FAST);
    expect(result.subscription).toMatchObject({ source: 'window', topics: [regex.topic], note: null });
    const report = await checkCompleteness(kafka, result);
    expect(report.issues.map((i) => [i.kind, i.partition])).toEqual([['MISSING_PARTITION', 0], ['MISSING_PARTITION', 1], ['MISSING_PARTITION', 2]]);
  });

  it('is not complete when a regular expression has no resolution in the log', async () => {
    const regex = KAFKA_4_1_1_BY_REGEX;
    const withoutResolution = regex.records.filter(([type]) => type !== 16);
    const kafka = clusterWith(regex.group, regex.topic, withoutResolution.slice(0, 5));
    const result = await readCommittedOffsets(kafka, regex.group, {}, FAST);
    expect(result.subscription).toMatchObject({ source: 'window', topics: [], unresolvedRegexes: [regex.regex] });
    // Topics the expression matches are unknown: the result cannot be called complete.
    const report = await checkCompleteness(kafka, result);
    expect(report.complete).toBe(false);
    expect(report.issues.map((i) => i.kind)).toEqual(['SUBSCRIPTION_UNKNOWN']);
    expect(report.issues[0]!.message).toContain(`regular expression (${regex.regex}) and the scanned log holds no ConsumerGroupRegularExpression`);
  });

  it('is looked for before a window that holds only commits', async () => {
    const kafka = clusterWith(group, topic, COMMITTED);
    const result = await readCommittedOffsets(kafka, group, { fromOffset: '5' }, FAST);
    expect(result.subscription).toMatchObject({ source: 'before-window', topics: [topic], logOffset: '0' });
  });

  it('is none once the group is deleted (ConsumerGroupMetadata tombstoned)', async () => {
    const kafka = clusterWith(group, topic, [...records, [3, records[1]![1], null]]);
    const result = await readCommittedOffsets(kafka, group, {}, FAST);
    expect(result.subscription).toMatchObject({ source: 'none', topics: [] });
    expect(result.groupMetadata?.state).toBe('Deleted');
  });

  it('follows the newer protocol when one group id has classic metadata and KIP-848 records', async () => {
    const kafka = clusterWith(group, topic, JOINED);
    const log = kafka.offsetsLog(partitionForGroup(group, PARTITIONS));
    log.record(groupMetadata(group, { members: [['classic-topic']], generation: 3 }));
    log.record(offsetCommit({ group, topic, partition: 0, offset: 1n }));
    const downgraded = await readCommittedOffsets(kafka, group, {}, FAST);
    expect(downgraded.subscription?.topics).toEqual(['classic-topic']);
  });
});

describe('KIP-848 subscriptions in replays split by segments and checkpoints', () => {
  const all = [...KAFKA_4_1_1_BY_NAME.records, ...KAFKA_4_1_1_BY_REGEX.records];
  const frames = all.map((record, i) => encodeRecordBatch({ baseOffset: BigInt(i), records: [{ ...capturedRecord(record), timestamp: 1_700_000_000_000n + BigInt(i) }] }));
  const batches = decodeRecordBatches(Buffer.concat(frames)).batches;
  const end = BigInt(all.length);
  const replayRange = (from: bigint, to: bigint): OffsetsLogReplay => {
    const replay = new OffsetsLogReplay({ startOffset: from, endOffset: to });
    for (const batch of batches) if (batch.kind === 'records' && batch.lastOffset >= from && batch.baseOffset < to) replay.apply(batch);
    return replay;
  };
  const subscriptions = (replay: OffsetsLogReplay) => [KAFKA_4_1_1_BY_NAME.group, KAFKA_4_1_1_BY_REGEX.group].map((g) => replay.consumerGroupSubscription(g));

  it('merge to what one replay of the whole log finds, wherever the log is cut', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: all.length }), fc.integer({ min: 0, max: all.length }), (a, b) => {
        const cuts = [...new Set([a, b])].filter((c) => c > 0 && c < all.length).sort((x, y) => x - y).map(BigInt);
        const bounds = [0n, ...cuts, end];
        const merged = mergeReplays(bounds.slice(1).map((to, i) => replayRange(bounds[i]!, to)));
        const whole = replayRange(0n, end);
        expect(subscriptions(merged)).toEqual(subscriptions(whole));
        // Cut at a prefix as well: the merged state of a partly written log answers as the prefix does.
        const prefix = bounds[1]!;
        expect(subscriptions(mergeReplays([replayRange(0n, prefix)]))).toEqual(subscriptions(replayRange(0n, prefix)));
      }),
    );
  });

  it('survive a checkpoint and its JSON round trip', () => {
    for (let cut = 1n; cut < end; cut++) {
      const first = replayRange(0n, end);
      const partial = new OffsetsLogReplay({ endOffset: end });
      for (const batch of batches) if (batch.kind === 'records' && batch.baseOffset < cut) partial.apply(batch);
      const restored = restoreReplay(JSON.parse(JSON.stringify(replayCheckpoint(partial))), partial.scope);
      for (const batch of batches) if (batch.kind === 'records' && batch.baseOffset >= cut) restored.apply(batch);
      expect(subscriptions(restored)).toEqual(subscriptions(first));
    }
  });

  it('refuse a checkpoint whose consumer-group entry is not one', () => {
    const checkpoint = replayCheckpoint(replayRange(0n, end));
    const broken = { ...checkpoint, consumerGroups: [['g', 'm:x', { kind: 'member', topics: 'not-a-list' }, '0', '0', '-1']] };
    expect(() => restoreReplay(broken as never, replayRange(0n, end).scope)).toThrow(/checkpoint\.consumerGroups\[0\]/);
  });
});

describe('KIP-848 record values as Apache Kafka 4.1.1 wrote them', () => {
  const captured = [...KAFKA_4_1_1_BY_NAME.records, ...KAFKA_4_1_1_BY_REGEX.records].filter(([, , value]) => value !== null);

  it('decode with every field, and encode back to the same bytes', () => {
    for (const record of captured) {
      const { key, value } = capturedRecord(record);
      const decoded = decodeOffsetsRecord(key, value, { decodeGroupRecordValues: true });
      if (decoded.kind === 'offset-commit') continue;
      expect(decoded.kind, record[1]).toBe('group-record');
      if (decoded.kind !== 'group-record') continue;
      expect(encodeGroupRecordValue(decoded.recordType, decoded.value!, decoded.valueVersion!).toString('hex')).toBe(record[2]);
    }
  });

  it('reads a member\'s null ClassicMemberMetadata, which Kafka writes as tagged field 0 holding the marker 0', () => {
    const [type, keyHex, valueHex] = KAFKA_4_1_1_BY_NAME.records[0]!;
    expect(type).toBe(5);
    expect(valueHex!.endsWith('01000100')).toBe(true);
    const decoded = decodeOffsetsRecord(Buffer.from(keyHex, 'hex'), Buffer.from(valueHex!, 'hex'), { decodeGroupRecordValues: true });
    expect(decoded).toMatchObject({
      kind: 'group-record',
      typeName: 'ConsumerGroupMemberMetadata',
      value: { clientId: 'rdkafka', subscribedTopicNames: ['t848'], subscribedTopicRegex: '', rebalanceTimeoutMs: 300000, serverAssignor: null, classicMemberMetadata: null },
    });
  });
});
