/**
 * Which topics a group subscribes to, so that a topic it committed to only before a `--since`
 * window still shows up (as missing) instead of vanishing from the answer. The window is read
 * first; only when it holds no group metadata with members is the log before it read, up to
 * where the window began (or to the window's end, for a group that became Empty in it).
 *
 * That read is shared: every group of one shard scan that needs the log before the window gets
 * its answer from one read of it, replaying all of the shard's groups (or the scan's one group)
 * at once. A shard of hundreds of groups, none of which rebalanced in the window, would
 * otherwise read the log before the window once per group.
 */
import { isRecoveryError } from '../errors.ts';
import type { RecoveredOffsets, ScanStats, SubscriptionInfo } from '../model.ts';
import type { KafkaPort } from '../ports.ts';
import { decodeOffsetsRecord } from '../offsets-records/index.ts';
import type { RecordBatch } from '../record-batch/index.ts';
import { OffsetsLogReplay } from '../replay/index.ts';
import type { GroupMetadataState } from '../replay/index.ts';
import { consumerGroupSubscription, mergeConsumerGroupTallies } from '../replay/consumer-group-subscriptions.ts';
import type { ConsumerGroupSubscription, ConsumerGroupTallies } from '../replay/consumer-group-subscriptions.ts';
import { scanOffsetsPartition } from '../scanner/index.ts';
import type { ScanSink } from '../scanner/index.ts';
import type { RecoveryScanOptions } from './replay-scan.ts';
import type { ResolvedWindow } from './validate.ts';

export interface SubscriptionLookup {
  port: KafkaPort;
  partition: number;
  groupId: string;
  window: ResolvedWindow;
  /** The window's replay and scan. */
  replay: OffsetsLogReplay;
  scan: ScanStats;
  recovered: RecoveredOffsets;
  options: RecoveryScanOptions;
}

export async function findSubscription(lookup: SubscriptionLookup): Promise<SubscriptionInfo> {
  const { replay, groupId, window, scan } = lookup;
  const latest = replay.groupMetadata(groupId);
  if (latest !== null && latest.value.members.length > 0) return fromMetadata('window', latest, [], null);
  if (isConsumerGroup(replay, groupId)) return findConsumerGroupSubscription(lookup);
  if (replay.groupDeletion(groupId) !== null) {
    return { source: 'none', topics: [], logOffset: null, committedBeforeWindow: [], note: 'the group was deleted (its metadata tombstoned) in the window' };
  }
  const windowed = window.since !== undefined || window.fromOffset !== undefined;
  if (!windowed && latest === null) return { source: 'none', topics: [], logOffset: null, committedBeforeWindow: [], note: null };

  // No metadata in the window: the log before it. Only an Empty group's metadata: the window too,
  // for the last rebalance that still had members.
  const windowStart = BigInt(scan.startOffset);
  const readTo = latest === null ? windowStart : BigInt(scan.endOffset);
  let before: LookBack;
  try {
    before = await sharedLookBack(lookup, windowStart, readTo);
  } catch (error) {
    if (isRecoveryError(error) && error.code === 'INVALID_INPUT') throw error;
    const reason = error instanceof Error ? error.message : String(error);
    return unknown(`the window holds no group metadata with members and reading the log before it (up to offset ${readTo}) failed: ${reason}`);
  }
  const committedBefore = committedOnlyBefore(before.replay, groupId, lookup.recovered);
  const found = before.membership.last(groupId);
  // A group that moved to the consumer protocol before the window: its members' records, when newer.
  const consumerBefore = before.replay.consumerGroupSubscription(groupId);
  if (consumerBefore !== null && consumerBefore.logOffset !== null && (found === null || consumerBefore.logOffset > found.logOffset)) {
    return fromConsumerGroup(consumerBefore, windowStart, lookup.partition, committedBefore, null);
  }
  if (found !== null) {
    const inWindow = found.logOffset >= windowStart;
    const at = `the group metadata at __consumer_offsets-${lookup.partition} offset ${found.logOffset} (${new Date(Number(found.logTimestamp)).toISOString()})`;
    const note = inWindow
      ? `the group's latest metadata has no members (Empty); the subscription comes from ${at}, in the window, before the group became Empty`
      : `the window holds no group metadata with members; the subscription comes from ${at}, before the window`;
    return fromMetadata(found.logOffset >= windowStart ? 'window' : 'before-window', found, committedBefore, note);
  }
  if (!before.scan.complete) {
    const note = `the window holds no group metadata with members and the log before it could not be read to its end (stopped at ${before.scan.nextOffset} of ${before.scan.endOffset})`;
    return { ...unknown(note), committedBeforeWindow: committedBefore };
  }
  // The whole retained log says the group never had members: its commits are all there is.
  return { source: 'none', topics: [], logOffset: null, committedBeforeWindow: committedBefore, note: null };
}

interface LookBack {
  replay: OffsetsLogReplay;
  membership: MembershipTracker;
  scan: ScanStats;
}

/**
 * Look-backs under way or done, per window replay (one per shard scan) and per offset read to:
 * concurrent callers wait for the same read. Dropped with the shard scan.
 */
const lookBacks = new WeakMap<OffsetsLogReplay, Map<bigint, Promise<LookBack>>>();

function sharedLookBack(lookup: SubscriptionLookup, windowStart: bigint, readTo: bigint): Promise<LookBack> {
  let byEnd = lookBacks.get(lookup.replay);
  if (byEnd === undefined) {
    byEnd = new Map();
    lookBacks.set(lookup.replay, byEnd);
  }
  let read = byEnd.get(readTo);
  if (read === undefined) {
    read = lookBack(lookup, windowStart, readTo);
    byEnd.set(readTo, read);
  }
  return read;
}

/**
 * One scan from the log start to `readTo`: the commits before the window, and the last metadata
 * with members, of every group the window's replay covers (its one group, or all of them).
 */
async function lookBack(lookup: SubscriptionLookup, windowStart: bigint, readTo: bigint): Promise<LookBack> {
  const group = lookup.replay.group;
  const replay = new OffsetsLogReplay(group === undefined ? { endOffset: windowStart } : { group, endOffset: windowStart });
  const membership = new MembershipTracker(group);
  const sink: ScanSink = {
    apply(batch, aborted) {
      replay.apply(batch, aborted);
      membership.apply(batch);
    },
  };
  const scan = await scanOffsetsPartition(lookup.port, { ...lookup.options, partition: lookup.partition, untilOffset: readTo }, sink);
  return { replay, membership, scan };
}

/** GroupMetadataKey: record type 2. */
const GROUP_METADATA_TYPE = 2;

/**
 * Per group, its last classic group metadata that had members (a tombstone forgets it); of one
 * group, or of every group when none is given. Group metadata is never written in a
 * transaction, so log order alone decides.
 */
export class MembershipTracker {
  private readonly lastWithMembers = new Map<string, GroupMetadataState>();
  /** For one group: its whole key, so other records are passed over by length and bytes. */
  private readonly onlyKey: Buffer | null;

  constructor(group?: string) {
    if (group === undefined) {
      this.onlyKey = null;
      return;
    }
    const name = Buffer.from(group, 'utf8');
    // Record type 2 (GroupMetadataKey), then the int16-length group name.
    this.onlyKey = Buffer.alloc(4 + name.length);
    this.onlyKey.writeInt16BE(GROUP_METADATA_TYPE, 0);
    this.onlyKey.writeInt16BE(name.length, 2);
    name.copy(this.onlyKey, 4);
  }

  last(group: string): GroupMetadataState | null {
    return this.lastWithMembers.get(group) ?? null;
  }

  apply(batch: RecordBatch): void {
    if (batch.kind !== 'records' || batch.isControl) return;
    const data = batch.data;
    for (let i = 0; i < batch.recordCount; i++) {
      const keyLength = batch.keyLengthAt(i);
      const keyStart = batch.keyStartAt(i);
      if (this.onlyKey !== null) {
        if (keyLength !== this.onlyKey.length || !batch.keyAt(i)!.equals(this.onlyKey)) continue;
      } else if (keyLength < 4 || data[keyStart] !== 0 || data[keyStart + 1] !== GROUP_METADATA_TYPE) {
        continue;
      }
      const record = decodeOffsetsRecord(batch.keyAt(i), batch.valueAt(i));
      if (record.kind !== 'group-metadata') continue;
      if (record.tombstone) this.lastWithMembers.delete(record.group);
      else if (record.value.members.length > 0) {
        this.lastWithMembers.set(record.group, { value: record.value, logOffset: batch.offsetAt(i), logTimestamp: batch.timestampAt(i) });
      }
    }
  }
}

/**
 * A KIP-848 group: its records are newer than any classic metadata of the same group id (an
 * online upgrade tombstones the classic metadata and writes these; a downgrade the reverse).
 */
function isConsumerGroup(replay: OffsetsLogReplay, groupId: string): boolean {
  const records = replay.groupRecords(groupId);
  if (records === null || !records.typeNames.some((name) => name.startsWith('ConsumerGroup'))) return false;
  const classic = replay.groupMetadata(groupId)?.logOffset ?? replay.groupDeletion(groupId)?.logOffset ?? -1n;
  return records.lastLogOffset > classic;
}

/**
 * The consumer-protocol counterpart of the classic search: the members' ConsumerGroupMemberMetadata
 * in the window; with no member there now, the members that left last; with no member record in
 * the window at all, the same read of the log before it.
 */
async function findConsumerGroupSubscription(lookup: SubscriptionLookup): Promise<SubscriptionInfo> {
  const { replay, groupId, window, scan } = lookup;
  const inWindow = replay.consumerGroupSubscription(groupId)!;
  const windowed = window.since !== undefined || window.fromOffset !== undefined;
  if (inWindow.source !== 'none' || !windowed) return fromConsumerGroup(inWindow, BigInt(scan.startOffset), lookup.partition, [], null);
  const windowStart = BigInt(scan.startOffset);
  let before: LookBack;
  try {
    before = await sharedLookBack(lookup, windowStart, windowStart);
  } catch (error) {
    if (isRecoveryError(error) && error.code === 'INVALID_INPUT') throw error;
    const reason = error instanceof Error ? error.message : String(error);
    return unknown(`the window holds no consumer group member metadata and reading the log before it (up to offset ${windowStart}) failed: ${reason}`);
  }
  const committedBefore = committedOnlyBefore(before.replay, groupId, lookup.recovered);
  const tallies: ConsumerGroupTallies = new Map();
  for (const part of [before.replay, replay]) {
    const held = part.state.consumerGroups.get(groupId);
    if (held !== undefined) mergeConsumerGroupTallies(tallies, held);
  }
  const whole = consumerGroupSubscription(tallies);
  if (whole.source === 'none' && !before.scan.complete) {
    const note = `the window holds no consumer group member metadata and the log before it could not be read to its end (stopped at ${before.scan.nextOffset} of ${before.scan.endOffset})`;
    return { ...unknown(note), committedBeforeWindow: committedBefore };
  }
  return fromConsumerGroup(whole, windowStart, lookup.partition, committedBefore, null);
}

function fromConsumerGroup(found: ConsumerGroupSubscription, windowStart: bigint, partition: number, committedBefore: string[], note: string | null): SubscriptionInfo {
  if (found.source === 'deleted') {
    return { source: 'none', topics: [], logOffset: null, committedBeforeWindow: committedBefore, note: 'the consumer group was deleted (its ConsumerGroupMetadata tombstoned)' };
  }
  if (found.source === 'none' || found.logOffset === null) {
    return { source: 'none', topics: [], logOffset: null, committedBeforeWindow: committedBefore, note };
  }
  const at = `__consumer_offsets-${partition} offset ${found.logOffset}`;
  const notes: string[] = [];
  if (found.source === 'last-members') {
    notes.push(`the consumer group has no members now (Empty); the subscription is the one of the member(s) that left last, at ${at}`);
  } else if (found.logOffset < windowStart) {
    notes.push(`the window holds no consumer group member metadata; the subscription comes from the members' metadata before the window (up to ${at})`);
  }
  return {
    source: found.logOffset >= windowStart ? 'window' : 'before-window',
    topics: found.topics,
    logOffset: found.logOffset.toString(),
    committedBeforeWindow: committedBefore,
    note: notes.length > 0 ? notes.join('; ') : note,
    ...(found.unresolvedRegexes.length > 0 ? { unresolvedRegexes: found.unresolvedRegexes } : {}),
  };
}

function fromMetadata(source: 'window' | 'before-window', state: GroupMetadataState, committedBefore: string[], note: string | null): SubscriptionInfo {
  const topics = new Set<string>();
  for (const member of state.value.members) for (const topic of member.subscription?.topics ?? []) topics.add(topic);
  return { source, topics: [...topics].sort(), logOffset: state.logOffset.toString(), committedBeforeWindow: committedBefore, note };
}

function unknown(note: string): SubscriptionInfo {
  return { source: 'unknown', topics: [], logOffset: null, committedBeforeWindow: [], note: `${note}; widen the window to include the group's last rebalance` };
}

/** Topics with a partition the group committed to before the window and not inside it. */
function committedOnlyBefore(before: OffsetsLogReplay, groupId: string, recovered: RecoveredOffsets): string[] {
  const topics: string[] = [];
  for (const { topic, partitions } of before.committedOffsets(groupId)) {
    if (partitions.some((p) => recovered[topic]?.[String(p.partition)] === undefined)) topics.push(topic);
  }
  return topics;
}
