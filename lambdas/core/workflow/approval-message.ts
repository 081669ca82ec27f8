/** The approval request as the approver receives it: the plain-text mail with its CLI commands. */
import type { RecoveryPlan } from './documents.ts';
import { APPROVAL_REJECTED_ERROR } from './documents.ts';
import { renderPlanText } from './plan-text.ts';

export interface ApprovalMessageInput {
  plan: RecoveryPlan;
  planSha256: string;
  planLocation: string; // s3://bucket/key
  taskToken: string;
  region: string;
  executionArn: string;
  approvalUrl: string | null;
  expiresAt: string; // ISO-8601
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function cliCommands(input: Pick<ApprovalMessageInput, 'taskToken' | 'region' | 'planSha256'>): { approve: string; reject: string } {
  const output = JSON.stringify({ approved: true, planSha256: input.planSha256, approvedBy: 'YOUR-NAME', channel: 'cli' });
  return {
    approve: `aws stepfunctions send-task-success --region ${input.region} --task-token ${shellQuote(input.taskToken)} --task-output ${shellQuote(output)}`,
    reject: `aws stepfunctions send-task-failure --region ${input.region} --task-token ${shellQuote(input.taskToken)} --error ${APPROVAL_REJECTED_ERROR} --cause ${shellQuote('Rejected by YOUR-NAME: REASON')}`,
  };
}

export function renderApprovalMessage(input: ApprovalMessageInput): { subject: string; text: string } {
  const seeded = input.plan.groups.filter((g) => !g.blocked);
  const subject = `Approve offset recovery: ${seeded.length} group(s) -> ${seeded.map((g) => g.targetGroup).join(', ') || 'nothing to seed'}`;
  const commands = cliCommands(input);
  const lines = [
    'A Kafka group coordinator failed. The runbook recovered the groups\' committed offsets and waits for your approval',
    'before committing them to the new group(s) below. Nothing has been written to Kafka yet.',
    '',
    `Execution: ${input.executionArn}`,
    `Approval open until: ${input.expiresAt} (then the execution ends and nothing is written)`,
    '',
  ];
  // How to decide comes before the plan: SNS cuts a long message (hundreds of groups) at its
  // end, and the cut may take plan lines (they are in S3 too) but never the link or the commands.
  if (input.approvalUrl) {
    lines.push('Review the plan below, then approve or reject in the browser (single-use link; opening it changes nothing):', `  ${input.approvalUrl}`, '');
  }
  lines.push(
    `${input.approvalUrl ? 'Or with' : 'Review the plan below, then decide with'} the AWS CLI (replace YOUR-NAME; approving binds to the plan hash below):`,
    '',
    'Approve:',
    `  ${commands.approve}`,
    '',
    'Reject:',
    `  ${commands.reject}`,
    '',
    'After seeding, point the consumers of each source group at its target group name.',
    '',
    renderPlanText(input.plan, input.planSha256, input.planLocation),
  );
  return { subject, text: lines.join('\n') };
}
