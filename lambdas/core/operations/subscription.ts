/**
 * Which topics a group subscribes to, so that a topic it committed to only before a `--since`
 * window still shows up (as missing) instead of vanishing from the answer. The window is read
 * first; only when it holds no group metadata with members is the log before it read, for that
 * group alone, up to where the window began.
 */
import { isRecoveryError } from '../errors.ts';
import type { RecoveredOffsets, ScanStats, SubscriptionInfo } from '../model.ts';
import type { KafkaPort } from '../ports.ts';
import type { GroupMetadataState, OffsetsLogReplay } from '../replay/index.ts';
import { replayPartition } from './replay-scan.ts';
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
  const inWindow = replay.lastMetadataWithMembers(groupId);
  if (inWindow !== null) return fromMetadata('window', inWindow, [], null);
  if (replay.groupDeletion(groupId) !== null) {
    return { source: 'none', topics: [], logOffset: null, committedBeforeWindow: [], note: 'the group was deleted (its metadata tombstoned) in the window' };
  }
  const windowed = window.since !== undefined || window.fromOffset !== undefined;
  if (!windowed) return { source: 'none', topics: [], logOffset: null, committedBeforeWindow: [], note: null };

  const windowStart = BigInt(scan.startOffset);
  let before: Awaited<ReturnType<typeof replayPartition>>;
  try {
    before = await replayPartition(lookup.port, lookup.partition, { untilOffset: windowStart }, lookup.options, groupId);
  } catch (error) {
    if (isRecoveryError(error) && error.code === 'INVALID_INPUT') throw error;
    const reason = error instanceof Error ? error.message : String(error);
    return unknown(`the window holds no group metadata with members and reading the log before it (up to offset ${windowStart}) failed: ${reason}`);
  }
  const committedBefore = committedOnlyBefore(before.replay, groupId, lookup.recovered);
  const found = before.replay.lastMetadataWithMembers(groupId);
  if (found !== null) {
    const note = `the window holds no group metadata with members; the subscription comes from the group metadata at __consumer_offsets-${lookup.partition} offset ${found.logOffset} (${new Date(Number(found.logTimestamp)).toISOString()}), before the window`;
    return fromMetadata('before-window', found, committedBefore, note);
  }
  if (!before.scan.complete) {
    const note = `the window holds no group metadata with members and the log before it could not be read to its end (stopped at ${before.scan.nextOffset} of ${before.scan.endOffset})`;
    return { ...unknown(note), committedBeforeWindow: committedBefore };
  }
  // The whole retained log says the group never had members: its commits are all there is.
  return { source: 'none', topics: [], logOffset: null, committedBeforeWindow: committedBefore, note: null };
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
