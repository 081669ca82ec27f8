/**
 * Report: the outcome in words, stored as the run's result and published to the topic. The state
 * brings counts and references only; the per-group documents (the shard scans, the plan, the seed
 * and verify results) are read from the artifacts bucket.
 */
import type { AffectedGroupsResult } from '../core/model.ts';
import type {
  ApprovalDecision,
  BlastRadiusOutput,
  DiagnoseOutput,
  RecoveryPlan,
  ReportOutput,
  SeedOffsetsOutput,
  SeedResultDocument,
  VerifyOutput,
  VerifyResultDocument,
} from '../core/workflow/documents.ts';
import { buildReport } from '../core/workflow/report.ts';
import { parsePlanTargetOutput, parseReportInput } from '../core/workflow/step-inputs.ts';
import { ARTIFACT_NAMES, artifactKey, getJson, putJson, resolveStored } from '../aws/artifacts.ts';
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
    const shardScans: AffectedGroupsResult[] = [];
    for (const shard of (input['blastRadius'] as BlastRadiusOutput[] | undefined) ?? []) shardScans.push(await resolveStored(store.s3, shard.detail));
    const seed = input['seed'] as SeedOffsetsOutput | undefined;
    const verify = input['verify'] as VerifyOutput | undefined;
    const report = buildReport({
      request,
      diagnosis: input['diagnosis'] as DiagnoseOutput,
      shardScans,
      plan,
      approval: (input['approval'] as ApprovalDecision | undefined) ?? null,
      seed: seed ? await getJson<SeedResultDocument>(store.s3, seed.fullResult) : null,
      verify: verify ? await getJson<VerifyResultDocument>(store.s3, verify.fullResult) : null,
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
    return { outcome: report.outcome, result, summary: reportSummary(report.text, report.unreadGroups.length) };
  });
}

/** Longest line of the summary: the affected-groups line of thousands of groups would not stay small. */
export const SUMMARY_LINE_CHARS = 240;

/**
 * The first lines of the report for the state (RecoveryIncomplete's Cause, the run-end notice):
 * the headline and, when groups could not be read, the line that says so; each line cut at
 * SUMMARY_LINE_CHARS (the whole report is in the result document).
 */
export function reportSummary(text: string, unread: number): string {
  const lines = text.split('\n');
  const summary = lines.slice(0, 8);
  const unreadLine = lines.find((line) => line.startsWith('Not recovered, their offsets could not be read'));
  if (unread > 0 && unreadLine) summary.push(unreadLine, ...lines.slice(lines.indexOf(unreadLine) + 1, lines.indexOf(unreadLine) + 1 + Math.min(unread, 5)));
  return summary.map((line) => (line.length > SUMMARY_LINE_CHARS ? `${line.slice(0, SUMMARY_LINE_CHARS)}... (cut; the whole line is in the result document)` : line)).join('\n');
}

export const handler = createHandler();
