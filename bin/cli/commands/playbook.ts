/**
 * playbook: the Kafka CLI recovery path for one failed shard, written from live metadata as
 * the files kafka-reassign-partitions and kafka-leader-election read, plus steps.md with every
 * command in order. Refuses (exit 3) unless every replica is in sync. Writes files, not Kafka;
 * --execute (playbook-execute.ts) runs the same steps through the Admin API.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidInput, RecoveryError, refusedForSafety } from '../../../lambdas/core/errors.ts';
import { partitionForGroup } from '../../../lambdas/core/hash.ts';
import { CONSUMER_OFFSETS_TOPIC, type KafkaPort, type PartitionInfo } from '../../../lambdas/core/ports.ts';
import { readCoordinatorLayout, partitionsLedBy } from '../../../lambdas/core/workflow/cluster-layout.ts';
import { sweepShards } from '../../../lambdas/core/workflow/diagnosis.ts';
import { buildPlaybook, type Playbook } from '../../../lambdas/core/workflow/playbook.ts';
import { PROGRAM, type Command } from '../command.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_REFUSED } from '../exit-codes.ts';
import { parseInteger } from '../values.ts';
import { executePlaybook, type ExecutionLog } from './playbook-execute.ts';

export const PLAYBOOK_FILES = {
  reassignment: 'reassignment.json',
  election: 'election.json',
  rollback: 'reassignment-rollback.json',
  steps: 'steps.md',
} as const;

export async function offsetsPartitionInfo(port: KafkaPort, partition: number): Promise<PartitionInfo> {
  const metadata = await port.metadata([CONSUMER_OFFSETS_TOPIC]);
  const topic = metadata.topics.find((t) => t.name === CONSUMER_OFFSETS_TOPIC);
  if (!topic) throw new RecoveryError('NOT_FOUND', `${CONSUMER_OFFSETS_TOPIC} does not exist on this cluster yet; no group has committed`);
  const info = topic.partitions.find((p) => p.partition === partition);
  if (!info) throw invalidInput('--partition', `${CONSUMER_OFFSETS_TOPIC} has partitions 0-${topic.partitions.length - 1}, not ${partition}`, 'Pass the partition of the stuck group (coordinator-recovery partition-for <group>)');
  return info;
}

/** Brokers among the replicas that lead a shard refusing group calls right now: not a good interim leader. */
async function brokersLeadingFailedShards(port: KafkaPort, replicas: number[], except: number): Promise<number[]> {
  const layout = await readCoordinatorLayout(port);
  const others = replicas.filter((r) => r !== except);
  const partitions = others.flatMap((broker) => partitionsLedBy(layout, broker));
  const checks = await sweepShards(port, layout, partitions, { confirmDelayMs: 0 });
  return [...new Set(checks.filter((c) => c.groupCall === 'NOT_COORDINATOR').map((c) => layout.leaders.get(c.partition) ?? -1))];
}

export interface PlaybookDocument {
  groupId: string | null;
  partition: number;
  outDir: string;
  files: string[];
  playbook: Playbook;
  execution: ExecutionLog | null;
}

export const playbookCommand: Command = {
  name: 'playbook',
  summary: 'the Kafka CLI path for a failed shard: reassignment/election files and steps.md from live metadata; --execute runs them',
  positionals: [{ name: 'group', description: 'the stuck group (or --partition)', optional: true }],
  flags: {
    partition: { type: 'string', placeholder: 'P', description: `the ${CONSUMER_OFFSETS_TOPIC} partition, instead of a group` },
    out: { type: 'string', placeholder: 'DIR', description: 'where to write the files (default ./playbook-<partition>)' },
    execute: { type: 'boolean', description: 'run the steps through the Admin API, asking before each write' },
    yes: { type: 'boolean', description: 'with --execute: do not ask before each write (scripts)' },
    'offsets-saved': { type: 'boolean', description: `with --execute: confirm the group's offsets were saved (${PROGRAM} export) or seeded elsewhere; the group is not deleted without it` },
  },
  details: [
    'Example: coordinator-recovery playbook orders-service --out ./incident-4711',
    '         coordinator-recovery playbook orders-service --execute --offsets-saved   # asks before each step',
    'Refused (exit 3) unless Isr equals Replicas. Deleting the group drops its committed offsets:',
    `run "${PROGRAM} export <group> --format csv > <group>-offsets.csv" first (steps.md says when).`,
  ].join('\n'),
  async run(context, { positionals, flags }) {
    const groupId = positionals[0] ?? null;
    const partitionFlag = typeof flags['partition'] === 'string' ? flags['partition'] : undefined;
    if ((groupId === null) === (partitionFlag === undefined)) {
      throw invalidInput('playbook', groupId === null ? 'needs a group or --partition' : 'takes a group or --partition, not both', 'Pass the stuck group (playbook orders-service) or the partition (playbook --partition 17)');
    }
    const port = await context.port();
    const layout = await readCoordinatorLayout(port);
    const partition = partitionFlag !== undefined ? parseInteger(partitionFlag, '--partition', { max: layout.partitionCount - 1, example: 7 }) : partitionForGroup(groupId as string, layout.partitionCount);
    const info = await offsetsPartitionInfo(port, partition);
    const avoid = await brokersLeadingFailedShards(port, info.replicas, info.leader);
    const decision = buildPlaybook({ partition: info, groupId, avoidBrokers: avoid, program: PROGRAM });
    if (!decision.ok) throw refusedForSafety(decision.reason, 'Run playbook again once that is resolved', { partition });
    const playbook = decision.playbook;
    const outDir = typeof flags['out'] === 'string' ? flags['out'] : `playbook-${partition}`;
    mkdirSync(outDir, { recursive: true });
    const write = (name: string, content: string): string => {
      const path = join(outDir, name);
      writeFileSync(path, content);
      return path;
    };
    const files = [
      write(PLAYBOOK_FILES.reassignment, `${JSON.stringify(playbook.reassignment)}\n`),
      write(PLAYBOOK_FILES.election, `${JSON.stringify(playbook.election)}\n`),
      write(PLAYBOOK_FILES.rollback, `${JSON.stringify(playbook.rollback)}\n`),
      write(PLAYBOOK_FILES.steps, playbook.steps),
    ];
    let execution: ExecutionLog | null = null;
    if (flags['execute'] === true) {
      execution = await executePlaybook(context, port, playbook, { groupId, yes: flags['yes'] === true, offsetsSaved: flags['offsets-saved'] === true, outDir });
    }
    const document: PlaybookDocument = { groupId, partition, outDir, files, playbook, execution };
    return {
      data: document,
      exitCode: execution === null || execution.outcome === 'DONE' ? EXIT_OK : execution.outcome === 'REFUSED' ? EXIT_REFUSED : EXIT_FAILED,
      human: () =>
        [
          `${CONSUMER_OFFSETS_TOPIC}-${partition}: leader ${playbook.leader}, replicas [${playbook.replicas.join(',')}], ISR [${playbook.isr.join(',')}]; interim leader ${playbook.interimLeader}`,
          `wrote ${files.join(', ')}`,
          ...(execution ? execution.steps.map((s: ExecutionLog['steps'][number]) => `  ${s.status.padEnd(7)} ${s.name}: ${s.detail}`) : [`Follow ${join(outDir, PLAYBOOK_FILES.steps)}; save the offsets first (step 2).`]),
          ...(execution ? [`execution: ${execution.outcome}${execution.reason ? ` (${execution.reason})` : ''}`] : []),
        ].join('\n'),
    };
  },
};
