/**
 * The incident, start to finish, as facts for a reporter: runDemo(options, reporter) starts the
 * local cluster and the AWS stand-ins, lets a consumer group fall behind and commit, fails its
 * coordinator shard, runs the synthesized runbook with the real handlers, takes the approval
 * decision, and proves the recovered group resumes exactly where the failed one stopped.
 * No wording here: narrator.ts turns the events into the story.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { RecoveryError } from '../../lambdas/core/errors.ts';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import type { ExecutionOutcome } from '../stepfunctions/index.ts';
import { consumeUntil, consumeUpTo, groupCallOutcome, probeStuckMember, runNeighbour } from './consumers.ts';
import { startIncidentEnvironment, startRealIncidentEnvironment, OFFSETS_PARTITIONS, type IncidentStageEnvironment as IncidentEnvironment } from '../incident/environment.ts';
import type { ApprovalAnswer, DemoEvent, DemoReporter, DemoResult, PartitionOffsets } from './events.ts';
import type { DemoOptions } from './options.ts';
import { OrderProducer, summarizeByPartition } from './orders.ts';
import { checkResume, type PlacedMessage, type ResumeCheck } from './resume-check.ts';
import { RunbookWatch } from './runbook-watch.ts';
import { throwIfAborted, waitUntil } from './wait.ts';

export const TOPIC = 'orders';
export const TOPIC_PARTITIONS = 6;
export const GROUP = 'orders-service';
const ORDERS_BEFORE = 20 * TOPIC_PARTITIONS;
const ORDERS_DURING = 5 * TOPIC_PARTITIONS;
/** Where the service has got to on each partition when its coordinator fails: 8, 10, ... 18 of 20. */
const HANDLED_BEFORE_FAILURE = new Map(Array.from({ length: TOPIC_PARTITIONS }, (_, p) => [p, 8 + 2 * p]));
/** Groups that may share the failed shard's broker; the first on another shard of that broker is used. */
const NEIGHBOUR_NAMES = ['payments-service', 'shipping-service', 'invoicing', 'fraud-check', 'search-indexer', 'notifications', 'analytics', 'warehouse-sync'];

export interface RunDemoOptions extends DemoOptions {
  /** Ctrl-C: every wait ends, everything started is stopped. */
  signal?: AbortSignal;
}

export async function runDemo(options: RunDemoOptions, reporter: DemoReporter): Promise<DemoResult> {
  const signal = options.signal ?? new AbortController().signal;
  const started = Date.now();
  const emit = (event: DemoEvent): void => reporter.event(event);
  throwIfAborted(signal);
  const env =
    options.kafka.kind === 'real'
      ? await startRealIncidentEnvironment(options.kafka.version)
      : await startIncidentEnvironment(options.lambdaTimeoutSeconds === null ? {} : { lambdaTimeoutSeconds: options.lambdaTimeoutSeconds });
  try {
    const result = await playIncident(env, options, reporter, emit, signal);
    result.durationMs = Date.now() - started;
    if (options.keep) {
      emit({ type: 'kept', bootstrapServers: env.stage.bootstrapServers(), controlUrl: env.stage.controlUrl });
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    }
    return result;
  } finally {
    emit({ type: 'stopping' });
    await env.stop();
  }
}

async function playIncident(env: IncidentEnvironment, options: RunDemoOptions, reporter: DemoReporter, emit: (event: DemoEvent) => void, signal: AbortSignal): Promise<DemoResult> {
  const { stage, aws, runbook, kafka, port } = env;
  emit({
    type: 'environment',
    kafka: stage.label,
    brokers: stage.brokers().map((b) => ({ id: b.brokerId, address: `${b.host}:${b.port}` })),
    offsetsPartitions: OFFSETS_PARTITIONS,
    clusterArn: aws.clusterArn,
    logGroupName: aws.logGroupName,
    stateMachineArn: runbook.stateMachineArn,
  });

  // 1. The application topic and its traffic.
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: TOPIC_PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  emit({ type: 'topic', topic: TOPIC, partitions: TOPIC_PARTITIONS });
  const producer = new OrderProducer(kafka, TOPIC, TOPIC_PARTITIONS);
  await producer.connect();
  try {
    emit({ type: 'produced', phase: 'before-incident', topic: TOPIC, perPartition: summarizeByPartition(await producer.produce(ORDERS_BEFORE)) });

    // 2. The service works through part of the backlog and commits.
    throwIfAborted(signal);
    const handled = await consumeUpTo(kafka, GROUP, TOPIC, HANDLED_BEFORE_FAILURE, signal);
    emit({
      type: 'group-consumed',
      group: GROUP,
      perPartition: summarizeByPartition(handled).map((p) => ({ partition: p.partition, processed: p.count, lastSeq: p.lastSeq })),
    });
    const failedShard = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
    const committed = await committedOffsets(env, GROUP);
    emit({ type: 'committed-offsets', group: GROUP, partition: failedShard, coordinator: (await port.findCoordinator(GROUP)).nodeId, offsets: committed });
    for (const [partition, offset] of HANDLED_BEFORE_FAILURE) {
      if (committed.find((c) => c.partition === partition)?.committed !== offset) {
        throw new RecoveryError('KAFKA_ERROR', `${GROUP} should have committed offset ${offset} on ${TOPIC}-${partition}; OffsetFetch says ${JSON.stringify(committed)}`);
      }
    }

    // 3. The coordinator shard fails.
    const leaderBefore = await leaderOf(env, failedShard);
    const failedAt = Date.now();
    await stage.failCoordinator(failedShard, { group: GROUP, topic: TOPIC, leader: leaderBefore });
    // On real brokers the failure is a leader move: the shard's new leader is the failing broker.
    const failedBroker = await leaderOf(env, failedShard);
    emit({ type: 'coordinator-failed', group: GROUP, partition: failedShard, brokerId: failedBroker });
    const coordinator = await port.findCoordinator(GROUP);
    const offsetFetch = await groupCallOutcome(() => port.fetchCommittedOffsets(GROUP, [TOPIC]));
    const stuck = await probeStuckMember(stage.bootstrapServers(), GROUP, TOPIC, signal);
    emit({ type: 'stuck-consumer', group: GROUP, findCoordinator: { brokerId: coordinator.nodeId, address: `${coordinator.host}:${coordinator.port}` }, offsetFetchError: offsetFetch, ...stuck });
    if (stuck.assigned || offsetFetch === 'OK') {
      throw new RecoveryError('UNSUPPORTED', `the failed shard still served ${GROUP} (assigned: ${stuck.assigned}, OffsetFetch: ${offsetFetch}); the fault did not take`);
    }
    const neighbour = await neighbourGroup(env, failedShard, failedBroker);
    const neighbourRun = await runNeighbour(kafka, port, neighbour, TOPIC, ORDERS_BEFORE, signal);
    emit({ type: 'neighbour-group', group: neighbour, partition: partitionForGroup(neighbour, OFFSETS_PARTITIONS), brokerId: failedBroker, ...neighbourRun });
    if (!neighbourRun.committed) throw new RecoveryError('KAFKA_ERROR', `${neighbour}, on a healthy shard of broker ${failedBroker}, could not commit`);
    emit(await brokerLogEvidence(env, failedShard, failedAt));

    // 4. Orders keep coming while the group is stuck.
    emit({ type: 'produced', phase: 'during-incident', topic: TOPIC, perPartition: summarizeByPartition(await producer.produce(ORDERS_DURING)) });

    // 5. The runbook.
    const input = { groups: [GROUP], comment: 'local demo: orders-service stuck in initializing' };
    const execution = runbook.start(input, { name: `demo-${new Date().toISOString().replace(/[:.]/g, '-')}` });
    emit({ type: 'runbook-started', executionArn: execution.executionArn, input });
    const watch = new RunbookWatch(execution, aws, emit);
    const following = watch.follow();
    const stopOnInterrupt = (): void => execution.abort();
    signal.addEventListener('abort', stopOnInterrupt, { once: true });
    try {
      let outcome: ExecutionOutcome | undefined;
      void execution.done.then((o) => (outcome = o));
      const mail = await waitUntil(
        'the approval request',
        () => aws.sns.messages.find((m) => isApprovalRequest(m, execution.executionArn)) ?? (outcome ? null : undefined),
        signal,
        60_000,
      );
      if (mail === null) throw runbookStopped(await execution.done, 'before asking for approval');
      watch.flush();
      const plan = watch.facts.plan?.groups.find((g) => g.sourceGroup === GROUP);
      if (!plan || !watch.facts.planOutput) throw new RecoveryError('NOT_FOUND', `the plan has no entry for ${GROUP}`);
      emit({ type: 'approval-request', subject: mail.subject ?? '', message: mail.message });

      const answer: ApprovalAnswer = options.assumeYes
        ? { approved: true, by: 'demo --yes', reason: 'non-interactive run' }
        : await reporter.confirm({ targetGroup: plan.targetGroup, planSha256: watch.facts.planOutput.planSha256 }, signal);
      await submitDecision(mail.message, answer);
      emit({ type: 'decision', approved: answer.approved, by: answer.by, reason: answer.reason });
      const finalOutcome = await execution.done;
      await following;

      const base = {
        topic: TOPIC,
        group: GROUP,
        failedShard,
        failedBroker,
        committedOffsets: Object.fromEntries(committed.map((c) => [String(c.partition), c.committed ?? -1])),
        verdict: watch.facts.diagnosis?.verdict ?? 'INCONCLUSIVE',
        failedShards: watch.facts.diagnosis?.failedShards ?? [],
        targetGroup: plan.targetGroup,
        targetShard: plan.target.partition,
        targetBroker: plan.target.brokerId,
        bootstrapServers: stage.bootstrapServers(),
        durationMs: 0,
      } as const;

      if (!answer.approved) {
        if (finalOutcome.status !== 'FAILED') throw runbookStopped(finalOutcome, 'after the rejection');
        const targetOffsets = (await port.fetchCommittedOffsets(plan.targetGroup, [TOPIC])).filter((o) => o.offset >= 0n).length;
        const seedInvoked = execution.invocations.some((i) => i.handler === 'seed-offsets');
        emit({ type: 'not-approved', finalState: execution.states.at(-1) ?? '', error: finalOutcome.error, cause: finalOutcome.cause, targetGroup: plan.targetGroup, targetOffsets, seedInvoked });
        const nothingWritten = targetOffsets === 0 && !seedInvoked;
        return { ok: nothingWritten, outcome: 'NOT_APPROVED', ...base, approved: false, seeded: null, verified: null, reportOutcome: null, nothingWritten, resume: null };
      }

      if (finalOutcome.status !== 'SUCCEEDED' || watch.facts.report?.outcome !== 'RECOVERED') throw runbookStopped(finalOutcome, 'after the approval');
      // 6. The restarted service, now on the target group.
      const resume = await resumeOnTarget(env, plan.targetGroup, producer.produced, committed, signal);
      emit({ type: 'resume', group: plan.targetGroup, check: resume });
      const seed = watch.facts.seed?.groups.find((g) => g.sourceGroup === GROUP);
      const verified = watch.facts.verify?.groups.find((g) => g.targetGroup === plan.targetGroup)?.ok ?? false;
      return {
        ok: resume.ok && verified,
        outcome: 'RECOVERED',
        ...base,
        approved: true,
        seeded: seed?.status === 'SEEDED',
        verified,
        reportOutcome: watch.facts.report.outcome,
        nothingWritten: null,
        resume,
      };
    } finally {
      signal.removeEventListener('abort', stopOnInterrupt);
      execution.abort();
      await following.catch(() => undefined);
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

async function leaderOf(env: IncidentEnvironment, offsetsPartition: number): Promise<number> {
  const leaders = await offsetsLeaders(env);
  const leader = leaders.get(offsetsPartition);
  if (leader === undefined) throw new RecoveryError('NOT_FOUND', `__consumer_offsets-${offsetsPartition} does not exist`);
  return leader;
}

/** Leaders of the __consumer_offsets partitions, from metadata as any client sees them. */
async function offsetsLeaders(env: IncidentEnvironment): Promise<Map<number, number>> {
  const metadata = await env.port.metadata(['__consumer_offsets']);
  return new Map((metadata.topics[0]?.partitions ?? []).map((p) => [p.partition, p.leader]));
}

/** A group whose shard is another partition led by the same broker: the broker is fine, one shard is not. */
async function neighbourGroup(env: IncidentEnvironment, failedShard: number, broker: number): Promise<string> {
  const leaders = await offsetsLeaders(env);
  const candidates = [...NEIGHBOUR_NAMES, ...Array.from({ length: 200 }, (_, i) => `payments-service-${i + 2}`)];
  const found = candidates.find((name) => {
    const shard = partitionForGroup(name, OFFSETS_PARTITIONS);
    return shard !== failedShard && leaders.get(shard) === broker;
  });
  if (!found) throw new RecoveryError('NOT_FOUND', `no group name maps to another shard of broker ${broker}`);
  return found;
}

async function committedOffsets(env: IncidentEnvironment, group: string): Promise<PartitionOffsets[]> {
  const partitions = Array.from({ length: TOPIC_PARTITIONS }, (_, p) => p);
  const [offsets, ends] = await Promise.all([env.port.fetchCommittedOffsets(group, [TOPIC]), env.port.listOffsets(TOPIC, partitions, { kind: 'latest' })]);
  return partitions.map((partition) => {
    const offset = offsets.find((o) => o.topic === TOPIC && o.partition === partition)?.offset ?? -1n;
    return { partition, committed: offset >= 0n ? Number(offset) : null, logEnd: Number(ends.find((e) => e.partition === partition)?.offset ?? 0n) };
  });
}

const BROKER_LOG_PAGES = 20;
/** The wordings of a shard's failed load: 4.x's runtime, its loader, and 3.x's GroupMetadataManager. */
const LOAD_FAILURE = /Failed to load metadata from|Error loading offsets from|Replaying record/;

/** The failure lines as the runbook's Diagnose reads them: FilterLogEvents on the broker log group. */
async function brokerLogEvidence(env: IncidentEnvironment, shard: number, since: number): Promise<DemoEvent> {
  const client = new CloudWatchLogsClient(env.aws.clientConfig('logs'));
  const filterPattern = `"__consumer_offsets-${shard}"`;
  try {
    // The quoted phrase also matches __consumer_offsets-<shard><digit>; keep this shard's lines.
    const exact = new RegExp(`__consumer_offsets-${shard}(?!\\d)`);
    const lines: Array<{ stream: string; message: string }> = [];
    // Real brokers log many routine lines about the partition (leadership, high watermark), so
    // read every page, not only the first 50 lines, which may all come before the failure.
    let nextToken: string | undefined;
    for (let page = 0; page < BROKER_LOG_PAGES; page++) {
      const answer = await client.send(new FilterLogEventsCommand({ logGroupName: env.aws.logGroupName, filterPattern, startTime: since - 1000, limit: 50, ...(nextToken ? { nextToken } : {}) }));
      for (const e of answer.events ?? []) if (exact.test(e.message ?? '')) lines.push({ stream: e.logStreamName ?? '', message: (e.message ?? '').trimEnd() });
      nextToken = answer.nextToken;
      if (!nextToken) break;
    }
    // The story shows the load failures; the routine lines only when there is none to show.
    const failures = lines.filter((l) => LOAD_FAILURE.test(l.message));
    const events = failures.length > 0 ? failures : lines.slice(0, 50);
    return { type: 'broker-log', logGroupName: env.aws.logGroupName, filterPattern, events };
  } finally {
    client.destroy();
  }
}

/** The approval mail of a run: its subject asks for approval and it names the execution (no task token travels by mail). */
export function isApprovalRequest(message: { subject: string | null; message: string }, executionArn: string): boolean {
  return (message.subject ?? '').startsWith('Approve') && message.message.includes(`Execution: ${executionArn}`);
}

/** The approver's side: the signed link from the mail, submitted as the page's form would. */
export async function submitDecision(mailText: string, answer: ApprovalAnswer): Promise<void> {
  const link = /https?:\/\/\S+/.exec(mailText)?.[0];
  if (!link) throw new RecoveryError('NOT_FOUND', 'the approval message carries no link');
  const body = new URLSearchParams({ decision: answer.approved ? 'approve' : 'reject', approver: answer.by, comment: answer.reason });
  const response = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  if (response.status !== 200) throw new RecoveryError('AWS_ERROR', `the approval link answered ${response.status}: ${(await response.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()}`);
}

function runbookStopped(outcome: ExecutionOutcome, when: string): RecoveryError {
  const why = outcome.status === 'FAILED' ? `${outcome.error}: ${outcome.cause}` : `it succeeded with ${JSON.stringify(outcome.output)}`;
  return new RecoveryError('KAFKA_ERROR', `the runbook did not go as expected ${when}: ${why}`);
}

async function resumeOnTarget(env: IncidentEnvironment, targetGroup: string, produced: readonly PlacedMessage[], committed: PartitionOffsets[], signal: AbortSignal): Promise<ResumeCheck> {
  const lastOffset = new Map<number, number>();
  for (const m of produced) lastOffset.set(m.partition, Math.max(m.offset, lastOffset.get(m.partition) ?? -1));
  const reachedEnd = (received: readonly PlacedMessage[]): boolean =>
    [...lastOffset].every(([partition, last]) => received.some((m) => m.partition === partition && m.offset === last));
  const received = await consumeUntil(env.kafka, targetGroup, TOPIC, reachedEnd, signal);
  return checkResume(produced, new Map(committed.map((c) => [c.partition, c.committed ?? 0])), received);
}
