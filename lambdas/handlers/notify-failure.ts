/** NotifyFailure (the Catch target): tells the approver list why the run ended and that nothing unapproved was written. */
import type { FailureRecord, NotifyFailureOutput } from '../core/workflow/documents.ts';
import { APPROVAL_REJECTED_ERROR } from '../core/workflow/documents.ts';
import { parseNotifyFailureInput } from '../core/workflow/step-inputs.ts';
import { ARTIFACT_NAMES, artifactKey, putJson } from '../aws/artifacts.ts';
import { fitSnsMessage, publishNotification } from '../aws/notifications.ts';
import { ENV, optionalEnv, requireEnv } from './env.ts';
import type { RunOutcome } from './metric-names.ts';
import { artifactStore, defineStep, type HandlerDeps } from './runtime.ts';
import { recordRunOutcome } from './step-metrics.ts';

/** Lambda failures arrive as Cause = '{"errorType":..,"errorMessage":..,"trace":[..]}'; people need only the message. */
export function failureReason(error: { Error?: string; Cause?: string }): string {
  const cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: Step Functions' own errors carry plain text
  }
  return cause || 'no cause given';
}

function headline(errorName: string, state: string | undefined): string {
  if (errorName === APPROVAL_REJECTED_ERROR) return 'rejected by the approver; nothing was written';
  if (errorName === 'States.Timeout' || errorName === 'States.HeartbeatTimeout') {
    return state && /approv/i.test(state) ? 'no approval before the timeout; nothing was written' : `timed out in ${state ?? 'a step'}`;
  }
  return `failed in ${state ?? 'a step'}: ${errorName}`;
}

/** The run's outcome for the `Runs` metric: a person said no, nobody answered in time, or it failed. */
export function failureOutcome(errorName: string, state: string | undefined): RunOutcome {
  if (errorName === APPROVAL_REJECTED_ERROR) return 'REJECTED';
  if ((errorName === 'States.Timeout' || errorName === 'States.HeartbeatTimeout') && state !== undefined && /approv/i.test(state)) return 'NOT_APPROVED';
  return 'FAILED';
}

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<NotifyFailureOutput>('notify-failure', overrides, async (event, deps) => {
    const input = parseNotifyFailureInput(event);
    const errorName = input.error.Error ?? 'Unknown';
    const reason = failureReason(input.error);
    const region = input.executionArn.split(':')[3] ?? '';
    const what = headline(errorName, input.state);
    const text = [
      `Coordinator recovery ${what}.`,
      '',
      `Reason: ${reason}`,
      `Error: ${errorName}`,
      `State: ${input.state ?? 'unknown'}`,
      `Execution: ${input.executionArn}`,
      region ? `Console: https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${input.executionArn}` : '',
      '',
      'Offsets are committed only in SeedOffsets, after approval; a failure before it leaves Kafka untouched.',
    ].join('\n');
    const topicArn = optionalEnv(ENV.FAILURE_TOPIC_ARN, deps.env) ?? requireEnv(ENV.APPROVAL_TOPIC_ARN, deps.env);
    // People hear first; the record for the audit trail follows (a rejected or failed run has no report).
    const messageId = await publishNotification(deps.clients.sns(), topicArn, `Coordinator recovery ${what}`, fitSnsMessage(text, input.executionArn));
    let failureRecord = null;
    if (optionalEnv(ENV.ARTIFACTS_BUCKET, deps.env) !== undefined) {
      const record: FailureRecord = {
        executionArn: input.executionArn,
        state: input.state ?? null,
        error: errorName,
        reason,
        summary: what,
        notifiedAt: deps.now().toISOString(),
        input: input.input ?? null,
      };
      failureRecord = await putJson(artifactStore(deps), artifactKey(input.executionArn, ARTIFACT_NAMES.failure), record);
    }
    // Counted once the notice is out: a retried invocation must not count the run twice.
    recordRunOutcome(deps.metrics, failureOutcome(errorName, input.state));
    return { notified: true, messageId, reason, failureRecord };
  });
}

export const handler = createHandler();
