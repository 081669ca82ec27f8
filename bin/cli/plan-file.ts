/**
 * The plan file the CLI writes and seeds from: the workflow's RecoveryPlan document, its sha256
 * beside it (`<plan>.sha256`, sha256sum's format) and, after seeding, the approval record
 * (`<plan>.approval.json`). The hash binds the approval to the exact bytes that were reviewed.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { invalidInput, refusedForSafety } from '../../lambdas/core/errors.ts';
import { CONSUMER_OFFSETS_TOPIC, type KafkaPort } from '../../lambdas/core/ports.ts';
import type { RecoveryPlan } from '../../lambdas/core/workflow/documents.ts';

/** Plans made by the CLI name the cluster by its id; workflow plans by the MSK cluster ARN. */
export const CLUSTER_ID_PREFIX = 'kafka-cluster-id:';

export function planBytes(plan: RecoveryPlan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hashFileOf(planPath: string): string {
  return `${planPath}.sha256`;
}

export function approvalFileOf(planPath: string): string {
  return `${planPath.replace(/\.json$/, '')}.approval.json`;
}

export function writePlanFiles(planPath: string, plan: RecoveryPlan): string {
  const bytes = planBytes(plan);
  const hash = sha256Hex(bytes);
  writeFileSync(planPath, bytes);
  writeFileSync(hashFileOf(planPath), `${hash}  ${basename(planPath)}\n`);
  return hash;
}

export interface LoadedPlan {
  plan: RecoveryPlan;
  sha256: string;
}

/**
 * Reads the plan and checks its bytes against the hash written beside it and, when given, the
 * hash the reviewer was shown (`--plan-sha256`). An edited plan is refused, never "repaired".
 */
export function loadPlanFile(planPath: string, readFile: (path: string) => Buffer, expectedSha256: string | undefined): LoadedPlan {
  let bytes: Buffer;
  try {
    bytes = readFile(planPath);
  } catch (error) {
    throw invalidInput('--plan', `cannot read ${planPath} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'Pass the file written by "coordinator-recovery plan --out FILE"');
  }
  const sha256 = sha256Hex(bytes);
  if (expectedSha256 !== undefined && expectedSha256.trim().toLowerCase() !== sha256) {
    throw refusedForSafety(`--plan-sha256: ${planPath} hashes to ${sha256}, not ${expectedSha256.trim()}: it is not the plan that was reviewed`, 'Plan again and review the new plan', { field: '--plan-sha256' });
  }
  const hashFile = hashFileOf(planPath);
  if (existsSync(hashFile)) {
    const recorded = readFile(hashFile).toString('utf8').trim().split(/\s+/)[0] ?? '';
    if (recorded !== sha256) {
      throw refusedForSafety(`--plan: ${planPath} was changed after it was planned (sha256 ${sha256}, ${basename(hashFile)} says ${recorded})`, 'Plan again instead of editing the plan', { field: '--plan' });
    }
  } else if (expectedSha256 === undefined) {
    throw invalidInput('--plan', `${basename(hashFile)} is missing beside the plan, so nothing shows the plan is the reviewed one`, 'Keep the .sha256 file the plan command wrote next to it, or pass --plan-sha256 HASH');
  }
  let plan: RecoveryPlan;
  try {
    plan = JSON.parse(bytes.toString('utf8')) as RecoveryPlan;
  } catch {
    throw invalidInput('--plan', `${planPath} is not JSON`, 'Pass the file written by "coordinator-recovery plan --out FILE"');
  }
  if (typeof plan !== 'object' || plan === null || !Array.isArray(plan.groups) || typeof plan.clusterArn !== 'string') {
    throw invalidInput('--plan', `${planPath} is not a recovery plan (no groups or clusterArn)`, 'Pass the file written by "coordinator-recovery plan --out FILE"');
  }
  return { plan, sha256 };
}

export async function clusterIdentity(port: KafkaPort): Promise<string> {
  const metadata = await port.metadata([CONSUMER_OFFSETS_TOPIC]);
  return `${CLUSTER_ID_PREFIX}${metadata.clusterId ?? 'unknown'}`;
}

/** The plan must be for the cluster the command is connected to. */
export async function requireSameCluster(port: KafkaPort, plan: RecoveryPlan, clusterArnFlag: string | undefined): Promise<void> {
  if (plan.clusterArn.startsWith(CLUSTER_ID_PREFIX)) {
    const here = await clusterIdentity(port);
    if (here !== plan.clusterArn) {
      throw refusedForSafety(`--plan: the plan is for ${plan.clusterArn}, but --bootstrap reaches ${here}`, 'Connect to the cluster the plan was made on', { field: '--bootstrap' });
    }
    return;
  }
  if (clusterArnFlag !== plan.clusterArn) {
    throw refusedForSafety(`--cluster-arn: the plan is for ${plan.clusterArn}, and nothing shows --bootstrap reaches it`, `Pass --cluster-arn ${plan.clusterArn} to confirm it does`, { field: '--cluster-arn' });
  }
}
