/**
 * The IAM path of the approval endpoint: requests that reach the function through its AWS_IAM
 * function URL, signed with SigV4 by `coordinator-recovery approve|reject`. Lambda verified the
 * signature and puts the caller in `requestContext.authorizer.iam`, which only the function URL
 * service can fill, so the caller ARN recorded here is an identity AWS vouches for.
 */
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { RecoveryError, isRecoveryError } from '../core/errors.ts';
import { APPROVAL_REJECTED_ERROR, type ApprovalDecision } from '../core/workflow/documents.ts';
import { addApproval, iamMayDecide, type ApprovalSettings, type RecordedApproval } from '../core/workflow/approval-quorum.ts';
import { ARTIFACT_NAMES, artifactKey, getJsonIfExists, putJson } from '../aws/artifacts.ts';
import { sendTaskFailure, sendTaskSuccess } from '../aws/step-functions.ts';
import { s3ApprovalSlots, type ApprovalRequestRecord } from './approval-store.ts';
import { executionBelongsTo } from './execution-arn.ts';
import { ENV, optionalEnv } from './env.ts';
import { artifactStore, type HandlerDeps } from './runtime.ts';
import type { HttpResponse } from './http-response.ts';

/** What the CLI sends (JSON body of a POST). */
export interface IamDecisionRequest {
  decision: 'approve' | 'reject';
  executionArn: string;
  planSha256: string;
  reason: string | null;
}

export type IamDecisionStatus = 'APPROVED' | 'WAITING_FOR_APPROVER' | 'REJECTED' | 'REFUSED';

/** What the CLI receives; `field` names the flag to fix when the request was refused for its input. */
export interface IamDecisionResponse {
  status: IamDecisionStatus;
  message: string;
  executionArn?: string;
  principalArn?: string;
  approvers?: RecordedApproval[];
  field?: string;
}

export function iamCaller(event: LambdaFunctionURLEvent): string | null {
  const iam = (event.requestContext as { authorizer?: { iam?: { userArn?: unknown } } } | undefined)?.authorizer?.iam;
  return iam && typeof iam.userArn === 'string' && iam.userArn !== '' ? iam.userArn : null;
}

function json(statusCode: number, body: IamDecisionResponse): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
}

function refused(statusCode: number, message: string, field?: string): HttpResponse {
  return json(statusCode, { status: 'REFUSED', message, ...(field ? { field } : {}) });
}

/** Each problem names the CLI flag that carries the field. */
export function parseIamDecisionRequest(event: LambdaFunctionURLEvent): IamDecisionRequest | HttpResponse {
  const raw = event.body ?? '';
  let body: unknown;
  try {
    body = JSON.parse(event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw);
  } catch {
    return refused(400, 'The request body is not JSON; send {"decision","executionArn","planSha256","reason"} (coordinator-recovery approve|reject does)');
  }
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const decision = fields['decision'];
  if (decision !== 'approve' && decision !== 'reject') return refused(400, 'decision: use coordinator-recovery approve or coordinator-recovery reject', 'decision');
  const executionArn = fields['executionArn'];
  if (typeof executionArn !== 'string' || executionArn === '') return refused(400, '--execution: give the execution ARN from the approval message', '--execution');
  const planSha256 = fields['planSha256'];
  if (typeof planSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(planSha256)) {
    return refused(400, '--plan-sha256: give the 64-character plan sha256 from the approval message', '--plan-sha256');
  }
  const reason = fields['reason'];
  if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.length > 1000)) return refused(400, '--reason: give up to 1000 characters of text', '--reason');
  return { decision, executionArn, planSha256, reason: typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : null };
}

export async function decideByIam(deps: HandlerDeps, event: LambdaFunctionURLEvent, settings: ApprovalSettings): Promise<HttpResponse> {
  const principalArn = iamCaller(event);
  // Only the AWS_IAM function URL fills authorizer.iam; without it the request did not come that way.
  if (principalArn === null) return refused(403, 'The request carries no verified IAM identity; sign it with SigV4 (coordinator-recovery approve|reject)');
  if ((event.requestContext?.http?.method ?? 'GET') !== 'POST') return { ...refused(405, 'POST a decision (coordinator-recovery approve|reject)'), headers: { 'content-type': 'application/json', allow: 'POST' } };
  if (!iamMayDecide(settings)) return refused(403, 'This stack takes decisions by signed link only (recovery:approvalMode is link); use the link from the approval message');
  const request = parseIamDecisionRequest(event);
  if ('statusCode' in request) return request;
  if (!executionBelongsTo(request.executionArn, optionalEnv(ENV.STATE_MACHINE_ARN, deps.env))) {
    return refused(400, `--execution: ${request.executionArn} is not an execution of this stack's state machine`, '--execution');
  }
  const store = artifactStore(deps);
  const stored = await getJsonIfExists<ApprovalRequestRecord>(store.s3, { bucket: store.bucket, key: artifactKey(request.executionArn, ARTIFACT_NAMES.approvalRequest) });
  if (!stored) return refused(404, `--execution: no approval request is stored for ${request.executionArn}; check the ARN in the approval message`, '--execution');
  const record = stored.document;
  const now = deps.now();
  if (Math.floor(now.getTime() / 1000) >= record.expiresAt) return refused(410, 'The approval window has closed; the execution ended without writing anything. Start a new execution.');
  if (request.planSha256 !== record.planSha256) {
    return refused(409, `--plan-sha256: ${request.planSha256} is not the plan awaiting approval (${record.planSha256}); read the latest approval message and decide on that plan`, '--plan-sha256');
  }
  const base = { executionArn: request.executionArn, principalArn };
  if (request.decision === 'reject') return reject(deps, record, base, request.reason);

  const slots = s3ApprovalSlots(store, request.executionArn, record.approvalId);
  const approval: RecordedApproval = { principalArn, at: now.toISOString(), comment: request.reason };
  const result = await addApproval(slots, approval, settings.required);
  switch (result.kind) {
    case 'WAITING':
      deps.logger.info('approval recorded, waiting for another approver', { executionArn: request.executionArn, principalArn });
      return json(202, { ...base, status: 'WAITING_FOR_APPROVER', approvers: result.approvals, message: `Recorded your approval. ${result.missing} more approval(s) from a different IAM principal are needed before seeding starts.` });
    case 'DUPLICATE':
      return json(409, { ...base, status: 'REFUSED', approvers: result.approvals, message: `${principalArn} has already approved; the same principal twice does not count. A different IAM principal must approve.` });
    case 'ALREADY_COMPLETE':
      return json(409, { ...base, status: 'REFUSED', approvers: result.approvals, message: `Already approved by ${result.approvals.map((a) => a.principalArn).join(' and ')}.` });
    case 'COMPLETE':
      break;
  }
  const decision: ApprovalDecision = {
    approved: true,
    planSha256: record.planSha256,
    approvedBy: result.approvals.map((a) => a.principalArn).join(' and '),
    approvedAt: now.toISOString(),
    channel: 'iam',
    approvalId: record.approvalId,
    comment: result.approvals.map((a) => a.comment).filter((c) => c !== null).join(' | ') || null,
    approvers: result.approvals,
  };
  try {
    await sendTaskSuccess(deps.clients.sfn(), record.taskToken, decision);
  } catch (error) {
    if (isRecoveryError(error) && error.code === 'NOT_FOUND') return refused(410, `The execution no longer waits for a decision: ${error.message}`);
    // Given back, so the approver can simply run the command again.
    await slots.release(result.slot).catch((releaseError: unknown) => deps.logger.error('approval slot release failed', { error: String(releaseError) }));
    const why = isRecoveryError(error) && !error.retryable ? `Step Functions refused it (${error.message})` : 'Step Functions did not take the decision (a temporary AWS error)';
    return refused(503, `${why}. Nothing changed; run the same command again.`);
  }
  await putJson(store, artifactKey(request.executionArn, `approval-decision-${record.approvalId}.json`), { decision: 'approve', ...decision }).catch((error: unknown) =>
    deps.logger.error('approval decided but its audit record was not stored', { error: String(error) }),
  );
  deps.logger.info('approval decided', { executionArn: request.executionArn, decision: 'approve', approvedBy: decision.approvedBy, channel: 'iam' });
  return json(200, { ...base, status: 'APPROVED', approvers: result.approvals, message: `Approved by ${decision.approvedBy}. SeedOffsets runs now.` });
}

async function reject(deps: HandlerDeps, record: ApprovalRequestRecord, base: { executionArn: string; principalArn: string }, reason: string | null): Promise<HttpResponse> {
  try {
    await sendTaskFailure(deps.clients.sfn(), record.taskToken, APPROVAL_REJECTED_ERROR, `Rejected by ${base.principalArn}${reason ? `: ${reason}` : ''}`);
  } catch (error) {
    if (isRecoveryError(error) && error.code === 'NOT_FOUND') return refused(410, `The execution no longer waits for a decision: ${error.message}`);
    if (error instanceof RecoveryError) return refused(503, `Step Functions did not take the rejection (${error.message}); run the same command again.`);
    throw error;
  }
  deps.logger.info('approval decided', { executionArn: base.executionArn, decision: 'reject', rejectedBy: base.principalArn, channel: 'iam' });
  return json(200, { ...base, status: 'REJECTED', message: `Rejected by ${base.principalArn}. Nothing was written to Kafka.` });
}
