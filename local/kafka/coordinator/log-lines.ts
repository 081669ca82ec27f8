import { RECORD_TYPE_NAMES } from '../../../lambdas/core/offsets-records/index.ts';
import type { ReplayedOffsetCommit, ReplayPosition } from './replay.ts';
import { javaUuidString, type ConsumerGroupRecord } from './consumer-group-records.ts';

/**
 * The broker-log lines of a coordinator shard that failed to load, worded as Kafka's
 * coordinator runtime (4.x, 'epoch-conflict') or the pre-4.0 GroupMetadataManager ('legacy')
 * print them, with the real partition, record offset, topic-partition, epochs and broker id.
 */
export type FailureMode = 'epoch-conflict' | 'legacy';

export interface FailureLineInput {
  mode: FailureMode;
  brokerId: number;
  partition: number;
  /** the coordinator epoch (partition leader epoch) of the load that failed */
  epoch: number;
  /** the record the replay stopped at; null when the partition holds no offset commit */
  conflict: ReplayedOffsetCommit | null;
}

export interface CoordinatorLogLine {
  message: string;
  logger: string;
}

/**
 * The loader of 4.0 and 4.1 (the profiles' releases) is core's `kafka.coordinator.group` class, as
 * the real 4.1.1 broker's "Replaying record" line shows; 4.4.0 ships it in coordinator-common
 * (`org.apache.kafka.coordinator.common.runtime`), a release no profile plays.
 */
export const LOADER_LOGGER = 'kafka.coordinator.group.CoordinatorLoaderImpl';
export const RUNTIME_LOGGER = 'org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime';
export const LEGACY_LOGGER = 'kafka.coordinator.group.GroupMetadataManager';

export function coordinatorLogLines(input: FailureLineInput): CoordinatorLogLine[] {
  const tp = `__consumer_offsets-${input.partition}`;
  if (input.mode === 'legacy') {
    const cause =
      input.conflict === null
        ? `java.lang.IllegalStateException: Unexpected end of log while loading ${tp}`
        : `java.lang.IllegalStateException: Unexpected unload of active group ${input.conflict.group} while loading partition ${tp}`;
    return [
      {
        message: `[GroupMetadataManager brokerId=${input.brokerId}] Error loading offsets from ${tp}\n${cause}`,
        logger: LEGACY_LOGGER,
      },
    ];
  }
  const lines: CoordinatorLogLine[] = [];
  // Kafka prints the loader exception's message (not its class) after "due to", then a period.
  let reason = `Unexpected end of ${tp} at epoch ${input.epoch}.`;
  if (input.conflict !== null) {
    const c = input.conflict;
    const ownedAt = input.epoch + 1;
    const conflict = `Cannot set the epoch of ${c.topic}-${c.partition} to ${input.epoch} because the partition is still owned at epoch ${ownedAt}`;
    const record =
      `CoordinatorRecord(key=OffsetCommitKey(group='${c.group}', topic='${c.topic}', partition=${c.partition}), ` +
      `value=ApiMessageAndVersion(OffsetCommitValue(offset=${c.offset}, leaderEpoch=${c.leaderEpoch}, metadata='${c.metadata}', ` +
      `commitTimestamp=${c.commitTimestamp}, expireTimestamp=-1)))`;
    lines.push({
      // The loader's own line carries no [GroupCoordinator id=N] prefix.
      message: `Replaying record ${record} from ${tp} at offset ${c.logOffset} with producer id ${c.producerId} and producer epoch ${c.producerEpoch} failed due to: ${conflict}.`,
      logger: LOADER_LOGGER,
    });
    reason = `${conflict}.`;
  }
  lines.push({
    message: `[GroupCoordinator id=${input.brokerId}] Failed to load metadata from ${tp} with epoch ${input.epoch} due to ${reason}.`,
    logger: RUNTIME_LOGGER,
  });
  return lines;
}

export interface ReplayFailureInput {
  brokerId: number;
  partition: number;
  epoch: number;
  record: ConsumerGroupRecord;
  position: ReplayPosition;
  /** the exception's message, e.g. "Cannot set the epoch of <topic id>-<partition> to ..." */
  message: string;
}

/** How Kafka's generated toString prints a list of TopicPartitions. */
function topicPartitionsString(assignment: ReadonlyMap<string, ReadonlySet<number>>): string {
  const entries = [...assignment].filter(([, ps]) => ps.size > 0).map(([topicId, ps]) => `TopicPartitions(topicId=${javaUuidString(topicId)}, partitions=[${[...ps].sort((a, b) => a - b).join(', ')}])`);
  return `[${entries.join(', ')}]`;
}

/** `CoordinatorRecord(key=..., value=ApiMessageAndVersion(... at version 0))`, as the loader quotes it. */
export function coordinatorRecordString(record: ConsumerGroupRecord): string {
  const name = RECORD_TYPE_NAMES.get(record.type)!;
  const keyFields = [`groupId='${record.group}'`];
  if (record.type === 5 || record.type === 7 || record.type === 8) keyFields.push(`memberId='${record.memberId}'`);
  if (record.type === 16) keyFields.push(`regularExpression='${record.regex}'`);
  let value = 'null';
  if (record.type === 8 && record.value !== null) {
    const v = record.value;
    value =
      `ApiMessageAndVersion(${name}Value(memberEpoch=${v.memberEpoch}, previousMemberEpoch=${v.previousMemberEpoch}, state=${v.state}, ` +
      `assignedPartitions=${topicPartitionsString(v.assignedPartitions)}, partitionsPendingRevocation=${topicPartitionsString(v.partitionsPendingRevocation)}) at version 0)`;
  } else if (record.value !== null) {
    value = `ApiMessageAndVersion(${name}Value(...) at version 0)`;
  }
  return `CoordinatorRecord(key=${name}Key(${keyFields.join(', ')}), value=${value})`;
}

/**
 * The lines of a load stopped by a record the replay refused, as 4.1.1 prints them: the
 * loader's own line, then the runtime's, which quotes it wrapped in a RuntimeException.
 */
export function consumerReplayFailureLines(input: ReplayFailureInput): CoordinatorLogLine[] {
  const tp = `__consumer_offsets-${input.partition}`;
  const replaying =
    `Replaying record ${coordinatorRecordString(input.record)} from ${tp} at offset ${input.position.logOffset} ` +
    `with producer id ${input.position.producerId} and producer epoch ${input.position.producerEpoch} failed due to: ${input.message}.`;
  return [
    { message: replaying, logger: LOADER_LOGGER },
    {
      message: `[GroupCoordinator id=${input.brokerId}] Failed to load metadata from ${tp} with epoch ${input.epoch} due to java.lang.RuntimeException: ${replaying}`,
      logger: RUNTIME_LOGGER,
    },
  ];
}
