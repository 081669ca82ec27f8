/**
 * Holds recovered offsets against the cluster as it is now: every partition of every topic the
 * group subscribes to or committed to, each offset against the partition's log start and end.
 * Gaps are flagged, never filled in.
 */
import { invalidInput, kafkaErrorName } from '../errors.ts';
import type {
  CompletenessIssue,
  CompletenessReport,
  GroupOffsetsResult,
  PartitionCheck,
  RecoveredOffset,
} from '../model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../ports.ts';
import type { KafkaPort, TopicInfo } from '../ports.ts';

/** Batch-level skips that may have hidden commits of any group (record-level unknown types do not). */
const UNREADABLE_SKIPS = ['CORRUPT_BATCH', 'UNSUPPORTED_COMPRESSION', 'UNSUPPORTED_MAGIC', 'CORRUPT_KEY', 'CORRUPT_VALUE'];

export async function checkCompleteness(port: KafkaPort, result: GroupOffsetsResult): Promise<CompletenessReport> {
  validateResult(result);
  const subscribed = result.groupMetadata?.subscribedTopics ?? [];
  const topics = [...new Set([...subscribed, ...Object.keys(result.offsets)])].sort();
  const notes: string[] = [];
  if (result.groupMetadata === null) {
    notes.push(
      'no group metadata in the scanned window: only topics the group committed to were checked; a subscribed topic without any commit would not show up (widen the window to include the last rebalance)',
    );
  }
  const unreadable = UNREADABLE_SKIPS.filter((reason) => (result.scan.skipped[reason] ?? 0) > 0);
  if (unreadable.length > 0) {
    notes.push(`the scan skipped unreadable data (${unreadable.map((r) => `${r}: ${result.scan.skipped[r]}`).join(', ')}); see the scan notes`);
  }

  const infos = topics.length === 0 ? new Map<string, TopicInfo>() : await describeTopics(port, topics);
  const partitions: PartitionCheck[] = [];
  const issues: CompletenessIssue[] = [];
  let totalLag = 0n;

  for (const topic of topics) {
    const recovered = result.offsets[topic] ?? {};
    const info = infos.get(topic);
    if (info === undefined) {
      const count = Object.keys(recovered).length;
      issues.push({
        kind: 'UNKNOWN_TOPIC',
        topic,
        partition: null,
        offset: null,
        logStartOffset: null,
        logEndOffset: null,
        message:
          count > 0
            ? `topic ${topic} no longer exists: its ${count} recovered offset(s) cannot be used`
            : `topic ${topic}, which the group subscribes to, does not exist`,
      });
      continue;
    }
    const numbers = info.partitions.map((p) => p.partition).sort((a, b) => a - b);
    const [starts, ends] = await Promise.all([
      port.listOffsets(topic, numbers, { kind: 'earliest' }),
      port.listOffsets(topic, numbers, { kind: 'latest' }),
    ]);
    const startOf = new Map(starts.map((l) => [l.partition, l.offset]));
    const endOf = new Map(ends.map((l) => [l.partition, l.offset]));

    for (const partition of numbers) {
      const logStart = startOf.get(partition) ?? 0n;
      const logEnd = endOf.get(partition) ?? 0n;
      const entry = recovered[String(partition)];
      const check = checkPartition(topic, partition, entry, logStart, logEnd);
      partitions.push(check.partition);
      if (check.issue) issues.push(check.issue);
      if (check.lag !== null) totalLag += check.lag;
    }
    for (const key of Object.keys(recovered)) {
      if (numbers.includes(Number(key))) continue;
      issues.push({
        kind: 'UNKNOWN_PARTITION',
        topic,
        partition: Number(key),
        offset: recovered[key]!.offset,
        logStartOffset: null,
        logEndOffset: null,
        message: `${topic}-${key} has a recovered offset but the topic has only partitions 0-${numbers.length - 1} now (recreated?)`,
      });
    }
  }

  if (!result.scan.complete) {
    issues.push({
      kind: 'SCAN_INCOMPLETE',
      topic: CONSUMER_OFFSETS_TOPIC,
      partition: result.scan.partition,
      offset: result.scan.nextOffset,
      logStartOffset: result.scan.startOffset,
      logEndOffset: result.scan.endOffset,
      message: `the scan of ${CONSUMER_OFFSETS_TOPIC}-${result.scan.partition} stopped at ${result.scan.nextOffset} before its end ${result.scan.endOffset}: later commits may be missing`,
    });
  }

  return { groupId: result.groupId, complete: issues.length === 0, partitions, issues, totalLag: totalLag.toString(), notes };
}

interface PartitionOutcome {
  partition: PartitionCheck;
  issue: CompletenessIssue | null;
  lag: bigint | null;
}

function checkPartition(topic: string, partition: number, entry: RecoveredOffset | undefined, logStart: bigint, logEnd: bigint): PartitionOutcome {
  // Both the partition check and its issue carry where the partition stands.
  const base = { topic, partition, logStartOffset: logStart.toString(), logEndOffset: logEnd.toString() };
  if (entry === undefined) {
    return {
      partition: { ...base, offset: null, lag: null, status: 'MISSING' },
      issue: {
        ...base,
        kind: 'MISSING_PARTITION',
        offset: null,
        message: `no committed offset recovered for ${topic}-${partition}: a consumer would start there from auto.offset.reset`,
      },
      lag: null,
    };
  }
  const offset = BigInt(entry.offset);
  if (offset < logStart) {
    return {
      partition: { ...base, offset: entry.offset, lag: null, status: 'BELOW_LOG_START' },
      issue: {
        ...base,
        kind: 'BELOW_LOG_START',
        offset: entry.offset,
        message: `${topic}-${partition}: offset ${offset} is below the log start ${logStart}; retention deleted ${logStart - offset} message(s) the group had not consumed`,
      },
      lag: null,
    };
  }
  if (offset > logEnd) {
    return {
      partition: { ...base, offset: entry.offset, lag: null, status: 'ABOVE_LOG_END' },
      issue: {
        ...base,
        kind: 'ABOVE_LOG_END',
        offset: entry.offset,
        message: `${topic}-${partition}: offset ${offset} is beyond the log end ${logEnd} (topic recreated or truncated?)`,
      },
      lag: null,
    };
  }
  const lag = logEnd - offset;
  return { partition: { ...base, offset: entry.offset, lag: lag.toString(), status: 'OK' }, issue: null, lag };
}

/** Topic metadata by name; topics the cluster does not know are simply absent from the map. */
async function describeTopics(port: KafkaPort, topics: string[]): Promise<Map<string, TopicInfo>> {
  let found: TopicInfo[];
  try {
    found = (await port.metadata(topics)).topics;
  } catch (error) {
    // Some clients fail the whole Metadata call for one unknown topic; ask for all and pick.
    if (kafkaErrorName(error) !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
    found = (await port.metadata()).topics;
  }
  const wanted = new Set(topics);
  return new Map(found.filter((t) => wanted.has(t.name) && t.partitions.length > 0).map((t) => [t.name, t]));
}

function validateResult(result: GroupOffsetsResult): void {
  if (result === null || typeof result !== 'object' || typeof result.groupId !== 'string') {
    throw invalidInput('result', 'expected the result of readCommittedOffsets', 'Pass the GroupOffsetsResult unchanged.');
  }
  if (result.offsets === null || typeof result.offsets !== 'object') {
    throw invalidInput('result.offsets', 'expected an object of topic -> partition -> offset', 'Pass the GroupOffsetsResult unchanged.');
  }
  for (const [topic, partitions] of Object.entries(result.offsets)) {
    for (const [partition, entry] of Object.entries(partitions)) {
      if (!/^\d+$/.test(partition) || typeof entry?.offset !== 'string' || !/^-?\d+$/.test(entry.offset)) {
        throw invalidInput(`result.offsets.${topic}.${partition}`, `is not a partition number with a decimal offset string`, 'Pass the GroupOffsetsResult unchanged.');
      }
    }
  }
}
