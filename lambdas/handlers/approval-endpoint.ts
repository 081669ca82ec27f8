/**
 * The approval endpoint behind two Lambda function URLs. The public one (auth NONE) serves signed
 * links: GET shows the plan and never acts (mail scanners and link previews open links); POST
 * with a valid, unexpired, unused link approves or rejects when the stack's approval mode lets
 * links decide. The AWS_IAM one (an alias of the same function) takes SigV4-signed decisions from
 * `coordinator-recovery approve|reject` (approval-iam.ts). Link checks answer from memory: the
 * signing key is cached, so a forged or expired link costs no AWS call.
 */
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { RecoveryError, isRecoveryError } from '../core/errors.ts';
import { APPROVAL_REJECTED_ERROR, type ApprovalDecision, type RecoveryPlan } from '../core/workflow/documents.ts';
import { consumeApprovalLink, keySigning, parseApprovalLink, type ApprovalLink, type ApprovalMarkerStore, type LinkProblem } from '../core/workflow/approval-link.ts';
import { linkDecisions, linkRefusal, parseApprovalSettings, type ApprovalSettings } from '../core/workflow/approval-quorum.ts';
import { ARTIFACT_NAMES, approvalConsumedKey, artifactKey, getJson, getJsonIfExists, putJson } from '../aws/artifacts.ts';
import { sendTaskFailure, sendTaskSuccess } from '../aws/step-functions.ts';
import { decideByIam, iamCaller } from './approval-iam.ts';
import { renderApprovalPage, renderResultPage } from './approval-page.ts';
import type { ApprovalRequestRecord } from './approval-store.ts';
import { s3MarkerStore } from './approval-store.ts';
import { ENV, optionalEnv, requireEnv } from './env.ts';
import { executionBelongsTo } from './execution-arn.ts';
import type { HttpResponse } from './http-response.ts';
import { artifactStore, resolveDeps, type HandlerDeps } from './runtime.ts';
import { SigningKeyCache } from './signing-keys.ts';

export type { HttpResponse } from './http-response.ts';

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

function failure(statusCode: number, title: string, message: string, executionArn?: string): HttpResponse {
  return page(statusCode, renderResultPage({ title, message, status: 'error', ...(executionArn ? { executionArn } : {}) }));
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

interface LoadedRequest {
  link: ApprovalLink;
  signature: string;
  record: ApprovalRequestRecord;
  key: string;
}

async function loadRequest(deps: HandlerDeps, event: LambdaFunctionURLEvent, keys: SigningKeyCache): Promise<LoadedRequest | HttpResponse> {
  const { link, signature } = parseApprovalLink(event.queryStringParameters ?? {});
  if (!executionBelongsTo(link.executionArn, optionalEnv(ENV.STATE_MACHINE_ARN, deps.env))) return problemPage('BAD_SIGNATURE');
  // The expiry is part of what is signed, so an expired link is refused before any key is needed.
  if (Math.floor(deps.now().getTime() / 1000) >= link.expiresAt) return problemPage('EXPIRED');
  const secrets = deps.clients.secrets();
  const secretArn = requireEnv(ENV.APPROVAL_SIGNING_SECRET_ARN, deps.env);
  const cached = await keys.get(secrets, secretArn);
  let key = keySigning(link, signature, [cached.current, cached.previous]);
  if (key === null && (await keys.refreshAfterMismatch(secrets, secretArn))) {
    const fresh = await keys.get(secrets, secretArn);
    key = keySigning(link, signature, [fresh.current, fresh.previous]);
  }
  if (key === null) return problemPage('BAD_SIGNATURE');
  const store = artifactStore(deps);
  const stored = await getJsonIfExists<ApprovalRequestRecord>(store.s3, { bucket: store.bucket, key: artifactKey(link.executionArn, ARTIFACT_NAMES.approvalRequest) });
  if (!stored) return failure(404, 'Unknown approval', 'No approval request is stored for this execution.');
  if (stored.document.approvalId !== link.approvalId) return problemPage('SUPERSEDED');
  return { link, signature, record: stored.document, key };
}

async function showPlan(deps: HandlerDeps, event: LambdaFunctionURLEvent, keys: SigningKeyCache, settings: ApprovalSettings): Promise<HttpResponse> {
  const loaded = await loadRequest(deps, event, keys);
  if ('statusCode' in loaded) return loaded;
  const store = artifactStore(deps);
  const consumed = await getJsonIfExists(store.s3, { bucket: store.bucket, key: approvalConsumedKey(loaded.link.executionArn, loaded.link.approvalId) });
  if (consumed) return problemPage('ALREADY_USED');
  const plan = await getJson<RecoveryPlan>(store.s3, loaded.record.plan);
  return page(
    200,
    renderApprovalPage({
      plan,
      planSha256: loaded.record.planSha256,
      planLocation: `s3://${loaded.record.plan.bucket}/${loaded.record.plan.key}`,
      executionArn: loaded.link.executionArn,
      expiresAt: new Date(loaded.link.expiresAt * 1000),
      now: deps.now(),
      incident: loaded.record.incident ?? null,
      formAction: `?${event.rawQueryString}`,
      decisions: linkDecisions(settings),
      cliCommands: loaded.record.cliCommands ?? null,
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
    return failure(503, 'Decision not recorded', 'Step Functions did not take the decision and this link could not be reopened. Ask an operator to decide with the task token stored in approval-request.json, or with coordinator-recovery approve|reject where the stack allows it.');
  }
  const why = isRecoveryError(error) && !error.retryable ? `Step Functions refused it (${error.message})` : 'Step Functions did not take the decision (a temporary AWS error)';
  return failure(503, 'Decision not recorded', `${why}. Nothing changed and the link still works: go back and press the button again.`);
}

async function decide(deps: HandlerDeps, event: LambdaFunctionURLEvent, keys: SigningKeyCache, settings: ApprovalSettings): Promise<HttpResponse> {
  const form = parseForm(event);
  const decision = form.get('decision');
  const approver = (form.get('approver') ?? '').trim();
  const comment = (form.get('comment') ?? '').trim().slice(0, 1000) || null;
  if (decision !== 'approve' && decision !== 'reject') return failure(400, 'No decision', 'decision: use the Approve or Reject button.');
  const refusal = linkRefusal(settings, decision);
  if (refusal !== null) return failure(403, 'Not decided by link', refusal);
  if (approver === '' || approver.length > 200) return failure(400, 'Name missing', 'approver: enter your name (up to 200 characters); it goes into the audit trail.');

  const loaded = await loadRequest(deps, event, keys);
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
      decision === 'approve'
        ? {
            title: 'Approved',
            message: `Recorded as approved by ${approver}. The execution continues now.`,
            status: 'ok',
            next: [
              'SeedOffsets commits the planned offsets to each target group (a group whose target changed since the plan is blocked, not overwritten).',
              'Verify reads the target groups back and compares them with the plan.',
              'The report goes to the approval topic and the artifacts bucket.',
              'Then restart each group\'s consumers with group.id set to its target group.',
            ],
            executionArn: loaded.link.executionArn,
          }
        : {
            title: 'Rejected',
            message: `Recorded as rejected by ${approver}. Nothing was written to Kafka.`,
            status: 'ok',
            next: ['The execution ends as NotApproved and a notice goes to the approval topic.', 'To try again with other targets or another window, start a new execution.'],
            executionArn: loaded.link.executionArn,
          },
    ),
  );
}

export function createHandler(overrides?: Partial<HandlerDeps>) {
  // Lives as long as the container: warm invocations check links without fetching the key.
  const keys = new SigningKeyCache(() => (overrides?.now ? overrides.now() : new Date()).getTime());
  return async (event: LambdaFunctionURLEvent): Promise<HttpResponse> => {
    const deps = resolveDeps(overrides);
    const method = event.requestContext?.http?.method ?? 'GET';
    try {
      const settings = parseApprovalSettings(optionalEnv(ENV.APPROVAL_MODE, deps.env), optionalEnv(ENV.APPROVALS_REQUIRED, deps.env));
      if (iamCaller(event) !== null) return await decideByIam(deps, event, settings);
      if (method === 'GET') return await showPlan(deps, event, keys, settings);
      if (method === 'POST') return await decide(deps, event, keys, settings);
      return { ...failure(405, 'Method not allowed', 'Use GET to view the plan and the form to decide.'), headers: { ...SECURITY_HEADERS, allow: 'GET, POST' } };
    } catch (error) {
      if (isRecoveryError(error) && error.code === 'INVALID_INPUT') return failure(400, 'Bad link', error.message);
      deps.logger.error('approval endpoint failed', { error: error instanceof RecoveryError ? error.toJSON() : String(error) });
      return failure(500, 'Something went wrong', 'The decision was not recorded unless a later page says so. Try again in a moment.');
    }
  };
}

export const handler = createHandler();
