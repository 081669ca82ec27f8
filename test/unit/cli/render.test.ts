import { describe, expect, it } from 'vitest';
import { renderGroups } from '../../../bin/cli/commands/groups.ts';
import { renderOffsets } from '../../../bin/cli/commands/offsets.ts';
import type { AffectedGroupsResult, CompletenessReport, GroupOffsetsResult, ScanStats } from '../../../lambdas/core/model.ts';

const scan: ScanStats = {
  partition: 12,
  startOffset: '100',
  endOffset: '250',
  nextOffset: '250',
  complete: true,
  records: 150,
  bytes: 9000,
  batches: 20,
  skipped: { UNKNOWN_RECORD_TYPE: 2 },
  abortedRecords: 3,
  controlBatches: 1,
  notes: ['start clamped to the log start 100'],
};

const entry = (offset: string) => ({ offset, leaderEpoch: 4, metadata: '', commitTimestamp: '1773136800000', logOffset: '240', logTimestamp: '1773136800000' });

const result: GroupOffsetsResult = {
  groupId: 'orders-service',
  offsetsPartition: 12,
  offsets: { audit: { '0': entry('7') }, orders: { '0': entry('9007199254740993'), '2': entry('5') } },
  groupMetadata: { protocolType: 'consumer', protocol: 'range', state: 'Stable', generation: 8, members: 2, subscribedTopics: ['audit', 'orders'], currentStateTimestamp: '1773136800000' },
  scan,
};

const report: CompletenessReport = {
  groupId: 'orders-service',
  complete: false,
  partitions: [
    { topic: 'audit', partition: 0, offset: '7', logStartOffset: '0', logEndOffset: '7', lag: '0', status: 'OK' },
    { topic: 'orders', partition: 0, offset: '9007199254740993', logStartOffset: '0', logEndOffset: '9007199254741000', lag: '7', status: 'OK' },
    { topic: 'orders', partition: 1, offset: null, logStartOffset: '0', logEndOffset: '10', lag: null, status: 'MISSING' },
    { topic: 'orders', partition: 2, offset: '5', logStartOffset: '6', logEndOffset: '10', lag: null, status: 'BELOW_LOG_START' },
  ],
  issues: [
    { kind: 'MISSING_PARTITION', topic: 'orders', partition: 1, offset: null, logStartOffset: '0', logEndOffset: '10', message: 'no committed offset recovered for orders-1' },
    { kind: 'BELOW_LOG_START', topic: 'orders', partition: 2, offset: '5', logStartOffset: '6', logEndOffset: '10', message: 'orders-2: offset 5 is below the log start 6' },
  ],
  totalLag: '7',
};

describe('renderOffsets', () => {
  const text = renderOffsets(result, report);
  const rows = text.split('\n');

  it('lists every partition in topic/partition order, missing ones included', () => {
    const tableStart = rows.findIndex((line) => line.startsWith('TOPIC'));
    expect(rows.slice(tableStart + 1, tableStart + 5).map((line) => line.split(/\s+/).slice(0, 5))).toEqual([
      ['audit', '0', '7', '0', 'OK'],
      ['orders', '0', '9007199254740993', '7', 'OK'],
      ['orders', '1', '-', '-', 'MISSING'],
      ['orders', '2', '5', '-', 'BELOW_LOG_START'],
    ]);
  });

  it('says INCOMPLETE with each issue, the group metadata and the scan', () => {
    expect(text).toContain('INCOMPLETE: 2 issue(s); total lag 7');
    expect(text).toContain('  BELOW_LOG_START: orders-2: offset 5 is below the log start 6');
    expect(text).toContain('state Stable, generation 8, 2 member(s), subscribed audit,orders');
    expect(text).toContain('skipped UNKNOWN_RECORD_TYPE=2');
    expect(text).toContain('note: start clamped to the log start 100');
    expect(text).toContain('2026-03-10T10:00:00.000Z');
  });
});

describe('renderOffsets for a group with nothing recovered', () => {
  it('says there was nothing to check instead of calling it complete, and shows the report notes', () => {
    const empty: GroupOffsetsResult = { ...result, offsets: {}, groupMetadata: null };
    const note = 'no group metadata in the scanned window';
    const text = renderOffsets(empty, { groupId: 'orders-service', complete: true, partitions: [], issues: [], totalLag: '0', notes: [note] });
    expect(text).toContain('no committed offsets found in the window');
    expect(text).toContain('nothing to check: no committed offset and no subscribed topic in the window');
    expect(text).not.toContain('complete: every known partition');
    expect(text).toContain(`  note: ${note}`);
  });
});

describe('renderGroups', () => {
  it('prints one table per partition and says when a partition has no groups', () => {
    const results: AffectedGroupsResult[] = [
      { partition: 12, scan, groups: [{ groupId: 'orders-service', topics: ['orders'], protocolType: 'consumer', state: 'Stable', subscribedTopics: ['orders'], lastCommitTimestamp: null }] },
      { partition: 13, scan: { ...scan, partition: 13, complete: false, nextOffset: '200' }, groups: [] },
    ];
    const text = renderGroups(results);
    expect(text).toMatch(/orders-service\s+orders\s+consumer\s+Stable\s+orders\s+-/);
    expect(text).toContain('__consumer_offsets-13: 0 group(s)');
    expect(text).toContain('INCOMPLETE: stopped at 200');
  });
});
