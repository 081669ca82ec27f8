/**
 * The Kafka CLI playbook for one failed coordinator shard: move the `__consumer_offsets`
 * partition's leadership to a healthy in-sync replica (a fresh load there), delete the stuck
 * group (its tombstones neutralize the record the failed load tripped on), then restore the
 * original replica order. Pure: built from metadata the caller read, nothing is sent.
 *
 * A reassignment that keeps the same replica set and only reorders it moves no data, which is
 * why the playbook refuses anything else and refuses to start while a replica is out of sync.
 */
import { CONSUMER_OFFSETS_TOPIC, type PartitionInfo } from '../ports.ts';

export interface ReassignmentFile {
  version: 1;
  partitions: { topic: string; partition: number; replicas: number[]; log_dirs: string[] }[];
}

export interface ElectionFile {
  partitions: { topic: string; partition: number }[];
}

export interface PlaybookInput {
  partition: PartitionInfo;
  /** The stuck group, when known; without it the delete step names a placeholder. */
  groupId: string | null;
  /** Brokers that should not take the lead (they lead other failed shards). */
  avoidBrokers?: number[];
  /** How the operator's commands reach the cluster: the tool's own name for the export step. */
  program?: string;
}

export interface Playbook {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  /** The in-sync replica that leads while the group is deleted. */
  interimLeader: number;
  reassignment: ReassignmentFile;
  election: ElectionFile;
  rollback: ReassignmentFile;
  steps: string;
}

export type PlaybookDecision = { ok: true; playbook: Playbook } | { ok: false; reason: string };

function sameSet(a: number[], b: number[]): boolean {
  return a.length === b.length && [...a].sort((x, y) => x - y).every((value, i) => value === [...b].sort((x, y) => x - y)[i]);
}

function reassignment(partition: number, replicas: number[]): ReassignmentFile {
  return { version: 1, partitions: [{ topic: CONSUMER_OFFSETS_TOPIC, partition, replicas, log_dirs: replicas.map(() => 'any') }] };
}

/** Why a reassignment of this partition is not safe now, or null when it is. */
export function reassignmentRisk(partition: PartitionInfo): string | null {
  const name = `${CONSUMER_OFFSETS_TOPIC}-${partition.partition}`;
  if (partition.leader < 0) return `${name} has no leader; bring its replicas back before moving leadership`;
  if (partition.replicas.length < 2) return `${name} has a single replica (${partition.replicas.join(',')}); there is no other broker to move leadership to`;
  if (!sameSet(partition.isr, partition.replicas)) {
    const missing = partition.replicas.filter((r) => !partition.isr.includes(r));
    return `${name} is under-replicated: ISR [${partition.isr.join(',')}] is not Replicas [${partition.replicas.join(',')}] (out of sync: ${missing.join(',')}); wait until every replica is in sync, a reassignment now risks availability`;
  }
  return null;
}

export function buildPlaybook(input: PlaybookInput): PlaybookDecision {
  const p = input.partition;
  const risk = reassignmentRisk(p);
  if (risk !== null) return { ok: false, reason: risk };
  const avoid = new Set(input.avoidBrokers ?? []);
  const candidates = p.replicas.filter((r) => r !== p.leader && p.isr.includes(r));
  const interimLeader = candidates.find((r) => !avoid.has(r));
  if (interimLeader === undefined) {
    return { ok: false, reason: `every other in-sync replica of ${CONSUMER_OFFSETS_TOPIC}-${p.partition} (${candidates.join(',')}) leads a failed shard itself; heal one of them first` };
  }
  const moved = [interimLeader, ...p.replicas.filter((r) => r !== interimLeader)];
  const playbook: Playbook = {
    topic: CONSUMER_OFFSETS_TOPIC,
    partition: p.partition,
    leader: p.leader,
    replicas: [...p.replicas],
    isr: [...p.isr],
    interimLeader,
    reassignment: reassignment(p.partition, moved),
    election: { partitions: [{ topic: CONSUMER_OFFSETS_TOPIC, partition: p.partition }] },
    rollback: reassignment(p.partition, [...p.replicas]),
    steps: '',
  };
  playbook.steps = renderSteps(playbook, input.groupId, input.program ?? 'coordinator-recovery');
  return { ok: true, playbook };
}

const CONNECT = '--bootstrap-server "$BOOTSTRAP" --command-config client.properties';

function renderSteps(pb: Playbook, groupId: string | null, program: string): string {
  const group = groupId ?? '<group>';
  const describe = `kafka-topics ${CONNECT} --describe --topic ${CONSUMER_OFFSETS_TOPIC} | grep -E "Partition: ${pb.partition}\\s"`;
  const move = (file: string): string[] => [
    `kafka-reassign-partitions ${CONNECT} --execute --reassignment-json-file ${file}`,
    `kafka-reassign-partitions ${CONNECT} --verify --reassignment-json-file ${file}`,
    `kafka-leader-election --bootstrap-server "$BOOTSTRAP" --admin.config client.properties --election-type PREFERRED --path-to-json-file election.json`,
    describe,
  ];
  const lines = [
    `# Playbook: ${CONSUMER_OFFSETS_TOPIC}-${pb.partition}${groupId ? ` (group ${groupId})` : ''}`,
    '',
    `Now: leader ${pb.leader}, replicas [${pb.replicas.join(',')}], ISR [${pb.isr.join(',')}].`,
    `Plan: broker ${pb.interimLeader} leads while the group is deleted, then broker ${pb.leader} leads again.`,
    'Run the commands from this directory. Set BOOTSTRAP, put the client settings (TLS, SASL) in',
    `client.properties; ${program} reads KAFKA_BOOTSTRAP and KAFKA_SASL_* (or takes --bootstrap).`,
    '',
    '> **Deleting the group drops its committed offsets.** Consumers of the group restart from',
    '> `auto.offset.reset` unless the offsets are saved first and restored afterwards (step 2 and 7).',
    '',
    '## 1. Check the partition: proceed only when Isr equals Replicas',
    '```',
    describe,
    '```',
    '## 2. Save the group\'s offsets from the raw log (read-only)',
    '```',
    `${program} export ${group} --format csv > ${group}-offsets.csv`,
    `${program} export ${group} --format json > ${group}-offsets.json`,
    '```',
    `## 3. Move leadership to broker ${pb.interimLeader} (reassignment.json: same replicas, ${pb.interimLeader} first)`,
    '```',
    ...move('reassignment.json'),
    '```',
    `The describe must show \`Leader: ${pb.interimLeader}\`; the shard has loaded afresh there.`,
    '',
    '## 4. Delete the stuck group (it must have no members: scale its consumers to zero first)',
    '```',
    `kafka-consumer-groups ${CONNECT} --delete --group ${group}`,
    '```',
    'The delete writes tombstones for the group\'s offsets and metadata; the original leader skips the record it failed on when it loads again.',
    '',
    `## 5. Restore the original order (reassignment-rollback.json: [${pb.replicas.join(',')}])`,
    '```',
    ...move('reassignment-rollback.json'),
    '```',
    `The describe must show \`Leader: ${pb.leader}\` again.`,
    '',
    '## 6. Check the group answers again',
    '```',
    `kafka-consumer-groups ${CONNECT} --describe --group ${group}`,
    '```',
    '## 7. Put the saved offsets back before the consumers start',
    '```',
    `kafka-consumer-groups ${CONNECT} --reset-offsets --group ${group} --from-file ${group}-offsets.csv --dry-run`,
    `kafka-consumer-groups ${CONNECT} --reset-offsets --group ${group} --from-file ${group}-offsets.csv --execute`,
    '```',
    'Then scale the consumers back up.',
    '',
  ];
  return lines.join('\n');
}
