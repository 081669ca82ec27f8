/**
 * A replay's state as a JSON document, and back: what a scan stopped at a deadline or by Ctrl-C
 * keeps so that the next run continues where it stopped instead of starting over. Its size
 * follows the distinct keys (one entry per group/topic/partition, per group's metadata, per open
 * transaction's commits), never the records replayed. Byte strings travel as base64.
 *
 * Not kept: the fetch's aborted-transaction list, which the resumed scan's first Fetch brings
 * again (a broker lists every aborted transaction whose marker lies at or after the fetch offset);
 * the markers decide in any case.
 */
import { invalidInput } from '../errors.ts';
import { decodeOffsetsRecord, readOffsetCommitKey } from '../offsets-records/index.ts';
import type { SkipReason } from '../offsets-records/index.ts';
import { eventLogOffset, eventTimestamp } from './offset-slots.ts';
import type { OffsetEvent } from './offset-slots.ts';
import { emptyCounts, emptyState, MAX_UNREADABLE_RANGES, OffsetsLogReplay } from './replay.ts';
import type { ReplayScope } from './replay.ts';
import type { OpenTransaction, PendingCommit } from './transactions.ts';
import type { ReplayCounts, UnreadableRange } from './types.ts';
import type { ConsumerGroupKeyValue } from './consumer-group-subscriptions.ts';

export const REPLAY_CHECKPOINT_FORMAT = 'offsets-log-replay/1';

/** [key bytes after the record type, record type, value bytes or null (tombstone), log offset, record timestamp] */
export type CheckpointEvent = [key: string, recordType: number, value: string | null, logOffset: string, timestamp: string];

export interface ReplayCheckpoint {
  format: typeof REPLAY_CHECKPOINT_FORMAT;
  group: string | null;
  /** Epoch ms, null for no lower bound. */
  since: number | null;
  endOffset: string | null;
  /** Where the replay continues (the offset after the last one replayed). */
  position: string | null;
  offsets: CheckpointEvent[];
  pending: Array<{ producerId: string; firstLogOffset: string; records: number; commits: CheckpointEvent[] }>;
  firstMarkers: Array<[producerId: string, commit: boolean, offset: string]>;
  /** Per group, its last classic group-metadata record: [key, value or null, log offset, log timestamp]. */
  metadata: Array<[key: string, value: string | null, logOffset: string, logTimestamp: string]>;
  groupRecords: Array<[group: string, typeNames: string[], records: number, lastLogOffset: string]>;
  /**
   * Per KIP-848 group and subscription record key, its last value and where it and the last
   * tombstone sit (absent in checkpoints written before the tool followed KIP-848 subscriptions).
   */
  consumerGroups?: Array<[group: string, key: string, value: ConsumerGroupKeyValue | null, valueOffset: string, valueTimestamp: string, tombstoneOffset: string]>;
  badKeys: Array<[key: string, reason: SkipReason]>;
  unreadable: Array<{ kind: UnreadableRange['kind']; baseOffset: string; lastOffset: string | null; reason: string }>;
  counts: ReplayCounts;
}

const b64 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('base64');
const fromB64 = (text: string): string => Buffer.from(text, 'base64').toString('latin1');

function toEvent(key: string, event: OffsetEvent): CheckpointEvent {
  return [b64(key), event.recordType, event.value === null ? null : b64(event.value), eventLogOffset(event).toString(), eventTimestamp(event).toString()];
}

export function replayCheckpoint(replay: OffsetsLogReplay): ReplayCheckpoint {
  const s = replay.state;
  const scope = replay.scope;
  return {
    format: REPLAY_CHECKPOINT_FORMAT,
    group: scope.group ?? null,
    since: Number.isFinite(scope.sinceMs) ? scope.sinceMs : null,
    endOffset: scope.endOffset === undefined ? null : scope.endOffset.toString(),
    position: s.position === undefined ? null : s.position.toString(),
    offsets: [...s.offsets.slots()].map((slot) => toEvent(slot.key, slot)),
    pending: [...s.pending.entries()].map(([producerId, txn]) => ({
      producerId: producerId.toString(),
      firstLogOffset: txn.firstLogOffset.toString(),
      records: txn.records,
      commits: [...txn.commits.values()].map((commit) => toEvent(commit.slot.key, commit)),
    })),
    firstMarkers: [...s.firstMarkers].map(([producerId, marker]) => [producerId.toString(), marker.commit, marker.offset.toString()]),
    metadata: [...s.metadata.values()].map((event) => [
      b64(event.rawKey),
      event.rawValue === null ? null : b64(event.rawValue),
      event.logOffset.toString(),
      event.logTimestamp.toString(),
    ]),
    groupRecords: [...s.groupRecordsSeen].map(([group, seen]) => [group, [...seen.typeNames].sort(), seen.records, seen.lastLogOffset.toString()]),
    consumerGroups: [...s.consumerGroups].flatMap(([group, tallies]) =>
      [...tallies].map(([key, t]) => [group, key, t.value, t.valueOffset.toString(), t.valueTimestamp.toString(), t.tombstoneOffset.toString()] as [string, string, ConsumerGroupKeyValue | null, string, string, string]),
    ),
    badKeys: [...s.badKeys].map(([key, reason]) => [b64(key), reason]),
    unreadable: s.unreadable.map((range) => ({
      kind: range.kind,
      baseOffset: range.baseOffset.toString(),
      lastOffset: range.lastOffset === null ? null : range.lastOffset.toString(),
      reason: range.reason,
    })),
    counts: { ...s.counts, skipped: { ...s.counts.skipped } },
  };
}

/** Thrown for a document that is not a checkpoint of this format: names the part that is wrong. */
function broken(part: string, problem: string): never {
  throw invalidInput(`checkpoint.${part}`, problem, 'Use a checkpoint this tool wrote, unchanged, or start the scan without one.');
}

function int64(part: string, text: unknown): bigint {
  if (typeof text !== 'string' || !/^-?\d{1,20}$/.test(text)) broken(part, `expected a decimal string, got ${JSON.stringify(text)}`);
  return BigInt(text);
}

function array(part: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) broken(part, 'expected a list');
  return value;
}

/**
 * A replay continuing from the checkpoint. `expected` is what the caller is about to replay; a
 * checkpoint of another group, window or range is refused, naming what differs.
 */
export function restoreReplay(checkpoint: ReplayCheckpoint, expected: ReplayScope): OffsetsLogReplay {
  if (checkpoint === null || typeof checkpoint !== 'object' || checkpoint.format !== REPLAY_CHECKPOINT_FORMAT) {
    broken('format', `expected "${REPLAY_CHECKPOINT_FORMAT}"`);
  }
  requireSameScope(checkpoint, expected);
  const position = checkpoint.position === null ? undefined : int64('position', checkpoint.position);
  const state = emptyState(position);
  const replay = new OffsetsLogReplay(
    {
      ...(expected.group === undefined ? {} : { group: expected.group }),
      ...(Number.isFinite(expected.sinceMs) ? { since: expected.sinceMs } : {}),
      ...(expected.endOffset === undefined ? {} : { endOffset: expected.endOffset }),
    },
    state,
  );

  const slotFor = (part: string, key: string) => {
    const held = state.offsets.get(key);
    if (held !== undefined) return held;
    let fields: { group: string; topic: string; partition: number };
    try {
      fields = readOffsetCommitKey(Buffer.concat([Buffer.from([0, 1]), Buffer.from(key, 'latin1')]));
    } catch {
      broken(part, 'holds an offset key that does not decode');
    }
    return state.offsets.create(key, fields.group, fields.topic, fields.partition);
  };
  const readEvent = (part: string, raw: unknown): PendingCommit => {
    const entry = array(part, raw);
    const [key, recordType, value, logOffset, timestamp] = entry;
    if (typeof key !== 'string' || (recordType !== 0 && recordType !== 1) || (value !== null && typeof value !== 'string')) {
      broken(part, 'expected [key, 0 or 1, value or null, log offset, timestamp]');
    }
    const slot = slotFor(part, fromB64(key));
    const time = int64(`${part}.timestamp`, timestamp);
    const ms = Number(time);
    return {
      slot,
      value: value === null ? null : fromB64(value),
      recordType,
      logBase: int64(`${part}.logOffset`, logOffset),
      logDelta: 0,
      timestampMs: ms,
      timestampExact: Number.isSafeInteger(ms) ? null : time,
    };
  };

  array('offsets', checkpoint.offsets).forEach((raw, i) => {
    const event = readEvent(`offsets[${i}]`, raw);
    event.slot.take(event);
  });
  array('pending', checkpoint.pending).forEach((raw, i) => {
    const part = `pending[${i}]`;
    const txn = raw as ReplayCheckpoint['pending'][number];
    if (typeof txn !== 'object' || txn === null || typeof txn.records !== 'number') broken(part, 'expected { producerId, firstLogOffset, records, commits }');
    const open: OpenTransaction = { firstLogOffset: int64(`${part}.firstLogOffset`, txn.firstLogOffset), records: txn.records, commits: new Map() };
    array(`${part}.commits`, txn.commits).forEach((commitRaw, j) => {
      const commit = readEvent(`${part}.commits[${j}]`, commitRaw);
      open.commits.set(commit.slot.key, commit);
    });
    state.pending.restore(int64(`${part}.producerId`, txn.producerId), open);
  });
  array('firstMarkers', checkpoint.firstMarkers).forEach((raw, i) => {
    const [producerId, commit, offset] = array(`firstMarkers[${i}]`, raw);
    if (typeof commit !== 'boolean') broken(`firstMarkers[${i}]`, 'expected [producerId, commit?, offset]');
    state.firstMarkers.set(int64(`firstMarkers[${i}]`, producerId), { commit, offset: int64(`firstMarkers[${i}]`, offset) });
  });
  array('metadata', checkpoint.metadata).forEach((raw, i) => {
    const part = `metadata[${i}]`;
    const [key, value, logOffset, logTimestamp] = array(part, raw);
    if (typeof key !== 'string' || (value !== null && typeof value !== 'string')) broken(part, 'expected [key, value or null, log offset, log timestamp]');
    const rawKey = fromB64(key);
    const rawValue = value === null ? null : fromB64(value);
    const record = decodeOffsetsRecord(Buffer.from(rawKey, 'latin1'), rawValue === null ? null : Buffer.from(rawValue, 'latin1'));
    if (record.kind !== 'group-metadata') broken(part, 'is not a group-metadata record');
    state.metadata.set(record.group, {
      value: record.tombstone ? null : record.value,
      rawKey,
      rawValue,
      logOffset: int64(`${part}.logOffset`, logOffset),
      logTimestamp: int64(`${part}.logTimestamp`, logTimestamp),
    });
  });
  array('groupRecords', checkpoint.groupRecords).forEach((raw, i) => {
    const [group, typeNames, records, lastLogOffset] = array(`groupRecords[${i}]`, raw);
    if (typeof group !== 'string' || !Array.isArray(typeNames) || typeof records !== 'number') broken(`groupRecords[${i}]`, 'expected [group, type names, records, last log offset]');
    state.groupRecordsSeen.set(group, { typeNames: new Set(typeNames as string[]), records, lastLogOffset: int64(`groupRecords[${i}]`, lastLogOffset) });
  });
  array('consumerGroups', checkpoint.consumerGroups ?? []).forEach((raw, i) => {
    const part = `consumerGroups[${i}]`;
    const [group, key, value, valueOffset, valueTimestamp, tombstoneOffset] = array(part, raw);
    if (typeof group !== 'string' || typeof key !== 'string' || !/^(g|m:.*|r:.*)$/s.test(key) || !isKeyValue(value)) {
      broken(part, 'expected [group, key, value or null, value offset, value timestamp, tombstone offset]');
    }
    let tallies = state.consumerGroups.get(group);
    if (tallies === undefined) {
      tallies = new Map();
      state.consumerGroups.set(group, tallies);
    }
    tallies.set(key, {
      value,
      valueOffset: int64(`${part}.valueOffset`, valueOffset),
      valueTimestamp: int64(`${part}.valueTimestamp`, valueTimestamp),
      tombstoneOffset: int64(`${part}.tombstoneOffset`, tombstoneOffset),
    });
  });
  array('badKeys', checkpoint.badKeys).forEach((raw, i) => {
    const [key, reason] = array(`badKeys[${i}]`, raw);
    if (typeof key !== 'string' || typeof reason !== 'string') broken(`badKeys[${i}]`, 'expected [key, reason]');
    state.badKeys.set(fromB64(key), reason as SkipReason);
  });
  array('unreadable', checkpoint.unreadable)
    .slice(0, MAX_UNREADABLE_RANGES)
    .forEach((raw, i) => {
      const range = raw as ReplayCheckpoint['unreadable'][number];
      state.unreadable.push({
        kind: range.kind,
        baseOffset: int64(`unreadable[${i}].baseOffset`, range.baseOffset),
        lastOffset: range.lastOffset === null ? null : int64(`unreadable[${i}].lastOffset`, range.lastOffset),
        reason: String(range.reason),
      });
    });
  const counts = checkpoint.counts;
  if (typeof counts !== 'object' || counts === null) broken('counts', 'expected the replay counts');
  const template = emptyCounts();
  for (const name of Object.keys(template) as Array<keyof ReplayCounts>) {
    if (name === 'skipped') continue;
    const value = counts[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) broken(`counts.${name}`, `expected a count, got ${JSON.stringify(value)}`);
    state.counts[name] = value;
  }
  state.counts.skipped = { ...counts.skipped };
  return replay;
}

function requireSameScope(checkpoint: ReplayCheckpoint, expected: ReplayScope): void {
  const group = expected.group ?? null;
  if (checkpoint.group !== group) {
    broken('group', `was written for ${checkpoint.group === null ? 'all groups' : `group "${checkpoint.group}"`}, not ${group === null ? 'all groups' : `group "${group}"`}`);
  }
  const since = Number.isFinite(expected.sinceMs) ? expected.sinceMs : null;
  if (checkpoint.since !== since) {
    broken('since', `was written for since ${checkpoint.since ?? 'none'}, not ${since ?? 'none'}`);
  }
  const endOffset = expected.endOffset === undefined ? null : expected.endOffset.toString();
  if (checkpoint.endOffset !== endOffset) {
    broken('endOffset', `was written for a range ending at ${checkpoint.endOffset ?? 'the log end'}, not ${endOffset ?? 'the log end'}`);
  }
}

function isKeyValue(value: unknown): value is ConsumerGroupKeyValue | null {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  const strings = (x: unknown): boolean => Array.isArray(x) && x.every((t) => typeof t === 'string');
  const nullableString = (x: unknown): boolean => x === null || typeof x === 'string';
  switch (v['kind']) {
    case 'member':
      return strings(v['topics']) && nullableString(v['regex']) && nullableString(v['serverAssignor']);
    case 'regex':
      return strings(v['topics']);
    case 'group':
      return typeof v['epoch'] === 'number';
    default:
      return false;
  }
}
