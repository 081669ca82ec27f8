/**
 * The rehearsal at scale: runRehearsal(options, reporter) starts the incident environment with
 * every Lambda stopped at --lambda-timeout, bulk-loads N groups' M commits into one
 * `__consumer_offsets` shard, fails that shard, runs the synthesized runbook over every group
 * on it, takes the decision, and then checks each target group's OffsetFetch against what the
 * load committed (the ground truth, never read back from the runbook's own scan). It also
 * measures what the issue asks of a big shard: continuations, the largest state, and how many
 * bytes Fetch served from the shard against its size.
 */
import { RecoveryError } from '../../lambdas/core/errors.ts';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import type { KafkaPort } from '../../lambdas/core/ports.ts';
import type { PlanTargetOutput, RecoveryReport, ReportOutput } from '../../lambdas/core/workflow/documents.ts';
import { OFFSETS_PARTITIONS, startIncidentEnvironment, type IncidentEnvironment } from '../incident/environment.ts';
import { ApiKey } from '../kafka/protocol/api-keys.ts';
import type { LocalExecution, TaskInvocation } from '../stepfunctions/index.ts';
import type { ApprovalAnswer, DemoEvent, DemoReporter, RehearsalResult } from './events.ts';
import type { DemoOptions, RehearsalScale } from './options.ts';
import { loadRehearsal, topicsOfGroup, type CommittedOffset, type RehearsalLoad } from './rehearsal-load.ts';
import { isApprovalRequest, submitDecision } from './scenario.ts';
import { throwIfAborted, waitUntil } from './wait.ts';

/** The shard the fleet shares: the one the story's orders-service fails on, for a familiar number. */
export const REHEARSAL_SHARD = partitionForGroup('orders-service', OFFSETS_PARTITIONS);
/** A big shard takes its time; Ctrl-C ends the wait sooner. */
const RUN_TIMEOUT_MS = 6 * 60 * 60 * 1000;
const PROGRESS_POLL_MS = 250;
const CHECK_CONCURRENCY = 16;
const MISMATCHES_SHOWN = 10;

export interface RunRehearsalOptions extends DemoOptions {
  rehearsal: RehearsalScale;
  signal?: AbortSignal;
  /**
   * The failed shard's leader answers every Fetch this much later, as a broker in trouble may.
   * Longer than a scan's share of --lambda-timeout (half of it), it lets each invocation read one
   * 8 MiB Fetch of the shard, so a shard of more than one continues however fast the machine is.
   */
  shardFetchDelayMs?: number;
}

export async function runRehearsal(options: RunRehearsalOptions, reporter: DemoReporter): Promise<RehearsalResult> {
  const signal = options.signal ?? new AbortController().signal;
  const started = Date.now();
  const emit = (event: DemoEvent): void => reporter.event(event);
  throwIfAborted(signal);
  const env = await startIncidentEnvironment(options.lambdaTimeoutSeconds === null ? {} : { lambdaTimeoutSeconds: options.lambdaTimeoutSeconds });
  try {
    const result = await rehearse(env, options, reporter, emit, signal);
    result.durationMs = Date.now() - started;
    if (options.keep) {
      emit({ type: 'kept', bootstrapServers: env.local.bootstrapServers, controlUrl: env.local.controlUrl });
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    }
    return result;
  } finally {
    emit({ type: 'stopping' });
    await env.stop();
  }
}

async function rehearse(env: IncidentEnvironment, options: RunRehearsalOptions, reporter: DemoReporter, emit: (event: DemoEvent) => void, signal: AbortSignal): Promise<RehearsalResult> {
  const { local, aws, runbook, port } = env;
  const { groups, commits } = options.rehearsal;
  emit({
    type: 'environment',
    kafka: env.stage.label,
    brokers: local.brokers.map((b) => ({ id: b.brokerId, address: `${b.host}:${b.port}` })),
    offsetsPartitions: OFFSETS_PARTITIONS,
    clusterArn: aws.clusterArn,
    logGroupName: aws.logGroupName,
    stateMachineArn: runbook.stateMachineArn,
  });

  // The window opens before the load, so every commit is in it.
  const since = Date.now() - 1000;
  const shardPartition = local.cluster.requirePartition('__consumer_offsets', REHEARSAL_SHARD);
  const failedBroker = shardPartition.leader;
  const load = loadRehearsal(local, { groups, commits, shard: REHEARSAL_SHARD, offsetsPartitions: OFFSETS_PARTITIONS });
  const shardLog = shardPartition.log;
  emit({ type: 'rehearsal-loaded', groups, commits, shard: REHEARSAL_SHARD, brokerId: failedBroker, shardRecords: load.shardRecords, shardBytes: shardLog.sizeInBytes, topics: [...load.topics], loadMs: load.loadMs });
  throwIfAborted(signal);

  await local.faults.failCoordinator(REHEARSAL_SHARD, { group: load.groups[0] });
  if (options.shardFetchDelayMs !== undefined) local.faults.slowResponses({ brokerId: failedBroker, apiKey: ApiKey.Fetch, delayMs: options.shardFetchDelayMs });
  emit({ type: 'rehearsal-shard-failed', shard: REHEARSAL_SHARD, brokerId: failedBroker, lambdaTimeoutSeconds: options.lambdaTimeoutSeconds });

  // No group named: the runbook recovers every group it finds on the failed shard.
  const input = { since, comment: `rehearsal: ${groups} groups, ${commits} commits on one failed shard` };
  const shardBytes = shardLog.sizeInBytes;
  const fetchedBefore = shardLog.fetchedBytes;
  const runbookStarted = Date.now();
  const execution = runbook.start(input, { name: `rehearsal-${new Date().toISOString().replace(/[:.]/g, '-')}` });
  emit({ type: 'runbook-started', executionArn: execution.executionArn, input });
  const stopOnInterrupt = (): void => execution.abort();
  signal.addEventListener('abort', stopOnInterrupt, { once: true });
  const progress = followProgress(execution, runbookStarted, emit);
  try {
    let ended = false;
    void execution.done.then(() => (ended = true));
    const mail = await waitUntil('the approval request', () => aws.sns.messages.find((m) => isApprovalRequest(m, execution.executionArn)) ?? (ended ? null : undefined), signal, RUN_TIMEOUT_MS);
    let answer: ApprovalAnswer | null = null;
    if (mail !== null) {
      const plan = execution.invocations.find((i) => i.state === 'PlanTarget' && i.output !== undefined)?.output as PlanTargetOutput | undefined;
      if (!plan) throw new RecoveryError('NOT_FOUND', 'the approval was requested but PlanTarget has no output');
      answer = options.assumeYes
        ? { approved: true, by: 'demo --yes', reason: 'non-interactive rehearsal' }
        : await reporter.confirm({ targetGroup: `${plan.summary.groups} target groups`, planSha256: plan.planSha256 }, signal);
      await submitDecision(mail.message, answer);
      emit({ type: 'decision', approved: answer.approved, by: answer.by, reason: answer.reason });
    }
    const outcome = await execution.done;
    const runbookMs = Date.now() - runbookStarted;
    await progress.stop();

    const base = {
      mode: 'rehearsal' as const,
      groups,
      commits,
      lambdaTimeoutSeconds: options.lambdaTimeoutSeconds,
      failedShard: REHEARSAL_SHARD,
      failedBroker,
      continuations: continuationsOf(execution),
      invocations: execution.invocations.length,
      maxStatePayloadBytes: execution.payload.maxBytes,
      maxStatePayloadState: execution.payload.state,
      shardBytesRead: shardLog.fetchedBytes - fetchedBefore,
      shardBytes,
      shardRecords: load.shardRecords,
      loadMs: Math.round(load.loadMs),
      runbookMs,
      durationMs: 0,
    };
    if (outcome.status !== 'SUCCEEDED') {
      const rejected = answer !== null && !answer.approved;
      const failure = { error: outcome.error, cause: outcome.cause, state: failedStateOf(execution.invocations) };
      return { ...base, ok: rejected, outcome: rejected ? 'NOT_APPROVED' : 'FAILED', failure, groupsRecovered: 0, groupsVerified: 0, mismatches: [] };
    }
    const report = readReport(env, outcome.output as ReportOutput);
    const groupsRecovered = report.groups.filter((g) => g.seeded === 'SEEDED' && g.verified === true).length;
    const check = await checkTargets(port, load, report, signal);
    emit({ type: 'rehearsal-checked', groups, groupsVerified: check.verified, mismatches: check.mismatches.slice(0, MISMATCHES_SHOWN) });
    return {
      ...base,
      ok: report.outcome === 'RECOVERED' && check.verified === groups,
      outcome: report.outcome,
      failure: null,
      groupsRecovered,
      groupsVerified: check.verified,
      mismatches: check.mismatches.slice(0, MISMATCHES_SHOWN),
    };
  } finally {
    signal.removeEventListener('abort', stopOnInterrupt);
    execution.abort();
    await progress.stop();
  }
}

/** Invocations of any scan that stopped at its deadline: they answer with status CONTINUE. */
/**
 * The state a failed run stopped in: the last Lambda task that failed, or else the step the
 * failure path was told of (a Map's own error, e.g. States.Timeout, fails no Lambda).
 */
export function failedStateOf(invocations: readonly TaskInvocation[]): string | null {
  const failedTask = [...invocations].reverse().find((i) => i.error !== undefined)?.state;
  if (failedTask !== undefined) return failedTask;
  const notice = invocations.find((i) => i.handler === 'notify-failure')?.input as { state?: unknown } | undefined;
  return typeof notice?.state === 'string' ? notice.state : null;
}

function continuationsOf(execution: LocalExecution): number {
  return execution.invocations.filter((i) => (i.output as { status?: unknown } | undefined)?.status === 'CONTINUE').length;
}

/** One line per top-level state as it is entered, with the invocations and continuations so far. */
function followProgress(execution: LocalExecution, startedAt: number, emit: (event: DemoEvent) => void): { stop(): Promise<void> } {
  let seen = 0;
  let continuations = 0;
  const poll = (): void => {
    const now = continuationsOf(execution);
    const entered = execution.states.length > seen;
    while (seen < execution.states.length) {
      emit({ type: 'rehearsal-progress', state: execution.states[seen++]!, invocations: execution.invocations.length, continuations: now, elapsedMs: Date.now() - startedAt });
    }
    if (!entered && now > continuations) {
      emit({ type: 'rehearsal-progress', state: execution.states.at(-1) ?? '', invocations: execution.invocations.length, continuations: now, elapsedMs: Date.now() - startedAt });
    }
    continuations = now;
  };
  const timer = setInterval(poll, PROGRESS_POLL_MS);
  let stopped = false;
  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      poll();
    },
  };
}

function readReport(env: IncidentEnvironment, output: ReportOutput): RecoveryReport {
  const text = env.aws.s3.readText(output.result.bucket, output.result.key);
  if (text === undefined) throw new RecoveryError('NOT_FOUND', `the report s3://${output.result.bucket}/${output.result.key} is missing`);
  return JSON.parse(text) as RecoveryReport;
}

/** OffsetFetch on every target group against what its source group committed, partition by partition. */
async function checkTargets(port: KafkaPort, load: RehearsalLoad, report: RecoveryReport, signal: AbortSignal): Promise<{ verified: number; mismatches: string[] }> {
  const targetOf = new Map(report.groups.map((g) => [g.sourceGroup, g.targetGroup]));
  const mismatches: string[] = [];
  let verified = 0;
  const queue = load.groups.map((group, index) => ({ group, index }));
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      throwIfAborted(signal);
      const { group, index } = next;
      const target = targetOf.get(group);
      if (!target) {
        mismatches.push(`${group}: not in the report`);
        continue;
      }
      const problems = differences(load.groundTruth.get(group) ?? [], await port.fetchCommittedOffsets(target, topicsOfGroup(index).map((t) => t.name)));
      if (problems.length === 0) verified++;
      else mismatches.push(`${group} -> ${target}: ${problems.join(', ')}`);
    }
  };
  await Promise.all(Array.from({ length: CHECK_CONCURRENCY }, worker));
  return { verified, mismatches: mismatches.sort() };
}

function differences(expected: readonly CommittedOffset[], actual: ReadonlyArray<{ topic: string; partition: number; offset: bigint }>): string[] {
  const found = new Map(actual.filter((a) => a.offset >= 0n).map((a) => [`${a.topic}-${a.partition}`, a.offset]));
  const problems: string[] = [];
  for (const e of expected) {
    const place = `${e.topic}-${e.partition}`;
    const offset = found.get(place);
    if (offset !== e.offset) problems.push(`${place} committed ${e.offset}, target has ${offset ?? 'none'}`);
    found.delete(place);
  }
  for (const [place, offset] of found) problems.push(`${place} never committed, target has ${offset}`);
  return problems;
}
