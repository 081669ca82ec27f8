/**
 * playbook --execute: the steps of steps.md through the Admin API, one at a time. Every write
 * is asked for first (--yes for scripts), and each step is waited on until the cluster shows it
 * (no reassignment in progress, the expected leader, the shard answering) before the next.
 * The group is deleted only after its offsets were saved from the raw log into the playbook
 * directory (or the operator says, with --offsets-saved, that they were saved or seeded).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaErrorName } from '../../../lambdas/core/errors.ts';
import { readCommittedOffsets } from '../../../lambdas/core/operations/index.ts';
import { CONSUMER_OFFSETS_TOPIC, isKafkaAdminPort, type KafkaAdminPort, type KafkaPort } from '../../../lambdas/core/ports.ts';
import { describeGroupOrAbsent } from '../../../lambdas/core/operations/group-calls.ts';
import type { Playbook } from '../../../lambdas/core/workflow/playbook.ts';
import type { CommandContext } from '../command.ts';
import { askConsent } from '../confirm.ts';
import { exportCsv, exportJson, exportRows } from './export.ts';
import { scanOptions } from './scan-flags.ts';

export interface ExecutedStep {
  name: string;
  status: 'DONE' | 'REFUSED' | 'FAILED';
  detail: string;
}

export interface ExecutionLog {
  outcome: 'DONE' | 'REFUSED' | 'FAILED';
  reason: string | null;
  steps: ExecutedStep[];
  savedOffsets: string[];
}

export interface ExecuteOptions {
  groupId: string | null;
  yes: boolean;
  offsetsSaved: boolean;
  outDir: string;
  /** How long each step may take to show in metadata (default 30 s). */
  stepTimeoutMs?: number;
}

class StepStop extends Error {
  constructor(
    readonly status: 'REFUSED' | 'FAILED',
    message: string,
  ) {
    super(message);
  }
}

async function until(what: string, timeoutMs: number, probe: () => Promise<string | null>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await probe();
    if (last === null) return;
    if (Date.now() > deadline) throw new StepStop('FAILED', `${what} did not happen within ${Math.round(timeoutMs / 1000)} s (${last})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function partitionNow(port: KafkaPort, partition: number): Promise<{ leader: number; replicas: number[]; isr: number[] }> {
  await port.refreshMetadata();
  const topic = (await port.metadata([CONSUMER_OFFSETS_TOPIC])).topics.find((t) => t.name === CONSUMER_OFFSETS_TOPIC);
  const info = topic?.partitions.find((p) => p.partition === partition);
  return info ?? { leader: -1, replicas: [], isr: [] };
}

/** null when the group's shard answers group calls; the refusal otherwise. */
async function shardRefusal(port: KafkaPort, groupId: string): Promise<string | null> {
  try {
    await describeGroupOrAbsent(port, groupId);
    return null;
  } catch (error) {
    return kafkaErrorName(error) ?? (error instanceof Error ? error.message : String(error));
  }
}

export async function executePlaybook(context: CommandContext, port: KafkaPort, playbook: Playbook, options: ExecuteOptions): Promise<ExecutionLog> {
  const log: ExecutionLog = { outcome: 'DONE', reason: null, steps: [], savedOffsets: [] };
  const timeout = options.stepTimeoutMs ?? 30_000;
  const groupId = options.groupId;
  const partition = playbook.partition;
  const name = `${CONSUMER_OFFSETS_TOPIC}-${partition}`;
  const done = (step: string, detail: string): void => {
    log.steps.push({ name: step, status: 'DONE', detail });
    context.progress(`done: ${step}: ${detail}`);
  };
  const consent = async (step: string, question: string): Promise<void> => {
    const answer = await askConsent(context, question, options.yes);
    if (!answer.approved) throw new StepStop('REFUSED', `${step} not approved: ${answer.why}`);
  };

  try {
    if (groupId === null) throw new StepStop('REFUSED', '--execute needs the group (playbook <group> --execute): the delete step deletes it');
    if (!isKafkaAdminPort(port)) throw new StepStop('FAILED', 'this Kafka connection cannot send admin requests');
    const admin: KafkaAdminPort = port;

    // Saved before anything moves: the raw log holds the offsets whatever the coordinator does.
    const recovered = await readCommittedOffsets(port, groupId, {}, scanOptions(context));
    const rows = exportRows([recovered]);
    if (rows.length > 0) {
      const json = join(options.outDir, `${groupId}-offsets.json`);
      const csv = join(options.outDir, `${groupId}-offsets.csv`);
      writeFileSync(json, `${exportJson(rows)}\n`);
      writeFileSync(csv, `${exportCsv(rows, [groupId])}\n`);
      log.savedOffsets.push(json, csv);
    }
    const saved = rows.length > 0 && recovered.scan.complete;
    if (!saved && !options.offsetsSaved) {
      throw new StepStop('REFUSED', `the offsets of ${groupId} could not be saved from the raw log (${rows.length === 0 ? 'none found' : 'the scan did not finish'}); deleting the group would lose them. Export or seed them, then pass --offsets-saved`);
    }
    done('save offsets', saved ? `${rows.length} offset(s) of ${groupId} saved to ${log.savedOffsets.join(', ')}` : 'none in the log; --offsets-saved given');

    const move = async (step: string, replicas: number[], leader: number): Promise<void> => {
      await consent(step, `${step}: reassign ${name} to replicas [${replicas.join(',')}] and elect ${leader} as leader? approve?`);
      const reassigned = await admin.alterPartitionReassignments(CONSUMER_OFFSETS_TOPIC, [{ partition, replicas }]);
      const refused = reassigned.find((r) => r.errorName !== null);
      if (refused) throw new StepStop('FAILED', `${step}: AlterPartitionReassignments answered ${refused.errorName}${refused.errorMessage ? ` (${refused.errorMessage})` : ''}`);
      await until(`${step}: the reassignment to finish`, timeout, async () => {
        const ongoing = await admin.listPartitionReassignments(CONSUMER_OFFSETS_TOPIC, [partition]);
        if (ongoing.length > 0) return `still moving: adding ${ongoing[0]!.addingReplicas.join(',') || '-'}, removing ${ongoing[0]!.removingReplicas.join(',') || '-'}`;
        const now = await partitionNow(port, partition);
        return now.replicas.join(',') === replicas.join(',') ? null : `replicas are [${now.replicas.join(',')}]`;
      });
      const elected = await admin.electPreferredLeaders(CONSUMER_OFFSETS_TOPIC, [partition]);
      const failed = elected.find((r) => r.errorName !== null && r.errorName !== 'ELECTION_NOT_NEEDED');
      if (failed) throw new StepStop('FAILED', `${step}: ElectLeaders answered ${failed.errorName}${failed.errorMessage ? ` (${failed.errorMessage})` : ''}`);
      await until(`${step}: broker ${leader} to lead ${name}`, timeout, async () => {
        const now = await partitionNow(port, partition);
        return now.leader === leader ? null : `leader is ${now.leader}`;
      });
      await until(`${step}: the shard to answer group calls on broker ${leader}`, timeout, () => shardRefusal(port, groupId));
      done(step, `${name} replicas [${replicas.join(',')}], leader ${leader}; group calls answered`);
    };

    await move('move leadership', playbook.reassignment.partitions[0]!.replicas, playbook.interimLeader);

    const group = await describeGroupOrAbsent(port, groupId);
    if (group.members.length > 0) throw new StepStop('REFUSED', `${groupId} has ${group.members.length} member(s) (${group.state}); stop its consumers before deleting it`);
    await consent('delete group', `delete group ${groupId}? Its committed offsets are dropped (saved in ${log.savedOffsets.join(', ') || 'your export'}). approve?`);
    const deleted = await admin.deleteGroup(groupId);
    if (deleted.errorName !== null && deleted.errorName !== 'GROUP_ID_NOT_FOUND') throw new StepStop('FAILED', `delete group: DeleteGroups answered ${deleted.errorName}`);
    await until(`delete group: ${groupId} to be gone`, timeout, async () => {
      const offsets = (await port.fetchCommittedOffsets(groupId)).filter((e) => e.offset >= 0n);
      return offsets.length === 0 ? null : `${offsets.length} offset(s) still committed`;
    });
    done('delete group', `${groupId} deleted (tombstones written)`);

    await move('restore leadership', playbook.rollback.partitions[0]!.replicas, playbook.leader);

    if (rows.length > 0) {
      await consent('restore offsets', `commit the ${rows.length} saved offset(s) back to ${groupId}, so its consumers resume where they were? approve?`);
      const results = await port.commitOffsets(groupId, rows.map((r) => ({ topic: r.topic, partition: r.partition, offset: BigInt(r.offset) })));
      const errors = results.filter((r) => r.errorName !== null);
      if (errors.length > 0) throw new StepStop('FAILED', `restore offsets: ${errors.length} partition(s) refused (${errors[0]!.topic}-${errors[0]!.partition}: ${errors[0]!.errorName})`);
      done('restore offsets', `${results.length} offset(s) committed to ${groupId}`);
    }
  } catch (error) {
    if (!(error instanceof StepStop)) throw error;
    log.outcome = error.status;
    log.reason = `${error.message}. Stopped here; continue by hand from steps.md`;
    log.steps.push({ name: 'stopped', status: error.status, detail: error.message });
  }
  return log;
}
