/**
 * Offsets lost on load: the classic group coordinator (Kafka 3.x) that fails to load a
 * `__consumer_offsets` partition logs "Error loading offsets" and serves the partition anyway,
 * with nothing loaded. Its groups then answer OffsetFetch with no offset (or an older one than
 * the log holds) and their consumers silently restart from `auto.offset.reset`. The raw log still
 * has the commits, so each group's answer is held against the log's last commit per partition.
 */
import { kafkaErrorName, isRecoveryError } from '../errors.ts';
import { scanWhole } from '../operations/recovery.ts';
import type { KafkaPort } from '../ports.ts';
import type { LostOffsetsGroup, OffsetOnLoadDifference } from './documents.ts';

/** Groups to compare at most per partition: Diagnose must stay well inside its Lambda's time. */
export const MAX_GROUPS_COMPARED = 500;

export interface LostOffsetsSearch {
  groups: LostOffsetsGroup[];
  compared: number;
  /** groups whose OffsetFetch failed, with the error (they are neither lost nor intact) */
  unanswered: { groupId: string; error: string }[];
}

/**
 * Replays one partition (all groups, from `since`) and asks the coordinator for each group's
 * offsets (`onlyGroups` narrows it). A group is listed when some partition's committed offset is
 * missing (-1) or behind the log's last commit.
 */
export async function findOffsetsLostOnLoad(port: KafkaPort, partition: number, since: number | undefined, onlyGroups: string[] | null): Promise<LostOffsetsSearch> {
  const shard = await scanWhole(port, { partition, window: since === undefined ? {} : { since } }, {});
  const candidates = (onlyGroups ?? shard.groups()).slice(0, MAX_GROUPS_COMPARED);
  const groups: LostOffsetsGroup[] = [];
  const unanswered: LostOffsetsSearch['unanswered'] = [];
  for (const groupId of candidates) {
    const logged = Object.entries(shard.groupOffsets(groupId).offsets).map(([topic, partitions]) => ({
      topic,
      partitions: Object.entries(partitions).map(([p, o]) => ({ partition: Number(p), offset: BigInt(o.offset), logOffset: o.logOffset })),
    }));
    if (logged.length === 0) continue;
    let fetched: Map<string, bigint>;
    try {
      const entries = await port.fetchCommittedOffsets(groupId, logged.map((t) => t.topic));
      fetched = new Map(entries.map((e) => [`${e.topic}\u0000${e.partition}`, e.offset]));
    } catch (error) {
      const name = kafkaErrorName(error) ?? (isRecoveryError(error) ? error.code : 'ERROR');
      unanswered.push({ groupId, error: `${name}: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    const differences: OffsetOnLoadDifference[] = [];
    for (const topic of logged) {
      for (const p of topic.partitions) {
        const now = fetched.get(`${topic.topic}\u0000${p.partition}`) ?? -1n;
        if (now >= 0n && now >= p.offset) continue;
        differences.push({ topic: topic.topic, partition: p.partition, logOffset: p.offset.toString(), fetchedOffset: now < 0n ? null : now.toString(), logRecordOffset: p.logOffset.toString() });
      }
    }
    if (differences.length > 0) groups.push({ groupId, partition, differences });
  }
  return { groups, compared: candidates.length, unanswered };
}

export function describeLostOffsets(group: LostOffsetsGroup): string {
  const missing = group.differences.filter((d) => d.fetchedOffset === null).length;
  const behind = group.differences.length - missing;
  const sample = group.differences
    .slice(0, 3)
    .map((d) => `${d.topic}-${d.partition}: log ${d.logOffset}, coordinator ${d.fetchedOffset ?? 'none'}`)
    .join('; ');
  const more = group.differences.length > 3 ? `; ${group.differences.length - 3} more` : '';
  return `Group ${group.groupId} lost offsets on the load of __consumer_offsets-${group.partition}: ${missing} partition(s) missing, ${behind} behind the log (${sample}${more}); its consumers would restart from auto.offset.reset`;
}
