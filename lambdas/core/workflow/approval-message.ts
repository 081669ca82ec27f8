/** The approval request: what the approver receives, and the page the signed link opens. */
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
    renderPlanText(input.plan, input.planSha256, input.planLocation),
  ];
  if (input.approvalUrl) {
    lines.push('Review, then approve or reject in the browser (single-use link; opening it changes nothing):', `  ${input.approvalUrl}`, '');
  }
  lines.push(
    'Or with the AWS CLI (replace YOUR-NAME; approving binds to the plan hash above):',
    '',
    'Approve:',
    `  ${commands.approve}`,
    '',
    'Reject:',
    `  ${commands.reject}`,
    '',
    'After seeding, point the consumers of each source group at its target group name.',
  );
  return { subject, text: lines.join('\n') };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** GET page: shows the plan and a form; only the POST it submits acts. */
export function renderApprovalPage(input: { planText: string; formAction: string; executionArn: string; expiresAt: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>Approve offset recovery</title>
<style>body{font-family:sans-serif;margin:2em;max-width:70em}pre{background:#f4f4f4;padding:1em;overflow:auto}button{margin-right:1em;padding:.5em 1.5em}</style>
</head><body>
<h1>Offset recovery awaiting approval</h1>
<p>Execution <code>${escapeHtml(input.executionArn)}</code>. This link is valid until ${escapeHtml(input.expiresAt)} and works once.</p>
<pre>${escapeHtml(input.planText)}</pre>
<form method="post" action="${escapeHtml(input.formAction)}">
<p><label>Your name (recorded in the audit trail): <input name="approver" required maxlength="200"></label></p>
<p><label>Comment: <input name="comment" maxlength="1000" size="60"></label></p>
<button type="submit" name="decision" value="approve">Approve and seed</button>
<button type="submit" name="decision" value="reject">Reject</button>
</form>
</body></html>
`;
}

export function renderResultPage(title: string, message: string, status: 'ok' | 'error'): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family:sans-serif;margin:2em"><h1>${status === 'ok' ? '' : 'Not done: '}${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
}
