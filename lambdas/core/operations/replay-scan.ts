/** The translation of an OffsetsLogReplay's findings into the JSON documents of model.ts. */
import type { GroupMetadataSummary, RecoveredOffset, RecoveredOffsets, ScanStats } from '../model.ts';
import type { OffsetsLogReplay, ReplayCounts, WinningOffset } from '../replay/index.ts';
import type { ScanOptions } from '../scanner/index.ts';

/**
 * Options a caller may pass to the operations that scan: everything of ScanOptions except
 * what the operation decides itself (the partition, the window, the range) and resuming, which
 * goes through a checkpoint (shard-scan.ts) because the replay state must come back with it.
 */
export type RecoveryScanOptions = Omit<ScanOptions, 'partition' | 'since' | 'fromOffset' | 'untilOffset' | 'resumeFrom'>;

/** Adds what only the replay knows (record-level skips, aborted records, open transactions). */
export function withReplayCounts(stats: ScanStats, replay: OffsetsLogReplay): ScanStats {
  const counts: ReplayCounts = replay.stats();
  const notes = [...(stats.notes ?? [])];
  const pending = replay.pendingTransactions();
  if (pending.length > 0) {
    const records = pending.reduce((sum, txn) => sum + txn.records, 0);
    const producers = pending.map((txn) => `${txn.producerId} (from offset ${txn.firstLogOffset})`).join(', ');
    notes.push(`${pending.length} transaction(s) with ${records} offset commit(s) had no COMMIT or ABORT marker by the end of the scan and were not applied: producer ${producers}`);
  }
  return {
    ...stats,
    skipped: { ...counts.skipped, ...stats.skipped },
    abortedRecords: counts.abortedRecords,
    notes,
  };
}

export function toRecoveredOffset(entry: WinningOffset): RecoveredOffset {
  return {
    offset: entry.offset.toString(),
    leaderEpoch: entry.leaderEpoch,
    metadata: entry.metadata,
    commitTimestamp: entry.commitTimestamp.toString(),
    logOffset: entry.logOffset.toString(),
    logTimestamp: entry.logTimestamp.toString(),
  };
}

/** topic -> partition -> offset, in the replay's order (topics by name, partitions by number). */
export function recoveredOffsetsOf(replay: OffsetsLogReplay, group: string): RecoveredOffsets {
  const result: RecoveredOffsets = {};
  for (const topic of replay.committedOffsets(group)) {
    const partitions: Record<string, RecoveredOffset> = {};
    // Integer-like keys iterate in ascending numeric order in JavaScript objects.
    for (const p of topic.partitions) partitions[String(p.partition)] = toRecoveredOffset(p);
    result[topic.topic] = partitions;
  }
  return result;
}

export function groupMetadataSummaryOf(replay: OffsetsLogReplay, group: string): GroupMetadataSummary | null {
  const state = replay.groupMetadata(group);
  if (state !== null) {
    const value = state.value;
    const subscribed = new Set<string>();
    for (const member of value.members) for (const topic of member.subscription?.topics ?? []) subscribed.add(topic);
    return {
      protocolType: value.protocolType,
      protocol: value.protocol,
      // The record does not store the state; members present means the last rebalance completed.
      state: value.members.length > 0 ? 'Stable' : 'Empty',
      generation: value.generation,
      members: value.members.length,
      subscribedTopics: [...subscribed].sort(),
      currentStateTimestamp: value.currentStateTimestamp.toString(),
    };
  }
  const deletion = replay.groupDeletion(group);
  if (deletion !== null) {
    return {
      protocolType: '',
      protocol: null,
      state: 'Deleted',
      generation: -1,
      members: 0,
      subscribedTopics: [],
      currentStateTimestamp: deletion.logTimestamp.toString(),
    };
  }
  return consumerGroupSummaryOf(replay, group);
}

/**
 * A KIP-848 consumer group's records as the same summary: the group epoch stands for the
 * generation, the server assignor for the protocol, the live members' subscriptions (topic names
 * and the topics their regular expressions resolved to) for the subscribed topics.
 */
function consumerGroupSummaryOf(replay: OffsetsLogReplay, group: string): GroupMetadataSummary | null {
  const subscription = replay.consumerGroupSubscription(group);
  if (subscription === null || (subscription.epoch === null && subscription.source === 'none')) return null;
  const live = subscription.source === 'members';
  return {
    protocolType: 'consumer',
    protocol: subscription.serverAssignor,
    state: subscription.source === 'deleted' ? 'Deleted' : live ? 'Stable' : 'Empty',
    generation: subscription.epoch ?? -1,
    members: subscription.liveMembers,
    subscribedTopics: live ? subscription.topics : [],
    currentStateTimestamp: (live && subscription.logTimestamp !== null ? subscription.logTimestamp : -1n).toString(),
  };
}

/** KIP-848 / share / streams groups have no classic metadata; their record types still say what they are. */
export function protocolTypeFromGroupRecords(replay: OffsetsLogReplay, group: string): string | null {
  const seen = replay.groupRecords(group);
  if (seen === null) return null;
  if (seen.typeNames.some((n) => n.startsWith('ConsumerGroup'))) return 'consumer';
  if (seen.typeNames.some((n) => n.startsWith('ShareGroup'))) return 'share';
  if (seen.typeNames.some((n) => n.startsWith('StreamsGroup'))) return 'streams';
  return null;
}
