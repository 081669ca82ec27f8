/**
 * Joining the replays of consecutive offset ranges of one partition (segment scans) into the
 * replay of the whole range, exactly as if one replay had read it all:
 *  - per key, the event with the highest log offset wins (a commit, or a tombstone that deletes);
 *  - a transaction still open at the end of a range is settled by its producer's first marker in
 *    a later range (COMMIT lands its commits unless the key has a later event, ABORT drops them),
 *    and stays pending when no later range has one;
 *  - per group, the later group-metadata record wins (a tombstone included), and per KIP-848
 *    subscription record key the later value and the later tombstone;
 *  - counts add up.
 * Ranges must be given in log order; each replay must have read its range to the end.
 */
import { invalidInput } from '../errors.ts';
import { applyIfNewer, emptyState, MAX_UNREADABLE_RANGES, OffsetsLogReplay } from './replay.ts';
import type { ReplayState } from './replay.ts';
import type { OffsetSlot } from './offset-slots.ts';
import type { OpenTransaction, PendingCommit } from './transactions.ts';
import type { ReplayCounts } from './types.ts';
import { mergeConsumerGroupTallies } from './consumer-group-subscriptions.ts';

export function mergeReplays(ranges: readonly OffsetsLogReplay[]): OffsetsLogReplay {
  if (ranges.length === 0) throw invalidInput('ranges', 'is empty', 'Pass the replays of every segment, in log order.');
  const first = ranges[0]!;
  for (const [i, range] of ranges.entries()) {
    if (range.group !== first.group || range.sinceMs !== first.sinceMs) {
      throw invalidInput(`ranges[${i}]`, 'replayed another group or window than ranges[0]', 'Merge only the segments of one scan.');
    }
  }
  const last = ranges[ranges.length - 1]!;
  const merged = emptyState(last.nextOffset);
  const carried = new Map<bigint, OpenTransaction>();

  const slotIn = (target: ReplayState, slot: OffsetSlot): OffsetSlot =>
    target.offsets.get(slot.key) ?? target.offsets.create(slot.key, slot.group, slot.topic, slot.partition);
  const land = (commit: PendingCommit): boolean => applyIfNewer(slotIn(merged, commit.slot), commit);

  for (const range of ranges) {
    const s = range.state;
    // Transactions begun in earlier ranges end at their producer's first marker in this one.
    for (const [producerId, marker] of s.firstMarkers) {
      if (!merged.firstMarkers.has(producerId)) merged.firstMarkers.set(producerId, marker);
      const txn = carried.get(producerId);
      if (txn === undefined) continue;
      carried.delete(producerId);
      if (!marker.commit) {
        merged.counts.abortedRecords += txn.records;
        continue;
      }
      for (const commit of txn.commits.values()) {
        if (land(commit)) merged.counts.transactionalRecordsCommitted++;
        else merged.counts.transactionalRecordsSuperseded++;
      }
    }
    for (const slot of s.offsets.slots()) applyIfNewer(slotIn(merged, slot), slot);
    for (const [producerId, txn] of s.pending.entries()) {
      const earlier = carried.get(producerId);
      if (earlier === undefined) {
        carried.set(producerId, { firstLogOffset: txn.firstLogOffset, records: txn.records, commits: new Map(txn.commits) });
        continue;
      }
      // No marker in this range: the same transaction goes on.
      earlier.records += txn.records;
      for (const [key, commit] of txn.commits) earlier.commits.set(key, commit);
    }
    for (const [group, event] of s.metadata) {
      const held = merged.metadata.get(group);
      if (held === undefined || held.logOffset < event.logOffset) merged.metadata.set(group, event);
    }
    for (const [group, seen] of s.groupRecordsSeen) {
      const held = merged.groupRecordsSeen.get(group);
      if (held === undefined) {
        merged.groupRecordsSeen.set(group, { typeNames: new Set(seen.typeNames), records: seen.records, lastLogOffset: seen.lastLogOffset });
        continue;
      }
      for (const name of seen.typeNames) held.typeNames.add(name);
      held.records += seen.records;
      if (seen.lastLogOffset > held.lastLogOffset) held.lastLogOffset = seen.lastLogOffset;
    }
    for (const [group, tallies] of s.consumerGroups) {
      let held = merged.consumerGroups.get(group);
      if (held === undefined) {
        held = new Map();
        merged.consumerGroups.set(group, held);
      }
      mergeConsumerGroupTallies(held, tallies);
    }
    for (const [key, reason] of s.badKeys) merged.badKeys.set(key, reason);
    for (const unreadable of s.unreadable) if (merged.unreadable.length < MAX_UNREADABLE_RANGES) merged.unreadable.push(unreadable);
    addCounts(merged.counts, s.counts);
  }
  for (const [producerId, txn] of carried) {
    // Commits point at the ranges' own slots; re-point them at the merged table's.
    const commits = new Map<string, PendingCommit>();
    for (const [key, commit] of txn.commits) commits.set(key, { ...commit, slot: slotIn(merged, commit.slot) });
    merged.pending.restore(producerId, { ...txn, commits });
  }
  return new OffsetsLogReplay(
    {
      ...(first.group === undefined ? {} : { group: first.group }),
      ...(Number.isFinite(first.sinceMs) ? { since: first.sinceMs } : {}),
      ...(last.endOffset === undefined ? {} : { endOffset: last.endOffset }),
    },
    merged,
  );
}

function addCounts(into: ReplayCounts, from: ReplayCounts): void {
  for (const name of Object.keys(from) as Array<keyof ReplayCounts>) {
    if (name === 'skipped') continue;
    into[name] += from[name];
  }
  for (const [reason, count] of Object.entries(from.skipped)) into.skipped[reason] = (into.skipped[reason] ?? 0) + count;
}
