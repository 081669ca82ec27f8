/**
 * Holds recovered offsets against the cluster as it is now: every partition of every topic the
 * group subscribes to or committed to, each offset against the partition's log start and end.
 * Gaps are flagged, never filled in.
 */
import { invalidInput, isRecoveryError, kafkaErrorName } from '../errors.ts';
import type {
  CompletenessIssue,
  CompletenessReport,
  GroupOffsetsResult,
  PartitionCheck,
  RecoveredOffset,
  SubscriptionInfo,
} from '../model.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../ports.ts';
import type { KafkaPort, TopicInfo } from '../ports.ts';

/** Batch-level skips that may have hidden commits of any group (record-level unknown types do not). */
const UNREADABLE_SKIPS = ['CORRUPT_BATCH', 'UNSUPPORTED_COMPRESSION', 'UNSUPPORTED_MAGIC', 'CORRUPT_KEY', 'CORRUPT_VALUE'];

export async function checkCompleteness(port: KafkaPort, result: GroupOffsetsResult): Promise<CompletenessReport> {
  validateResult(result);
  const subscription = subscriptionOf(result);
  const committedBefore = subscription.committedBeforeWindow;
  const topics = [...new Set([...subscription.topics, ...Object.keys(result.offsets), ...committedBefore])].sort();
  const notes: string[] = [];
  const issues: CompletenessIssue[] = [];
  if (subscription.source === 'none') {
    notes.push(
      result.groupMetadata === null
        ? 'no group metadata in the scanned log: only topics the group committed to were checked (a group that only commits, e.g. with assign(), has no subscription to check against)'
        : 'the group metadata in the scanned log has no members: only topics the group committed to were checked',
    );
  } else if (subscription.source === 'before-window' && subscription.note !== null) {
    notes.push(subscription.note);
  }
  const unresolved = subscription.unresolvedRegexes ?? [];
  if (unresolved.length > 0) {
    issues.push(
      scanIssue(
        result,
        'SUBSCRIPTION_UNKNOWN',
        `the group subscribes by regular expression (${unresolved.join(', ')}) and the scanned log holds no ConsumerGroupRegularExpression resolving it: topics it matches that the group never committed to are not checked`,
      ),
    );
  }
  if (subscription.source === 'unknown') {
    issues.push(scanIssue(result, 'SUBSCRIPTION_UNKNOWN', subscription.note ?? 'the window holds no group metadata with members, so the subscribed topics are unknown: topics committed only before the window would not show up; widen the window to include the last rebalance'));
  }
  const unreadable = UNREADABLE_SKIPS.filter((reason) => (result.scan.skipped[reason] ?? 0) > 0);
  if (unreadable.length > 0) {
    notes.push(`the scan skipped unreadable data (${unreadable.map((r) => `${r}: ${result.scan.skipped[r]}`).join(', ')}); see the scan notes`);
  }

  const unread = result.scan.unreadRanges ?? [];
  // A winning record before the end of a deleted stretch may have been superseded inside it.
  const certainFrom = unread.reduce((max, range) => (BigInt(range.to) > max ? BigInt(range.to) : max), -1n);
  for (const range of unread) {
    issues.push(
      scanIssue(
        result,
        'LOG_START_MOVED',
        `the log start of ${CONSUMER_OFFSETS_TOPIC}-${result.scan.partition} moved to ${range.to} while the scan was at ${range.from}: offsets ${range.from}-${BigInt(range.to) - 1n} were deleted before they were read, so commits in them are lost to this scan`,
      ),
    );
  }

  let infos = new Map<string, TopicInfo>();
  let metadataError: string | null = null;
  try {
    if (topics.length > 0) infos = await describeTopics(port, topics);
  } catch (error) {
    if (isRecoveryError(error) && error.code === 'INVALID_INPUT') throw error;
    // No broker answers Metadata: every recovered offset is still returned, none is validated.
    metadataError = describeFailure(error);
  }
  const partitions: PartitionCheck[] = [];
  let totalLag = 0n;

  for (const topic of topics) {
    const recovered = result.offsets[topic] ?? {};
    if (metadataError !== null) {
      const numbers = Object.keys(recovered).map(Number).sort((x, y) => x - y);
      for (const partition of numbers) {
        const check = uncheckedPartition(topic, partition, recovered[String(partition)], metadataError);
        partitions.push(check.partition);
        issues.push(check.issue!);
      }
      if (numbers.length === 0) {
        issues.push({
          kind: 'UNCHECKED_PARTITION',
          topic,
          partition: null,
          offset: null,
          logStartOffset: null,
          logEndOffset: null,
          message: `topic ${topic}: its partitions could not be listed (${metadataError}), so none of them is checked; check again once the cluster answers`,
        });
      }
      continue;
    }
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
    const bounds = await logBounds(port, topic, numbers);

    for (const partition of numbers) {
      const entry = recovered[String(partition)];
      const bound = bounds.get(partition)!;
      const check =
        'error' in bound
          ? uncheckedPartition(topic, partition, entry, bound.error)
          : checkPartition(topic, partition, entry, bound.start, bound.end, certainFrom);
      if (check.issue?.kind === 'MISSING_PARTITION' && committedBefore.includes(topic)) {
        check.issue.message += ` (the group committed to ${topic} before the window: widen the window to recover it)`;
      }
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

  if (!result.scan.complete && BigInt(result.scan.nextOffset) < BigInt(result.scan.endOffset)) {
    issues.push({
      kind: 'SCAN_INCOMPLETE',
      topic: CONSUMER_OFFSETS_TOPIC,
      partition: result.scan.partition,
      offset: result.scan.nextOffset,
      logStartOffset: result.scan.startOffset,
      logEndOffset: result.scan.endOffset,
      message: `the scan of ${CONSUMER_OFFSETS_TOPIC}-${result.scan.partition} stopped at ${result.scan.nextOffset} before its end ${result.scan.endOffset}: later commits may be missing`,
    });
  } else if (!result.scan.complete && unread.length === 0) {
    issues.push(scanIssue(result, 'SCAN_INCOMPLETE', `the scan of ${CONSUMER_OFFSETS_TOPIC}-${result.scan.partition} did not read its whole range (see the scan notes): commits may be missing`));
  }

  return { groupId: result.groupId, complete: issues.length === 0, partitions, issues, totalLag: totalLag.toString(), notes };
}

function scanIssue(result: GroupOffsetsResult, kind: CompletenessIssue['kind'], message: string): CompletenessIssue {
  return {
    kind,
    topic: CONSUMER_OFFSETS_TOPIC,
    partition: result.scan.partition,
    offset: null,
    logStartOffset: result.scan.startOffset,
    logEndOffset: result.scan.endOffset,
    message,
  };
}

/** Results of older versions carry no `subscription`: derive it the way they were judged. */
function subscriptionOf(result: GroupOffsetsResult): SubscriptionInfo {
  if (result.subscription !== undefined) return result.subscription;
  const metadata = result.groupMetadata;
  const topics = metadata?.subscribedTopics ?? [];
  return { source: topics.length > 0 ? 'window' : 'none', topics, logOffset: null, committedBeforeWindow: [], note: null };
}

type LogBound = { start: bigint; end: bigint } | { error: string };

/**
 * Log start and end per partition. One failing partition (a leaderless replication-factor-1
 * topic answers LEADER_NOT_AVAILABLE) must not cost the answer for the others, so a failed
 * topic-wide call is retried partition by partition and the failures are kept as errors.
 */
async function logBounds(port: KafkaPort, topic: string, partitions: number[]): Promise<Map<number, LogBound>> {
  const bounds = new Map<number, LogBound>();
  try {
    const [starts, ends] = await Promise.all([
      port.listOffsets(topic, partitions, { kind: 'earliest' }),
      port.listOffsets(topic, partitions, { kind: 'latest' }),
    ]);
    const startOf = new Map(starts.map((l) => [l.partition, l.offset]));
    const endOf = new Map(ends.map((l) => [l.partition, l.offset]));
    for (const p of partitions) {
      const start = startOf.get(p);
      const end = endOf.get(p);
      bounds.set(p, start === undefined || end === undefined ? { error: 'ListOffsets gave no answer for this partition' } : { start, end });
    }
    return bounds;
  } catch (error) {
    if (isRecoveryError(error) && error.code === 'INVALID_INPUT') throw error;
    if (partitions.length === 1) {
      bounds.set(partitions[0]!, { error: describeFailure(error) });
      return bounds;
    }
  }
  for (const p of partitions) {
    const one = await logBounds(port, topic, [p]);
    bounds.set(p, one.get(p)!);
  }
  return bounds;
}

function describeFailure(error: unknown): string {
  const name = kafkaErrorName(error) ?? (isRecoveryError(error) ? error.code : null);
  const message = error instanceof Error ? error.message : String(error);
  return name !== null && !message.includes(name) ? `${name}: ${message}` : message;
}

function uncheckedPartition(topic: string, partition: number, entry: RecoveredOffset | undefined, error: string): PartitionOutcome {
  const what = entry === undefined ? 'no offset was recovered and' : `the recovered offset ${entry.offset} is not validated:`;
  return {
    partition: { topic, partition, offset: entry?.offset ?? null, logStartOffset: null, logEndOffset: null, lag: null, status: 'UNCHECKED', error },
    issue: {
      kind: 'UNCHECKED_PARTITION',
      topic,
      partition,
      offset: entry?.offset ?? null,
      logStartOffset: null,
      logEndOffset: null,
      message: `${topic}-${partition}: ${what} its log start and end could not be read (${error}); check it once the partition has a leader`,
    },
    lag: null,
  };
}

interface PartitionOutcome {
  partition: PartitionCheck;
  issue: CompletenessIssue | null;
  lag: bigint | null;
}

function checkPartition(
  topic: string,
  partition: number,
  entry: RecoveredOffset | undefined,
  logStart: bigint,
  logEnd: bigint,
  certainFrom: bigint,
): PartitionOutcome {
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
  if (BigInt(entry.logOffset) < certainFrom) {
    return {
      partition: { ...base, offset: entry.offset, lag: lag.toString(), status: 'UNCERTAIN' },
      issue: {
        ...base,
        kind: 'UNCERTAIN_OFFSET',
        offset: entry.offset,
        message: `${topic}-${partition}: offset ${offset} was committed at ${CONSUMER_OFFSETS_TOPIC} offset ${entry.logOffset}, before a stretch deleted while the scan ran; a newer commit may have been lost with it (restarting here may re-deliver messages)`,
      },
      lag,
    };
  }
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
