/** Verification: OffsetFetch on each seeded target must return exactly the planned offsets. */
import { mapLimited } from '../concurrency.ts';
import { SEED_CONCURRENCY } from './seeding.ts';
import { isRecoveryError, kafkaErrorName } from '../errors.ts';
import type { KafkaPort } from '../ports.ts';
import type { GroupPlan, GroupVerification, OffsetMismatch, RecoveryPlan, VerifyResultDocument } from './documents.ts';

export async function verifyGroup(port: KafkaPort, group: GroupPlan): Promise<GroupVerification> {
  try {
    const topics = [...new Set(group.offsets.map((o) => o.topic))];
    const actual = new Map(
      (await port.fetchCommittedOffsets(group.targetGroup, topics)).filter((e) => e.offset >= 0n).map((e) => [`${e.topic}\u0000${e.partition}`, e.offset.toString()]),
    );
    const mismatches: OffsetMismatch[] = [];
    for (const planned of group.offsets) {
      const found = actual.get(`${planned.topic}\u0000${planned.partition}`) ?? null;
      if (found !== planned.offset) mismatches.push({ topic: planned.topic, partition: planned.partition, expected: planned.offset, actual: found });
    }
    return { targetGroup: group.targetGroup, ok: mismatches.length === 0, matched: group.offsets.length - mismatches.length, mismatches, error: null };
  } catch (error) {
    const name = kafkaErrorName(error) ?? (isRecoveryError(error) ? error.code : 'ERROR');
    return { targetGroup: group.targetGroup, ok: false, matched: 0, mismatches: [], error: `${name}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Blocked groups were never seeded, so they are not verified. */
export async function verifyPlan(port: KafkaPort, plan: RecoveryPlan): Promise<VerifyResultDocument> {
  const groups: GroupVerification[] = await mapLimited(
    plan.groups.filter((group) => !group.blocked),
    SEED_CONCURRENCY,
    (group) => verifyGroup(port, group),
  );
  return { ok: groups.every((g) => g.ok), groups };
}
