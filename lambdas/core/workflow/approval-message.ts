/** The approval request as the approver receives it: the plain-text mail with its CLI commands. */
import type { RecoveryPlan } from './documents.ts';
import { renderPlanText } from './plan-text.ts';

export interface ApprovalMessageInput {
  plan: RecoveryPlan;
  planSha256: string;
  planLocation: string; // s3://bucket/key
  executionArn: string;
  /** The signed link (approval modes link and both), else null. */
  approvalUrl: string | null;
  /** The signed-CLI commands (approval modes iam and both), else null. */
  commands: { approve: string; reject: string } | null;
  /** Distinct IAM principals that must approve (1 or 2). */
  approvalsRequired?: number;
  /** What the link page may decide (default both); none: it only shows the plan. */
  linkDecisions?: readonly ('approve' | 'reject')[];
  expiresAt: string; // ISO-8601
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The commands an approver runs with their own AWS credentials: the CLI signs the request to the
 * stack's AWS_IAM function URL, so the decision carries a verified identity and no task token
 * ever travels by mail.
 */
export function cliCommands(input: { executionArn: string; planSha256: string; url: string }): { approve: string; reject: string } {
  const common = `--execution ${shellQuote(input.executionArn)} --plan-sha256 ${input.planSha256} --url ${shellQuote(input.url)}`;
  return {
    approve: `coordinator-recovery approve ${common}`,
    reject: `coordinator-recovery reject ${common} --reason ${shellQuote('REASON')}`,
  };
}

function linkIntro(decisions: readonly ('approve' | 'reject')[]): string {
  if (decisions.includes('approve')) return 'Review the plan below, then approve or reject in the browser (single-use link; opening it changes nothing):';
  if (decisions.includes('reject')) return 'Review in the browser (the page can reject; approving needs the commands below):';
  return 'Review the plan in the browser (the page only shows it; decide with the commands below):';
}

export function renderApprovalMessage(input: ApprovalMessageInput): { subject: string; text: string } {
  const seeded = input.plan.groups.filter((g) => !g.blocked);
  const names = seeded.map((g) => (g.restore === 'IN_PLACE' ? `${g.targetGroup} (in place)` : g.targetGroup));
  const subject = `Approve offset recovery: ${seeded.length} group(s) -> ${names.join(', ') || 'nothing to seed'}`;
  const lines = [
    'A Kafka group coordinator failed. The runbook recovered the groups\' committed offsets and waits for your approval',
    input.plan.restoreInPlace
      ? 'before committing them back into the same group(s) below (restore in place). Nothing has been written to Kafka yet.'
      : 'before committing them to the new group(s) below. Nothing has been written to Kafka yet.',
    '',
    `Execution: ${input.executionArn}`,
    `Approval open until: ${input.expiresAt} (then the execution ends and nothing is written)`,
    '',
  ];
  // How to decide comes before the plan: SNS cuts a long mail (hundreds of groups) at its end,
  // and the cut may take plan lines, which are in S3 too, but never the link or the commands.
  const two = (input.approvalsRequired ?? 1) > 1;
  if (input.approvalUrl) {
    lines.push(
      linkIntro(input.linkDecisions ?? ['approve', 'reject']),
      `  ${input.approvalUrl}`,
      '',
    );
  }
  if (input.commands) {
    lines.push(
      `${input.approvalUrl ? 'Or decide' : 'Decide'} from a terminal with your own AWS credentials (the caller's IAM identity is recorded; approving binds to the plan hash below${two ? `; ${input.approvalsRequired} different IAM principals must approve` : ''}):`,
      '',
      'Approve:',
      `  ${input.commands.approve}`,
      '',
      'Reject:',
      `  ${input.commands.reject}`,
      '',
    );
  }
  lines.push(input.plan.restoreInPlace ? 'After seeding, restart the consumers of each group unchanged.' : 'After seeding, point the consumers of each source group at its target group name.');
  lines.push('', renderPlanText(input.plan, input.planSha256, input.planLocation));
  return { subject, text: lines.join('\n') };
}
