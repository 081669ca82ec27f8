/** Report: the outcome in words, stored as the run's result and published to the topic. */
import type {
  ApprovalDecision,
  BlastRadiusOutput,
  DiagnoseOutput,
  RecoveryPlan,
  ReportOutput,
  SeedOffsetsOutput,
  VerifyOutput,
} from '../core/workflow/documents.ts';
import { buildReport } from '../core/workflow/report.ts';
import { parsePlanTargetOutput, parseReportInput } from '../core/workflow/step-inputs.ts';
import { ARTIFACT_NAMES, artifactKey, putJson } from '../aws/artifacts.ts';
import { fitSnsMessage, publishNotification } from '../aws/notifications.ts';
import { ENV, optionalEnv } from './env.ts';
import { loadPlan } from './plan-loader.ts';
import { artifactStore, defineStep, type HandlerDeps } from './runtime.ts';
import { recordRunOutcome } from './step-metrics.ts';

export function createHandler(overrides?: Partial<HandlerDeps>) {
  return defineStep<ReportOutput>('report', overrides, async (event, deps) => {
    const input = parseReportInput(event);
    const request = input.request;
    const store = artifactStore(deps);
    let plan: RecoveryPlan | null = null;
    if (input['plan'] !== undefined) plan = await loadPlan(deps, request, parsePlanTargetOutput(input['plan']));
    const report = buildReport({
      request,
      diagnosis: input['diagnosis'] as DiagnoseOutput,
      blastRadius: (input['blastRadius'] as BlastRadiusOutput[] | undefined) ?? [],
      plan,
      approval: (input['approval'] as ApprovalDecision | undefined) ?? null,
      seed: (input['seed'] as SeedOffsetsOutput | undefined) ?? null,
      verify: (input['verify'] as VerifyOutput | undefined) ?? null,
      now: deps.now(),
    });
    const result = await putJson(store, artifactKey(request.executionArn, ARTIFACT_NAMES.result), report);
    const topicArn = optionalEnv(ENV.APPROVAL_TOPIC_ARN, deps.env);
    if (topicArn) {
      const text = `${report.text}\n\nFull result: s3://${result.bucket}/${result.key}\n`;
      await publishNotification(deps.clients.sns(), topicArn, `Coordinator recovery: ${report.outcome}`, fitSnsMessage(text, `s3://${result.bucket}/${result.key}`));
    }
    deps.logger.info('report', { outcome: report.outcome, key: result.key });
    recordRunOutcome(deps.metrics, report.outcome, report.groups.filter((group) => group.verified === true).length);
    return { outcome: report.outcome, result, summary: report.text.split('\n').slice(0, 8).join('\n') };
  });
}

export const handler = createHandler();
