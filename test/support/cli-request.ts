import type { RecoveryRequest } from '../../lambdas/core/workflow/documents.ts';

/** A request as the CLI makes it for `groups` on the cluster `clusterName`, every broker line so far inside its window. */
export function cliRequest(clusterName: string, groups: string[], executionName: string): RecoveryRequest {
  return {
    clusterArn: `arn:aws:kafka:eu-west-1:123456789012:cluster/${clusterName}/0a1b2c3d`,
    region: 'eu-west-1',
    groups,
    window: { since: 0, until: Date.now() + 60_000 },
    targetNames: {},
    overwriteExistingTargetOffsets: false,
    restoreInPlace: false,
    authMode: 'iam',
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:runbook:${executionName}`,
    trigger: { source: 'cli', alarmName: null, alarmTime: null },
    comment: null,
  };
}
