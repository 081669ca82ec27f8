/**
 * RequestApproval (.waitForTaskToken): stores the plan reference and the task token in the
 * encrypted artifacts bucket (the only place the token lives), then sends the approver the
 * readable plan with what the stack's approval mode offers: a signed single-use link and/or the
 * `coordinator-recovery approve|reject` commands for the IAM path. The execution waits until the
 * approval endpoint answers the task or the timeout ends it.
 */
import { randomUUID } from 'node:crypto';
import type { AffectedGroupsResult } from '../core/model.ts';
import type { BlastRadiusOutput, RecoveryPlan, RequestApprovalOutput } from '../core/workflow/documents.ts';
import type { ApprovalIncident } from '../core/workflow/approval-incident.ts';
import { approvalUrl } from '../core/workflow/approval-link.ts';
import { cliCommands, renderApprovalMessage } from '../core/workflow/approval-message.ts';
import { iamMayDecide, linkDecisions, parseApprovalSettings } from '../core/workflow/approval-quorum.ts';
import { parseRequestApprovalInput } from '../core/workflow/step-inputs.ts';
import { ARTIFACT_NAMES, artifactKey, getJson, putJson, resolveStored, type ArtifactStore } from '../aws/artifacts.ts';
import { fitSnsMessage, publishNotification } from '../aws/notifications.ts';
import { getSecretString } from '../aws/secrets.ts';
import { invalidInput } from '../core/errors.ts';
import type { ApprovalRequestRecord } from './approval-store.ts';
import { ENV, optionalEnv, requireEnv } from './env.ts';
import { artifactStore, defineStep, type HandlerDeps } from './runtime.ts';

const DEFAULT_LINK_TTL_SECONDS = 86_400;

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<RequestApprovalOutput>('request-approval', overrides, async (event, deps) => {
    const { request, plan, taskToken, incident } = parseRequestApprovalInput(event);
    if (plan.plan.sha256 !== plan.planSha256) {
      throw invalidInput('plan.planSha256', 'does not match plan.plan.sha256', 'Pass the PlanTarget output unchanged');
    }
    const store = artifactStore(deps);
    if (incident) await fillBlastRadius(deps, store, incident, event);
    const topicArn = requireEnv(ENV.APPROVAL_TOPIC_ARN, deps.env);
    const document = await getJson<RecoveryPlan>(store.s3, plan.plan);
    const ttl = Number(optionalEnv(ENV.APPROVAL_LINK_TTL_SECONDS, deps.env) ?? DEFAULT_LINK_TTL_SECONDS);
    const now = deps.now();
    const expiresAt = Math.floor(now.getTime() / 1000) + (Number.isFinite(ttl) && ttl > 0 ? Math.floor(ttl) : DEFAULT_LINK_TTL_SECONDS);
    const approvalId = randomUUID();
    const settings = parseApprovalSettings(optionalEnv(ENV.APPROVAL_MODE, deps.env), optionalEnv(ENV.APPROVALS_REQUIRED, deps.env));
    const iamUrl = iamMayDecide(settings) ? requireEnv(ENV.APPROVAL_IAM_ENDPOINT_URL, deps.env) : null;
    const commands = iamUrl === null ? null : cliCommands({ executionArn: request.executionArn, planSha256: plan.planSha256, url: iamUrl });

    const record: ApprovalRequestRecord = {
      approvalId,
      executionArn: request.executionArn,
      taskToken,
      plan: plan.plan,
      planSha256: plan.planSha256,
      region: request.region,
      createdAt: now.toISOString(),
      expiresAt,
      incident,
      cliCommands: commands,
    };
    const recordRef = await putJson(store, artifactKey(request.executionArn, ARTIFACT_NAMES.approvalRequest), record);

    // In iam mode the link still opens the plan (read-only), so the mail keeps it.
    const endpoint = optionalEnv(ENV.APPROVAL_ENDPOINT_URL, deps.env);
    let url: string | null = null;
    if (endpoint) {
      const key = await getSecretString(deps.clients.secrets(), requireEnv(ENV.APPROVAL_SIGNING_SECRET_ARN, deps.env));
      url = approvalUrl(endpoint, { executionArn: request.executionArn, approvalId, expiresAt }, key);
    }
    const planLocation = `s3://${plan.plan.bucket}/${plan.plan.key}`;
    const message = renderApprovalMessage({
      plan: document,
      planSha256: plan.planSha256,
      planLocation,
      executionArn: request.executionArn,
      approvalUrl: url,
      commands,
      approvalsRequired: settings.required,
      linkDecisions: linkDecisions(settings),
      expiresAt: new Date(expiresAt * 1000).toISOString(),
    });
    const messageId = await publishNotification(deps.clients.sns(), topicArn, message.subject, fitSnsMessage(message.text, planLocation));
    deps.logger.info('approval requested', { approvalId, messageId, expiresAt, link: url !== null, mode: settings.mode, approvalsRequired: settings.required, linkDecides: linkDecisions(settings).length > 0 });
    return { approvalId, expiresAt: new Date(expiresAt * 1000).toISOString(), messageId, approvalRequest: recordRef };
  });
}

/**
 * The state brings each shard's counts and the reference to its stored scan; the page shows the
 * groups and topics, so they are read here into the incident (stored with the approval request).
 * Context for a person: a scan that cannot be read leaves its shard without lists, never fails the request.
 */
async function fillBlastRadius(deps: HandlerDeps, store: ArtifactStore, incident: ApprovalIncident, event: unknown): Promise<void> {
  const items = (event as { incident?: { blastRadius?: unknown } }).incident?.blastRadius;
  if (!Array.isArray(items)) return;
  for (const shard of incident.shards) {
    const item = (items as Partial<BlastRadiusOutput>[]).find((b) => typeof b === 'object' && b !== null && b.partition === shard.partition);
    if (!item?.detail) continue;
    try {
      const scanned = await resolveStored<AffectedGroupsResult>(store.s3, item.detail);
      shard.groups = scanned.groups.map((g) => g.groupId);
      shard.topics = [...new Set(scanned.groups.flatMap((g) => [...g.topics, ...g.subscribedTopics]))].sort();
    } catch (error) {
      deps.logger.warn('the blast radius of a shard could not be read for the approval page', { partition: shard.partition, error: String(error) });
    }
  }
}

export const handler = createHandler();
