/**
 * `approve` and `reject`: decide a plan the AWS runbook waits on, as yourself. The request is
 * signed with your AWS credentials (the SDK's default chain) and sent to the stack's AWS_IAM
 * approval URL, which records your IAM identity; no task token is involved.
 */
import { RecoveryError, invalidInput } from '../../../lambdas/core/errors.ts';
import type { Command, CommandContext, CommandInput, CommandResult } from '../command.ts';
import { EXIT_OK } from '../exit-codes.ts';

const URL_ENV = 'COORDINATOR_RECOVERY_APPROVAL_URL';

const FLAGS: Command['flags'] = {
  execution: { type: 'string', placeholder: 'ARN', description: 'the execution waiting for approval (from the approval message)' },
  'plan-sha256': { type: 'string', placeholder: 'H', description: 'the sha256 of the plan you decide on (from the approval message); another plan is refused' },
  url: { type: 'string', placeholder: 'URL', description: `the stack's AWS_IAM approval URL (stack output ApprovalIamEndpointUrl; default ${URL_ENV})` },
  reason: { type: 'string', placeholder: 'TEXT', description: 'why; goes into the audit trail (for reject: into the failure notice)' },
  region: { type: 'string', placeholder: 'REGION', description: 'signing region; default the URL\'s, then the execution ARN\'s' },
};

function required(flags: CommandInput['flags'], name: string, fix: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.trim() === '') throw invalidInput(`--${name}`, 'is missing', fix);
  return value.trim();
}

async function decide(decision: 'approve' | 'reject', context: CommandContext, { flags }: CommandInput): Promise<CommandResult> {
  const executionArn = required(flags, 'execution', 'Copy the execution ARN from the approval message');
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(executionArn)) {
    throw invalidInput('--execution', `"${executionArn}" is not a Step Functions execution ARN`, 'Copy it from the approval message: arn:aws:states:<region>:<account>:execution:<state machine>:<name>');
  }
  const planSha256 = required(flags, 'plan-sha256', 'Copy the plan sha256 from the approval message');
  if (!/^[0-9a-f]{64}$/.test(planSha256)) throw invalidInput('--plan-sha256', `"${planSha256}" is not a sha256`, 'Copy the 64 hex characters from the approval message');
  const urlText = typeof flags['url'] === 'string' && flags['url'] !== '' ? flags['url'] : context.io.env[URL_ENV];
  if (urlText === undefined || urlText === '') throw invalidInput('--url', 'is missing', `Copy it from the approval message, or set ${URL_ENV} to the stack output ApprovalIamEndpointUrl`);
  const reason = typeof flags['reason'] === 'string' && flags['reason'].trim() !== '' ? flags['reason'].trim() : null;
  if (reason !== null && reason.length > 1000) throw invalidInput('--reason', `is ${reason.length} characters long`, 'Keep it under 1000 characters');

  // Loaded only here: the signer and the credential chain are not needed by any other command.
  const { functionUrlRegion, parseApprovalUrl, sendSignedDecision } = await import('../../../lambdas/aws/approval-url-client.ts');
  const url = parseApprovalUrl(urlText, '--url');
  const region = (typeof flags['region'] === 'string' && flags['region']) || functionUrlRegion(url) || executionArn.split(':')[3]!;
  context.progress(`signing the ${decision} for ${executionArn} with your AWS credentials (${region})`);
  const answer = await sendSignedDecision({ decision, executionArn, planSha256, reason }, { url: url.toString(), region });
  const body = answer.body;
  const message = body?.message ?? answer.text.slice(0, 500);
  if (answer.httpStatus === 403 && body?.status === undefined) {
    throw new RecoveryError('AWS_ERROR', `The approval URL refused the request (403 Forbidden): these credentials may not call it. Attach the stack's approvers' policy (stack output ApproversPolicyArn) to your role, check --url, and that your clock is right.`);
  }
  if (answer.httpStatus >= 400) {
    if (body?.field) throw new RecoveryError('INVALID_INPUT', message, { details: { field: body.field } });
    if (answer.httpStatus === 409) throw new RecoveryError('REFUSED', `refused: ${message}`);
    throw new RecoveryError('AWS_ERROR', `The approval endpoint answered ${answer.httpStatus}: ${message}`, { retryable: answer.httpStatus >= 500 });
  }
  const data = { decision, executionArn, planSha256, status: body?.status ?? 'UNKNOWN', principalArn: body?.principalArn ?? null, approvers: body?.approvers ?? [], message };
  return { data, human: () => `${data.status}: ${message}`, exitCode: EXIT_OK };
}

const EXECUTION_EXAMPLE = 'arn:aws:states:eu-west-1:111122223333:execution:CoordinatorRecovery-runbook:incident-4711';

function details(verb: 'approve' | 'reject'): string {
  const extra = verb === 'reject' ? " --reason 'wrong target for billing'" : '';
  return `Example: coordinator-recovery ${verb} --execution ${EXECUTION_EXAMPLE} --plan-sha256 <64 hex> --url https://<id>.lambda-url.eu-west-1.on.aws/${extra}
(the approval message prints the exact command). Decides a plan the AWS runbook waits on
(recovery:approvalMode iam or both) as your IAM identity: the request is signed with SigV4 using your
AWS credentials (environment, SSO, profile or role), and the stack records the caller ARN in
approval.json and the report. Your role needs the stack's approvers' policy (output ApproversPolicyArn).
With recovery:approvalsRequired 2 the first approval answers WAITING_FOR_APPROVER; a second, different
principal completes it. A reject by anyone ends the run with nothing written.`;
}

export const approveCommand: Command = {
  name: 'approve',
  summary: 'approve a plan the AWS runbook waits on, signed as your IAM identity',
  positionals: [],
  flags: FLAGS,
  details: details('approve'),
  run: (context, input) => decide('approve', context, input),
};

export const rejectCommand: Command = {
  name: 'reject',
  summary: 'reject a plan the AWS runbook waits on, signed as your IAM identity',
  positionals: [],
  flags: FLAGS,
  details: details('reject'),
  run: (context, input) => decide('reject', context, input),
};
