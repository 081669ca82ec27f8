/**
 * Reading groups and their committed offsets straight from `__consumer_offsets`: never through
 * the coordinator, which may be FAILED.
 */
import type { AffectedGroupsResult, GroupOffsetsResult, ScanPosition, ScanWindow } from '../model.ts';
import { RecoveryError, invalidInput } from '../errors.ts';
import type { KafkaPort } from '../ports.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../ports.ts';
import { partitionForGroup } from '../hash.ts';
import { describeOffsetsTopic, requireOffsetsPartition } from '../scanner/index.ts';
import type { RecoveryScanOptions } from './replay-scan.ts';
import { scanShard } from './shard-scan.ts';
import type { ShardScan, ShardScanRequest } from './shard-scan.ts';
import { findSubscription } from './subscription.ts';
import { resolveWindow, validateGroupId } from './validate.ts';

/** A whole-window scan with no deadline: it ends done or throws. */
export async function scanWhole(port: KafkaPort, request: ShardScanRequest, options: RecoveryScanOptions): Promise<ShardScan> {
  try {
    const outcome = await scanShard(port, request, options);
    return (outcome as { shard: ShardScan }).shard;
  } catch (error) {
    throw withoutCheckpointHint(error);
  }
}

/**
 * These operations take no checkpoint, so their callers' way forward after a failure is to run
 * the (read-only) operation again; scanShard is the one that continues from error.details.checkpoint.
 */
function withoutCheckpointHint(error: unknown): unknown {
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
  resolveWindow(window);
  const offsets = await describeOffsetsTopic(port);
  requireOffsetsPartition(offsets, partition);
  const shard = await scanWhole(port, { partition, window }, options);
  return shard.affectedGroups();
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
  const shard = await scanWhole(port, { partition, window, group: groupId }, options);
  const result = shard.groupOffsets(groupId);
  const subscription = await findSubscription({
    port,
    partition,
    groupId,
    window: resolved,
    replay: shard.replay,
    scan: result.scan,
    recovered: result.offsets,
    options,
  });
  return { ...result, subscription };
}

/**
 * One group of a finished shard scan as readCommittedOffsets returns it, subscription included:
 * what the workflow stores per group after its one pass over the shard. Only a group whose
 * window holds no member metadata costs a read (of the log before the window).
 */
export async function shardGroupOffsets(port: KafkaPort, shard: ShardScan, groupId: string, options: RecoveryScanOptions = {}): Promise<GroupOffsetsResult> {
  validateGroupId(groupId);
  const result = shard.groupOffsets(groupId);
  const window = resolveWindow(shard.request.window ?? {});
  const subscription = await findSubscription({ port, partition: shard.partition, groupId, window, replay: shard.replay, scan: result.scan, recovered: result.offsets, options });
  return { ...result, subscription };
}
