/**
 * Reading groups and their committed offsets straight from `__consumer_offsets`: never through
 * the coordinator, which may be FAILED.
 */
import type { AffectedGroup, AffectedGroupsResult, GroupOffsetsResult, ScanWindow } from '../model.ts';
import { invalidInput } from '../errors.ts';
import type { KafkaPort } from '../ports.ts';
import { partitionForGroup } from '../hash.ts';
import { describeOffsetsTopic, requireOffsetsPartition } from '../scanner/index.ts';
import {
  groupMetadataSummaryOf,
  protocolTypeFromGroupRecords,
  recoveredOffsetsOf,
  replayPartition,
} from './replay-scan.ts';
import type { RecoveryScanOptions } from './replay-scan.ts';
import { findSubscription } from './subscription.ts';
import { resolveWindow, validateGroupId } from './validate.ts';

/**
 * Groups with live committed offsets in the window on one `__consumer_offsets` partition,
 * sorted; groups whose offsets were all tombstoned are left out.
 */
export async function affectedGroups(
  port: KafkaPort,
  partition: number,
  window: ScanWindow = {},
  options: RecoveryScanOptions = {},
): Promise<AffectedGroupsResult> {
  if (typeof partition !== 'number' || !Number.isInteger(partition)) {
    throw invalidInput('partition', `expected an integer, got ${String(partition)}`, 'Pass a partition number of __consumer_offsets, e.g. 12.');
  }
  const resolved = resolveWindow(window);
  const offsets = await describeOffsetsTopic(port);
  requireOffsetsPartition(offsets, partition);
  const { replay, scan } = await replayPartition(port, partition, resolved, options);

  const groups: AffectedGroup[] = replay.groups().map((groupId) => {
    const committed = replay.committedOffsets(groupId);
    let lastCommit: bigint | null = null;
    for (const topic of committed) {
      for (const p of topic.partitions) if (lastCommit === null || p.commitTimestamp > lastCommit) lastCommit = p.commitTimestamp;
    }
    const metadata = groupMetadataSummaryOf(replay, groupId);
    return {
      groupId,
      topics: committed.map((t) => t.topic),
      protocolType: metadata?.protocolType || protocolTypeFromGroupRecords(replay, groupId),
      state: metadata?.state ?? null,
      subscribedTopics: metadata?.subscribedTopics ?? [],
      lastCommitTimestamp: lastCommit === null ? null : lastCommit.toString(),
    };
  });
  return { partition, groups, scan };
}

/**
 * The group's last committed offset per topic partition (last write wins, tombstones delete,
 * read_committed), with the group metadata seen in the same window, the scan's statistics and
 * the subscription (read from before the window when the window holds no member metadata).
 */
export async function readCommittedOffsets(
  port: KafkaPort,
  groupId: string,
  window: ScanWindow = {},
  options: RecoveryScanOptions = {},
): Promise<GroupOffsetsResult> {
  validateGroupId(groupId);
  const resolved = resolveWindow(window);
  const offsets = await describeOffsetsTopic(port);
  const partition = partitionForGroup(groupId, offsets.partitionCount);
  const { replay, scan } = await replayPartition(port, partition, resolved, options, groupId);
  const recovered = recoveredOffsetsOf(replay, groupId);
  const subscription = await findSubscription({ port, partition, groupId, window: resolved, replay, scan, recovered, options });
  return {
    groupId,
    offsetsPartition: partition,
    offsets: recovered,
    groupMetadata: groupMetadataSummaryOf(replay, groupId),
    scan,
    subscription,
  };
}
