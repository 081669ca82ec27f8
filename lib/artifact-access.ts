import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { HandlerName } from './recovery-functions.ts';

/**
 * What each handler may do in the artifacts bucket, as key patterns under a run's prefix
 * `executions/<state machine>/<execution>/` (lambdas/aws/artifacts.ts builds the keys). A step
 * can then neither overwrite another step's record (the plan, the approval) nor read what it
 * has no use for.
 */
export interface ArtifactAccess {
  read: readonly string[];
  write: readonly string[];
  /** Only the approval endpoint deletes: its single-use marker or approval slot, when the decision did not reach Step Functions. */
  delete: readonly string[];
}

export const ARTIFACT_ACCESS: Record<HandlerName, ArtifactAccess> = {
  diagnose: { read: [], write: [], delete: [] },
  // A shard scan keeps its checkpoint under shards/partition-<n>/ and one result per group under groups/partition-<n>/.
  'blast-radius': { read: ['shards/*'], write: ['blast-radius/*', 'shards/*', 'groups/*'], delete: [] },
  'read-offsets': { read: ['groups/*'], write: ['read-offsets/*'], delete: [] },
  // The ReadOffsets Distributed Map's ResultWriter files (manifest, SUCCEEDED_n, FAILED_n) are under read-offsets/.
  'plan-target': { read: ['read-offsets/*'], write: ['plan.json'], delete: [] },
  // The shard scans' stored details feed the approval page's blast radius.
  'request-approval': { read: ['plan.json', 'blast-radius/*'], write: ['approval-request.json'], delete: [] },
  // approvals/<approval id>/<n>.json: the IAM approvals so far, one per slot (two when two are required).
  'approval-endpoint': {
    read: ['approval-request.json', 'plan.json', 'approval-consumed/*', 'approvals/*'],
    write: ['approval-consumed/*', 'approval-decision-*', 'approvals/*'],
    delete: ['approval-consumed/*', 'approvals/*'],
  },
  'seed-offsets': { read: ['plan.json', 'approval.json'], write: ['approval.json', 'seed-result.json'], delete: [] },
  verify: { read: ['plan.json'], write: ['verify-result.json'], delete: [] },
  report: { read: ['plan.json', 'blast-radius/*', 'seed-result.json', 'verify-result.json'], write: ['result.json'], delete: [] },
  'notify-failure': { read: [], write: ['failure.json'], delete: [] },
  'shard-canary': { read: [], write: [], delete: [] },
};

/** Object key patterns (relative to the bucket) for one set of run-relative patterns. */
export function artifactKeyPatterns(stateMachineName: string, patterns: readonly string[]): string[] {
  return patterns.map((pattern) => `executions/${stateMachineName}/*/${pattern}`);
}

/** Every distinct key pattern a handler's role names, for the cdk-nag acknowledgements. */
export function artifactResourcePatterns(name: HandlerName, stateMachineName: string): string[] {
  const access = ARTIFACT_ACCESS[name];
  return [...new Set(artifactKeyPatterns(stateMachineName, [...access.read, ...access.write, ...access.delete]))];
}

export function artifactStatements(name: HandlerName, bucket: s3.IBucket, stateMachineName: string): iam.PolicyStatement[] {
  const access = ARTIFACT_ACCESS[name];
  const objects = (patterns: readonly string[]): string[] => artifactKeyPatterns(stateMachineName, patterns).map((key) => bucket.arnForObjects(key));
  const statements: iam.PolicyStatement[] = [];
  if (access.read.length > 0) {
    statements.push(new iam.PolicyStatement({ sid: 'ReadEarlierArtifacts', actions: ['s3:GetObject'], resources: objects(access.read) }));
    // Without ListBucket S3 answers a missing key with 403 instead of 404, and "not there yet" becomes an error.
    statements.push(new iam.PolicyStatement({ sid: 'TellMissingArtifacts', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  }
  if (access.write.length > 0) {
    statements.push(new iam.PolicyStatement({ sid: 'StoreOwnArtifacts', actions: ['s3:PutObject'], resources: objects(access.write) }));
  }
  if (access.delete.length > 0) {
    statements.push(new iam.PolicyStatement({ sid: 'ReopenUndeliveredApprovalLinks', actions: ['s3:DeleteObject'], resources: objects(access.delete) }));
  }
  return statements;
}
