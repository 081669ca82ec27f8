/**
 * The approval endpoint behind a Lambda function URL. GET shows the plan and a form and never
 * acts (mail scanners and link previews open links). POST with a valid, unexpired, unused
 * signed link approves or rejects: SendTaskSuccess / SendTaskFailure, and who and when go to S3.
 */
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { RecoveryError, isRecoveryError } from '../core/errors.ts';
import { APPROVAL_REJECTED_ERROR, type ApprovalDecision, type RecoveryPlan } from '../core/workflow/documents.ts';
import { checkApprovalLink, consumeApprovalLink, parseApprovalLink, type ApprovalLink, type ApprovalMarkerStore, type LinkProblem } from '../core/workflow/approval-link.ts';
import { renderPlanText } from '../core/workflow/plan-text.ts';
import { ARTIFACT_NAMES, approvalConsumedKey, artifactKey, getJson, getJsonIfExists, putJson } from '../aws/artifacts.ts';
import { getSecretString } from '../aws/secrets.ts';
import { sendTaskFailure, sendTaskSuccess } from '../aws/step-functions.ts';
import { renderApprovalPage, renderResultPage } from './approval-page.ts';
import type { ApprovalRequestRecord } from './approval-store.ts';
import { s3MarkerStore } from './approval-store.ts';
import { ENV, optionalEnv, requireEnv } from './env.ts';
import { artifactStore, resolveDeps, type HandlerDeps } from './runtime.ts';

/** The function URL response shape (the aws-lambda type also allows a bare string, which we never send). */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
};

function page(statusCode: number, body: string): HttpResponse {
  return { statusCode, headers: SECURITY_HEADERS, body };
}

function failure(statusCode: number, title: string, message: string): HttpResponse {
  return page(statusCode, renderResultPage(title, message, 'error'));
}

const LINK_PROBLEMS: Record<LinkProblem | 'ALREADY_USED' | 'SUPERSEDED', [number, string, string]> = {
  BAD_SIGNATURE: [403, 'Invalid link', 'The link signature does not match. Open the complete link from the approval message.'],
  EXPIRED: [410, 'Link expired', 'The approval window has closed; the execution ended without writing anything. Start a new execution.'],
  ALREADY_USED: [409, 'Already decided', 'This approval link has already been used. Each link approves or rejects once.'],
  SUPERSEDED: [410, 'Link replaced', 'A newer approval request was sent for this execution; use the link from the latest message.'],
};

function problemPage(problem: keyof typeof LINK_PROBLEMS): HttpResponse {
  const [status, title, message] = LINK_PROBLEMS[problem];
  return failure(status, title, message);
}

function parseForm(event: LambdaFunctionURLEvent): URLSearchParams {
  const raw = event.body ?? '';
  return new URLSearchParams(event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw);
}

function executionBelongsTo(executionArn: string, stateMachineArn: string | undefined): boolean {
  if (!stateMachineArn) return true;
  const machine = stateMachineArn.split(':');
  const execution = executionArn.split(':');
  return execution.length >= 8 && execution[5] === 'execution' && execution[6] === machine[6] && execution.slice(0, 5).join(':') === machine.slice(0, 5).join(':');
}

interface LoadedRequest {
  link: ApprovalLink;
  signature: string;
  record: ApprovalRequestRecord;
  key: string;
}

async function loadRequest(deps: HandlerDeps, event: LambdaFunctionURLEvent): Promise<LoadedRequest | HttpResponse> {
  const { link, signature } = parseApprovalLink(event.queryStringParameters ?? {});
  if (!executionBelongsTo(link.executionArn, optionalEnv(ENV.STATE_MACHINE_ARN, deps.env))) return problemPage('BAD_SIGNATURE');
  const key = await getSecretString(deps.clients.secrets(), requireEnv(ENV.APPROVAL_SIGNING_SECRET_ARN, deps.env));
  const problem = checkApprovalLink(link, signature, key, Math.floor(deps.now().getTime() / 1000));
  if (problem !== null) return problemPage(problem);
  const store = artifactStore(deps);
  const stored = await getJsonIfExists<ApprovalRequestRecord>(store.s3, { bucket: store.bucket, key: artifactKey(link.executionArn, ARTIFACT_NAMES.approvalRequest) });
  if (!stored) return failure(404, 'Unknown approval', 'No approval request is stored for this execution.');
  if (stored.document.approvalId !== link.approvalId) return problemPage('SUPERSEDED');
  return { link, signature, record: stored.document, key };
}

async function showPlan(deps: HandlerDeps, event: LambdaFunctionURLEvent): Promise<HttpResponse> {
  const loaded = await loadRequest(deps, event);
  if ('statusCode' in loaded) return loaded;
  const store = artifactStore(deps);
  const consumed = await getJsonIfExists(store.s3, { bucket: store.bucket, key: approvalConsumedKey(loaded.link.executionArn, loaded.link.approvalId) });
  if (consumed) return problemPage('ALREADY_USED');
  const plan = await getJson<RecoveryPlan>(store.s3, loaded.record.plan);
  const planText = renderPlanText(plan, loaded.record.planSha256, `s3://${loaded.record.plan.bucket}/${loaded.record.plan.key}`);
  return page(
    200,
    renderApprovalPage({
      planText,
      formAction: `?${event.rawQueryString}`,
      executionArn: loaded.link.executionArn,
      expiresAt: new Date(loaded.link.expiresAt * 1000).toISOString(),
    }),
  );
}

/**
 * The decision did not reach Step Functions (throttled, a 5xx, a network error after the SDK's
 * own retries): the link is given back so that the approver can press the button again.
 */
async function releaseAfterUndelivered(deps: HandlerDeps, markers: ApprovalMarkerStore, link: ApprovalLink, error: unknown): Promise<HttpResponse> {
  deps.logger.warn('decision not delivered; releasing the link', { executionArn: link.executionArn, error: error instanceof RecoveryError ? error.toJSON() : String(error) });
  try {
    await markers.release(link);
  } catch (releaseError) {
    deps.logger.error('link release failed', { executionArn: link.executionArn, error: String(releaseError) });
    return failure(503, 'Decision not recorded', 'Step Functions did not take the decision and this link could not be reopened. Decide with the CLI commands from the approval message.');
  }
  const why = isRecoveryError(error) && !error.retryable ? `Step Functions refused it (${error.message})` : 'Step Functions did not take the decision (a temporary AWS error)';
  return failure(503, 'Decision not recorded', `${why}. Nothing changed and the link still works: go back and press the button again.`);
}

async function decide(deps: HandlerDeps, event: LambdaFunctionURLEvent): Promise<HttpResponse> {
  const form = parseForm(event);
  const decision = form.get('decision');
  const approver = (form.get('approver') ?? '').trim();
  const comment = (form.get('comment') ?? '').trim().slice(0, 1000) || null;
  if (decision !== 'approve' && decision !== 'reject') return failure(400, 'No decision', 'decision: use the Approve or Reject button.');
  if (approver === '' || approver.length > 200) return failure(400, 'Name missing', 'approver: enter your name (up to 200 characters); it goes into the audit trail.');

  const loaded = await loadRequest(deps, event);
  if ('statusCode' in loaded) return loaded;
  const store = artifactStore(deps);
  const now = deps.now();
  const audit = {
    decision,
    approvedBy: approver,
    comment,
    at: now.toISOString(),
    approvalId: loaded.link.approvalId,
    planSha256: loaded.record.planSha256,
    sourceIp: event.requestContext?.http?.sourceIp ?? null,
    userAgent: event.requestContext?.http?.userAgent ?? null,
  };
  const markers = s3MarkerStore(store);
  const claim = await consumeApprovalLink(markers, loaded.link, loaded.signature, loaded.key, Math.floor(now.getTime() / 1000), audit);
  if (!claim.consumed) return problemPage(claim.problem);

  try {
    if (decision === 'approve') {
      const output: ApprovalDecision = {
        approved: true,
        planSha256: loaded.record.planSha256,
        approvedBy: approver,
        approvedAt: audit.at,
        channel: 'link',
        approvalId: loaded.link.approvalId,
        comment,
      };
      await sendTaskSuccess(deps.clients.sfn(), loaded.record.taskToken, output);
    } else {
      await sendTaskFailure(deps.clients.sfn(), loaded.record.taskToken, APPROVAL_REJECTED_ERROR, `Rejected by ${approver}${comment ? `: ${comment}` : ''}`);
    }
  } catch (error) {
    if (isRecoveryError(error) && error.code === 'NOT_FOUND') return failure(410, 'Execution no longer waiting', error.message);
    return releaseAfterUndelivered(deps, markers, loaded.link, error);
  }
  // Step Functions has the decision; the audit copy failing must not make the page say otherwise.
  try {
    await putJson(store, artifactKey(loaded.link.executionArn, `approval-decision-${loaded.link.approvalId}.json`), audit);
  } catch (error) {
    deps.logger.error('approval decided but its audit record was not stored', { executionArn: loaded.link.executionArn, error: String(error) });
  }
  deps.logger.info('approval decided', { executionArn: loaded.link.executionArn, decision, approvedBy: approver });
  return page(
    200,
    renderResultPage(
      decision === 'approve' ? 'Approved' : 'Rejected',
      decision === 'approve'
        ? 'The execution continues: it seeds the planned offsets, verifies them and sends the report.'
        : 'The execution ends without writing anything.',
      'ok',
    ),
  );
}

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return async (event: LambdaFunctionURLEvent): Promise<HttpResponse> => {
    const deps = resolveDeps(overrides);
    const method = event.requestContext?.http?.method ?? 'GET';
    try {
      if (method === 'GET') return await showPlan(deps, event);
      if (method === 'POST') return await decide(deps, event);
      return { ...failure(405, 'Method not allowed', 'Use GET to view the plan and the form to decide.'), headers: { ...SECURITY_HEADERS, allow: 'GET, POST' } };
    } catch (error) {
      if (isRecoveryError(error) && error.code === 'INVALID_INPUT') return failure(400, 'Bad link', error.message);
      deps.logger.error('approval endpoint failed', { error: error instanceof RecoveryError ? error.toJSON() : String(error) });
      return failure(500, 'Something went wrong', 'The decision was not recorded unless a later page says so. Use the CLI commands from the approval message instead.');
    }
  };
}

export const handler = createHandler();
