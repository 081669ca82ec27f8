/**
 * One scan of a `__consumer_offsets` partition into an OffsetsLogReplay, and the translation
 * of the replay's findings into the JSON documents of model.ts.
 */
import { RecoveryError } from '../errors.ts';
import type { GroupMetadataSummary, RecoveredOffset, RecoveredOffsets, ScanPosition, ScanStats } from '../model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../ports.ts';
import type { KafkaPort } from '../ports.ts';
import { OffsetsLogReplay } from '../replay/index.ts';
import type { ReplayCounts, WinningOffset } from '../replay/index.ts';
import { scanOffsetsPartition } from '../scanner/index.ts';
import type { ScanOptions } from '../scanner/index.ts';
import type { ResolvedWindow } from './validate.ts';

/**
 * Options a caller may pass to the operations that scan: everything of ScanOptions except
 * what the operation decides itself (the partition, the window) and resuming, because the
 * replay state of an interrupted scan lives in the process that ran it.
 */
export type RecoveryScanOptions = Omit<ScanOptions, 'partition' | 'since' | 'fromOffset' | 'untilOffset' | 'resumeFrom'>;

export interface ReplayScanResult {
  replay: OffsetsLogReplay;
  scan: ScanStats;
}

export async function replayPartition(
  port: KafkaPort,
  partition: number,
  window: ResolvedWindow,
  options: RecoveryScanOptions,
  group?: string,
): Promise<ReplayScanResult> {
  let replay: OffsetsLogReplay | undefined;
  const sink = {
    // Created once the start is known, so records a Fetch returns from before it are ignored.
    begin(range: { next: bigint }): void {
      replay ??= new OffsetsLogReplay({
        ...(group === undefined ? {} : { group }),
        ...(window.since === undefined ? {} : { since: window.since }),
        startOffset: range.next,
      });
    },
    apply(...args: Parameters<OffsetsLogReplay['apply']>): void {
      replay!.apply(...args);
    },
  };
  const scanOptions: ScanOptions = { ...options, partition };
  if (window.since !== undefined) scanOptions.since = window.since;
  if (window.fromOffset !== undefined) scanOptions.fromOffset = window.fromOffset;
  if (window.untilOffset !== undefined) scanOptions.untilOffset = window.untilOffset;
  let stats: ScanStats;
  try {
    stats = await scanOffsetsPartition(port, scanOptions, sink);
  } catch (error) {
    throw withoutSinkResumeHint(error);
  }
  const finished = replay ?? new OffsetsLogReplay(group === undefined ? {} : { group });
  return { replay: finished, scan: withReplayCounts(stats, finished) };
}

/**
 * The scanner's resume position needs the same in-memory replay, which dies with this call; an
 * operator's way forward is to run the (read-only) operation again.
 */
function withoutSinkResumeHint(error: unknown): unknown {
  if (!(error instanceof RecoveryError) || error.code !== 'SCAN_INTERRUPTED' || !('position' in error.details)) return error;
  const position = error.details['position'] as ScanPosition;
  const reason = typeof error.details['reason'] === 'string' ? error.details['reason'] : error.message;
  return new RecoveryError(
    'SCAN_INTERRUPTED',
    `Scan of ${CONSUMER_OFFSETS_TOPIC}-${position.partition} stopped at offset ${position.nextOffset} of ${position.endOffset}: ${reason}. ` +
      'Nothing was written; run it again once the cluster answers (the scan starts over).',
    { details: error.details, retryable: error.retryable, cause: error },
  );
}

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
  return null;
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
