/**
 * Follows one local execution of the runbook and turns what each step returned into demo
 * events: the states as they are entered, then per finished Lambda task the facts worth
 * showing. Step outputs that live in the artifacts bucket (read offsets, the plan, the report)
 * are read back from the S3 stand-in, as an operator would open them.
 */
import { RecoveryError } from '../../lambdas/core/errors.ts';
import type {
  ArtifactRef,
  BlastRadiusStepOutput,
  DiagnoseOutput,
  GroupRecovery,
  PlanTargetOutput,
  ReadOffsetsOutput,
  RecoveryPlan,
  RecoveryReport,
  ReportOutput,
  SeedOffsetsOutput,
  SeedResultDocument,
  VerifyOutput,
  VerifyResultDocument,
} from '../../lambdas/core/workflow/documents.ts';
import type { AffectedGroupsResult } from '../../lambdas/core/model.ts';
import type { AwsStandins } from '../aws/index.ts';
import type { LocalExecution, TaskInvocation } from '../stepfunctions/index.ts';
import type { DemoEvent } from './events.ts';

/** What the scenario needs from the run besides the events. */
export interface RunbookFacts {
  diagnosis?: DiagnoseOutput;
  plan?: RecoveryPlan;
  planOutput?: PlanTargetOutput;
  /** The stored results (seed-result.json, verify-result.json): the step outputs carry counts. */
  seed?: SeedResultDocument;
  verify?: VerifyResultDocument;
  report?: RecoveryReport;
}

export class RunbookWatch {
  readonly facts: RunbookFacts = {};
  private statesSeen = 0;
  private readonly invocationsSeen = new Set<TaskInvocation>();

  constructor(
    private readonly execution: LocalExecution,
    private readonly aws: AwsStandins,
    private readonly emit: (event: DemoEvent) => void,
  ) {}

  /** Emits everything that happened since the last call (synchronous: the stand-ins keep artifacts in memory). */
  flush(): void {
    const { states } = this.execution;
    // Top-level states run one after another, so the tasks finished when a state is entered
    // belong to the states before it: show them first, and the story stays in order.
    while (this.statesSeen < states.length) {
      if (this.statesSeen > 0) this.flushInvocations();
      this.emit({ type: 'runbook-state', state: states[this.statesSeen++]! });
    }
    this.flushInvocations();
  }

  private flushInvocations(): void {
    // A task's output belongs under its own state's heading; a poll can see a state entered and
    // its task finished at once, so hold the output until that heading is out.
    const headingsToCome = new Set(this.execution.states.slice(this.statesSeen));
    for (const invocation of this.execution.invocations) {
      if (this.invocationsSeen.has(invocation) || headingsToCome.has(invocation.state)) continue;
      if (invocation.output === undefined && invocation.error === undefined) continue;
      this.invocationsSeen.add(invocation);
      this.describe(invocation);
    }
  }

  /** Flushes every `intervalMs` until the execution ends. */
  async follow(intervalMs = 25): Promise<void> {
    let ended = false;
    void this.execution.done.then(() => {
      ended = true;
    });
    while (!ended) {
      this.flush();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    this.flush();
  }

  private readJson<T>(ref: ArtifactRef): T {
    const text = this.aws.s3.readText(ref.bucket, ref.key);
    if (text === undefined) throw new RecoveryError('NOT_FOUND', `the runbook's artifact s3://${ref.bucket}/${ref.key} is missing`);
    return JSON.parse(text) as T;
  }

  private resolve<T>(stored: T | { artifact: ArtifactRef }): T {
    return typeof stored === 'object' && stored !== null && 'artifact' in stored ? this.readJson<T>(stored.artifact) : stored;
  }

  private describe(invocation: TaskInvocation): void {
    if (invocation.output === undefined) return;
    switch (invocation.handler) {
      case 'diagnose':
        this.onDiagnosis(this.resolve(invocation.output as DiagnoseOutput));
        break;
      case 'blast-radius': {
        const shard = this.resolve(invocation.output as BlastRadiusStepOutput);
        // A plan, a segment, or a scan that continues in the next invocation has no groups to show yet.
        if (shard.status !== 'DONE') break;
        // The state carries counts; the groups and topics are in the shard's stored scan result.
        const scanned = this.resolve<AffectedGroupsResult>(shard.detail);
        const affectedGroups = scanned.groups.map((g) => g.groupId);
        const topics = [...new Set(scanned.groups.flatMap((g) => [...g.topics, ...g.subscribedTopics]))].sort();
        const requested = this.facts.diagnosis?.shards.find((s) => s.partition === shard.partition)?.groups ?? null;
        this.emit({ type: 'blast-radius', brokerId: shard.brokerId, partition: shard.partition, affectedGroups, groupsToRecover: requested === null ? affectedGroups : [...requested].sort(), topics });
        break;
      }
      case 'read-offsets':
        this.onRecovered(this.resolve(invocation.output as ReadOffsetsOutput));
        break;
      case 'plan-target':
        this.onPlan(invocation.output as PlanTargetOutput);
        break;
      case 'seed-offsets':
        this.onSeed(this.readJson<SeedResultDocument>((invocation.output as SeedOffsetsOutput).fullResult));
        break;
      case 'verify':
        this.onVerify(this.readJson<VerifyResultDocument>((invocation.output as VerifyOutput).fullResult));
        break;
      case 'report':
        this.onReport(invocation.output as ReportOutput);
        break;
      default:
        break;
    }
  }

  private onDiagnosis(diagnosis: DiagnoseOutput): void {
    this.facts.diagnosis = diagnosis;
    this.emit({
      type: 'diagnosis',
      verdict: diagnosis.verdict,
      failedShards: diagnosis.failedShards,
      failingBrokers: diagnosis.failingBrokers,
      evidence: diagnosis.evidence.map((e) => ({ kind: e.kind, message: e.message })),
      liveChecks: diagnosis.liveChecks.map((c) => ({ groupId: c.groupId, coordinator: c.coordinator?.brokerId ?? null, groupCall: c.groupCall })),
    });
  }

  private onRecovered(recovery: GroupRecovery): void {
    const { offsets, completeness } = recovery;
    this.emit({
      type: 'recovered-offsets',
      group: recovery.groupId,
      offsetsPartition: offsets.offsetsPartition,
      records: offsets.scan.records,
      partitions: completeness.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset, logEnd: p.logEndOffset, lag: p.lag, status: p.status })),
      complete: completeness.complete,
      totalLag: completeness.totalLag,
      issues: completeness.issues.map((i) => i.message),
      notes: completeness.notes ?? [],
    });
  }

  private onPlan(output: PlanTargetOutput): void {
    const plan = this.readJson<RecoveryPlan>(output.plan);
    this.facts.plan = plan;
    this.facts.planOutput = output;
    for (const group of plan.groups) {
      this.emit({
        type: 'plan',
        sourceGroup: group.sourceGroup,
        targetGroup: group.targetGroup,
        target: { partition: group.target.partition, brokerId: group.target.brokerId },
        blocked: group.blocked,
        offsets: group.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, lag: o.lag, status: o.status })),
        totalLag: group.totalLag,
        warnings: [...plan.warnings, ...group.warnings],
        planSha256: output.planSha256,
      });
    }
  }

  private onSeed(seed: SeedResultDocument): void {
    this.facts.seed = seed;
    for (const group of seed.groups) {
      this.emit({ type: 'seeded', targetGroup: group.targetGroup, status: group.status, committed: group.committed, errors: [...group.errors.map((e) => `${e.topic}-${e.partition}: ${e.errorName}`), ...(group.error ? [group.error] : [])] });
    }
  }

  private onVerify(verify: VerifyResultDocument): void {
    this.facts.verify = verify;
    for (const group of verify.groups) {
      this.emit({ type: 'verified', targetGroup: group.targetGroup, ok: group.ok, matched: group.matched, mismatches: group.mismatches.length });
    }
  }

  private onReport(output: ReportOutput): void {
    const report = this.readJson<RecoveryReport>(output.result);
    this.facts.report = report;
    const published = this.aws.sns.messages.find((m) => m.subject?.startsWith('Coordinator recovery') === true && m.message.includes(report.executionArn));
    this.emit({ type: 'report', outcome: report.outcome, subject: published?.subject ?? null, text: report.text });
  }
}
