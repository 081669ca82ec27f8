import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_TRANSIENT_ERRORS, NOT_APPROVED_ERRORS, STATE, STEP_TRANSIENT_ERRORS } from '../../../lib/recovery-state-machine.ts';
import { runDefinition, synthesizeRunbook, type ExecutionOutcome, type ObjectStore, type SynthesizedRunbook } from '../../../local/stepfunctions/index.ts';
import { validateExecutionInput } from '../../../lambdas/core/workflow/input.ts';
import { EXAMPLE_CONFIG } from '../../../lib/config.ts';

type AslState = Record<string, unknown> & { Type: string };
type Asl = { StartAt: string; States: Record<string, AslState> };
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => { isValid: boolean; errorsText: (separator?: string) => string };

const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

// The stack as `cdk synth` builds it with the example configuration (cdk-nag is checked in test/cdk/stack).
let synth: SynthesizedRunbook;
let runbook: Asl;
let starter: Asl;
/** The artifacts bucket as the definition names it. */
let ARTIFACTS_BUCKET: string;
beforeAll(() => {
  synth = synthesizeRunbook({});
  runbook = synth.definition as unknown as Asl;
  starter = synth.starter as unknown as Asl;
  ARTIFACTS_BUCKET = (runbook.States['ReadOffsets']!['ItemReader'] as { Parameters: { Bucket: string } }).Parameters.Bucket;
}, 120_000);

/** Every state, including those inside Map item processors. */
function allStates(definition: Asl): Array<[string, AslState]> {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const processor = (state['ItemProcessor'] ?? state['Iterator']) as Asl | undefined;
    return [[name, state] as [string, AslState], ...(processor ? allStates(processor) : [])];
  });
}

describe('the synthesized definitions', () => {
  it('pass asl-validator, paths and ARNs included', () => {
    for (const definition of [runbook, starter]) {
      const result = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
      expect(result.errorsText('\n')).toBe('');
      expect(result.isValid).toBe(true);
    }
  });

  it('would fail asl-validator if a transition, a path or an ARN were broken (the check is not vacuous)', () => {
    const broken = (change: (definition: Asl) => void): boolean => {
      const copy = structuredClone(runbook);
      change(copy);
      return aslValidator(copy, { checkPaths: true, checkArn: true }).isValid;
    };
    expect(broken((d) => void (d.States[STATE.verify]!['Next'] = 'NoSuchState'))).toBe(false);
    expect(broken((d) => void (d.States[STATE.blastRadius]!['ItemsPath'] = 'diagnosis.shards'))).toBe(false);
    expect(broken((d) => void (d.States[STATE.planTarget]!['Resource'] = 'lambda:plan-target'))).toBe(false);
  });

  it('runs the steps in the runbook order', () => {
    const next = (name: string): string | undefined => runbook.States[name]?.['Next'] as string | undefined;
    expect(runbook.StartAt).toBe('Diagnose');
    expect(next('Diagnose')).toBe(STATE.normalize);
    expect(next(STATE.normalize)).toBe(STATE.hasFailedShards);
    expect(next('BlastRadius')).toBe('ReadOffsets');
    expect(next('ReadOffsets')).toBe('PlanTarget');
    expect(next('PlanTarget')).toBe(STATE.hasPlannedGroups);
    expect(next(STATE.keepPlan)).toBe('AwaitApproval');
    expect(next('AwaitApproval')).toBe('SeedOffsets');
    expect(next('SeedOffsets')).toBe('Verify');
    expect(next('Verify')).toBe('Report');
    expect(runbook.States['BlastRadius']!.Type).toBe('Map');
    expect(runbook.States['BlastRadius']!['ItemsPath']).toBe('$.diagnosis.shards');
    // ReadOffsets: a Distributed Map whose items and results are in S3, one failed group failing only its item.
    const readOffsets = runbook.States['ReadOffsets']!;
    expect(readOffsets.Type).toBe('Map');
    expect((readOffsets['ItemProcessor'] as { ProcessorConfig: unknown }).ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(readOffsets['ItemsPath']).toBeUndefined();
    expect(readOffsets['ItemReader']).toEqual({ Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { Bucket: ARTIFACTS_BUCKET, 'Prefix.$': '$.diagnosis.artifactPrefixes.groupResults' } });
    expect(readOffsets['ResultWriter']).toEqual({ Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: ARTIFACTS_BUCKET, 'Prefix.$': '$.diagnosis.artifactPrefixes.readOffsetsResults' } });
    expect(readOffsets['ToleratedFailurePercentage']).toBe(100);
    expect(readOffsets['ResultPath']).toBe('$.groups');
    expect((readOffsets['ItemProcessor'] as Asl).States[STATE.readGroupOffsets]!.Type).toBe('Task');
    // Only definite paths: no `[*]` projections, which interpreters disagree on.
    expect(JSON.stringify(runbook)).not.toContain('[*]');
  });

  it('waits for the approval task token for 24 hours by default', () => {
    const approval = runbook.States['AwaitApproval']!;
    expect(approval['Resource']).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(approval['TimeoutSeconds']).toBe(24 * 3600);
    expect(approval['HeartbeatSeconds']).toBeUndefined();
    expect((approval['Parameters'] as { Payload: Record<string, unknown> }).Payload['taskToken.$']).toBe('$$.Task.Token');
    // A rejection or a timeout is caught before the catch-all, and never retried.
    const catches = approval['Catch'] as { ErrorEquals: string[]; Next: string }[];
    expect(catches[0]!.ErrorEquals).toEqual(NOT_APPROVED_ERRORS);
    const retried = (approval['Retry'] as { ErrorEquals: string[] }[]).flatMap((retry) => retry.ErrorEquals);
    for (const error of NOT_APPROVED_ERRORS) expect(retried).not.toContain(error);
  });

  it('catches every top-level task and Map into the failure path, and retries transient errors on every task', () => {
    const tasks = Object.entries(runbook.States).filter(([, state]) => state.Type === 'Task' || state.Type === 'Map');
    expect(tasks.map(([name]) => name).sort()).toEqual(
      ['AwaitApproval', 'BlastRadius', 'Diagnose', 'NotifyFailure', 'PlanTarget', 'ReadOffsets', 'Report', 'SeedOffsets', 'Verify'].sort(),
    );
    for (const [name, state] of tasks) {
      const catches = state['Catch'] as { ErrorEquals: string[]; Next: string; ResultPath: string }[] | undefined;
      expect(catches, `${name} has a Catch`).toBeDefined();
      const catchAll = catches!.find((c) => c.ErrorEquals.includes('States.ALL'))!;
      expect(catchAll, `${name} catches States.ALL`).toBeDefined();
      if (name === 'NotifyFailure') {
        expect(catchAll.Next).toBe(STATE.failureKind);
      } else {
        expect(catchAll.Next).toBe(`${name}Failed`);
        expect(runbook.States[`${name}Failed`]!['Next']).toBe('NotifyFailure');
        expect(runbook.States[`${name}Failed`]!['Parameters']).toEqual({ failedState: name, 'error.$': '$.error' });
      }
    }
    for (const [name, state] of allStates(runbook).filter(([, s]) => s.Type === 'Task')) {
      const retries = state['Retry'] as { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[];
      const lambdaRetry = retries.find((retry) => retry.ErrorEquals.includes('Lambda.ServiceException'));
      expect(lambdaRetry, `${name} retries Lambda service errors`).toBeDefined();
      expect(lambdaRetry!.ErrorEquals).toEqual(LAMBDA_TRANSIENT_ERRORS);
      expect(lambdaRetry!.BackoffRate).toBeGreaterThan(1);
      // Transient Kafka and AWS failures inside a step (RetryableError) are retried with backoff,
      // the approval's too (an SNS throttle in RequestApproval); its decisions are never retried.
      const stepRetry = retries.find((retry) => retry.ErrorEquals.includes(STEP_TRANSIENT_ERRORS[0]!));
      expect(stepRetry?.BackoffRate, `${name} retries RetryableError with backoff`).toBeGreaterThan(1);
      if (name === STATE.awaitApproval) {
        expect(retries.flatMap((retry) => retry.ErrorEquals).filter((error) => ['ApprovalRejected', 'States.Timeout', 'States.TaskFailed'].includes(error))).toEqual([]);
      }
      for (const retry of retries) expect(retry.ErrorEquals.filter((error) => error.startsWith('RecoveryError.') || error === 'States.ALL'), `${name} retries no definite failure`).toEqual([]);
    }
    expect(runbook.States[STATE.notApproved]!.Type).toBe('Fail');
    expect(runbook.States[STATE.failed]!.Type).toBe('Fail');
  });

  it('maps every Task state to the handler it invokes', () => {
    expect(synth.taskHandlers).toEqual({
      Diagnose: 'diagnose',
      [STATE.planSegments]: 'blast-radius',
      [STATE.blastRadiusShard]: 'blast-radius',
      [STATE.mergeSegments]: 'blast-radius',
      [STATE.readGroupOffsets]: 'read-offsets',
      PlanTarget: 'plan-target',
      AwaitApproval: 'request-approval',
      SeedOffsets: 'seed-offsets',
      Verify: 'verify',
      Report: 'report',
      NotifyFailure: 'notify-failure',
    });
  });

  it('scans a shard as a Distributed Map of its segments: items read from and results written to the run\'s shard keys, then merged', () => {
    const shardItem = (runbook.States[STATE.blastRadius]!['ItemProcessor'] as Asl);
    expect(shardItem.StartAt).toBe(STATE.planSegments);
    expect(shardItem.States[STATE.planSegments]!['Next']).toBe(STATE.scanSegments);
    const segments = shardItem.States[STATE.scanSegments]!;
    expect(segments['Next']).toBe(STATE.mergeSegments);
    expect(segments).toMatchObject({
      Type: 'Map',
      Label: 'ShardSegments',
      MaxConcurrency: 4,
      ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { Bucket: expect.any(String), 'Key.$': '$.segments.items.key' } },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: expect.any(String), 'Prefix.$': '$.segments.results.prefix' } },
      ItemSelector: { 'request.$': '$.request', 'shard.$': '$.shard', 'segment.$': '$$.Map.Item.Value', scan: { continuations: 0 } },
      ResultPath: '$.segmentResults',
    });
    const processor = segments['ItemProcessor'] as Asl & { ProcessorConfig: unknown };
    expect(processor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(processor.StartAt).toBe(STATE.blastRadiusShard);
    // No tolerated failures: one failed segment fails the map run, and the shard with it (caught by BlastRadius).
    expect(segments['ToleratedFailureCount']).toBeUndefined();
    expect(segments['ToleratedFailurePercentage']).toBeUndefined();
    const merge = shardItem.States[STATE.mergeSegments]!;
    expect(merge['Parameters']).toMatchObject({ phase: 'merge', 'segments.$': '$.segments', 'results.$': '$.segmentResults', 'merge.$': '$.merge' });
    expect(merge).toMatchObject({ ResultPath: '$.merge', Next: STATE.mergeDone });
    expect(runbook.States[STATE.blastRadius]!['ItemSelector']).toMatchObject({ merge: { continuations: 0 } });
    expect(shardItem.States[STATE.mergeDone]).toMatchObject({ Type: 'Choice', Choices: [expect.objectContaining({ Next: STATE.mergeSegments })], Default: STATE.mergeStored });
    expect(shardItem.States[STATE.mergeStored]).toMatchObject({ Type: 'Pass', OutputPath: '$.merge', End: true });
  });

  it('invokes the Lambdas directly so the local runner can map Resource ARNs to handlers', () => {
    const lambdaIds = new Set(Object.entries(synth.template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => id));
    for (const [name, state] of allStates(runbook).filter(([, s]) => s.Type === 'Task' && s['Resource'] !== 'arn:aws:states:::lambda:invoke.waitForTaskToken')) {
      const match = /^arn:aws:lambda:eu-west-1:123456789012:function:(.+)$/.exec(String(state['Resource']));
      expect(match, `${name} resource`).not.toBeNull();
      expect(lambdaIds.has(match![1]!)).toBe(true);
    }
  });

  it('starts the runbook from the alarm under a name without colons, treating an existing run as success', () => {
    const start = starter.States['StartRunbook']!;
    expect(start['Resource']).toBe('arn:aws:states:::states:startExecution');
    const parameters = start['Parameters'] as Record<string, unknown>;
    expect(parameters['Name.$']).toBe("States.Format('alarm-{}', States.ArrayGetItem(States.StringSplit($.eventTime, ':'), 0))");
    expect(parameters['Input']).toMatchObject({
      'until.$': '$.eventTime',
      lookbackMinutes: 120,
      trigger: { source: 'alarm', 'alarmName.$': '$.alarmName', 'alarmTime.$': '$.alarmTime' },
    });
    const catches = start['Catch'] as { ErrorEquals: string[]; Next: string }[];
    expect(catches[0]!.ErrorEquals).toContain('StepFunctions.ExecutionAlreadyExistsException');
    expect(starter.States[catches[0]!.Next]!.Type).toBe('Succeed');
  });
});

// ---------------------------------------------------------------------------------------------
// Running the very definition with local/stepfunctions, every Task replaced by a stand-in that
// records its input: proves the paths, Choices, Maps and intrinsic functions fit together.

const REQUEST = { clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/orders-prod/x-1', groups: [], window: { since: 1, until: 2 } };
const PLAN = { plan: { bucket: 'b', key: 'plans/p.json', bytes: 10, sha256: 'abc' }, planSha256: 'abc', summary: { planId: 'p', groups: 1, partitions: 3, blockedGroups: 0, unreadGroups: 0, warnings: 0 } };
const EXECUTION_ID = 'arn:aws:states:eu-west-1:123456789012:execution:runbook:test';
const PREFIXES = { groupResults: 'executions/runbook/test/groups/', readOffsetsResults: 'executions/runbook/test/read-offsets/map-run' };
const SEED = { planSha256: 'abc', ok: true, groups: { seeded: 1, partial: 0, failed: 0, skippedBlocked: 0 }, approvalRecord: PLAN.plan, fullResult: PLAN.plan };

/** A Diagnose answer: failed shards (with every group, `groups: null`) on broker 2. */
function diagnosisOf(partitions: number[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { request: REQUEST, verdict: 'COORDINATOR_FAILED', failingBrokers: [2], failedShards: partitions, shards: partitions.map((partition) => ({ partition, brokerId: 2, groups: null })), groups: [], artifactPrefixes: PREFIXES, ...extra };
}

/** S3 as the Distributed Maps see it, in memory: what the fake shard scans store, what the ResultWriter writes. */
class MemoryObjects implements ObjectStore {
  readonly objects = new Map<string, string>();
  getObject(bucket: string, key: string): Promise<string> {
    const body = this.objects.get(`${bucket}/${key}`);
    if (body === undefined) return Promise.reject(namedError('NoSuchKey', `s3://${bucket}/${key}`));
    return Promise.resolve(body);
  }
  putObject(bucket: string, key: string, body: string): Promise<void> {
    this.objects.set(`${bucket}/${key}`, body);
    return Promise.resolve();
  }
  listObjects(bucket: string, prefix: string) {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(`${bucket}/${prefix}`)).sort();
    return Promise.resolve(keys.map((k) => ({ Etag: '"e"', Key: k.slice(bucket.length + 1), LastModified: '2026-11-24T00:00:00.000Z', Size: this.objects.get(k)!.length, StorageClass: 'STANDARD' })));
  }
  /** What the run left at bucket/key, or undefined. */
  get(bucketAndKey: string): string | undefined {
    return this.objects.get(bucketAndKey);
  }
  /** The JSON of the one object of the ReadOffsets map run whose key ends so. */
  json(suffix: string): unknown {
    const found = [...this.objects.keys()].filter((k) => k.includes(`/${PREFIXES.readOffsetsResults}/`) && k.endsWith(suffix));
    if (found.length !== 1) throw new Error(`${found.length} objects end with ${suffix}`);
    return JSON.parse(this.objects.get(found[0]!)!);
  }
}

/**
 * A shard scan as the BlastRadius Lambda finishes one: each group's result stored under the run's
 * group-results prefix (where ReadOffsets lists its items), counts in the output.
 */
function scanStoring(objects: MemoryObjects, groupsOf: (partition: number) => string[]): Handler {
  return (input) => {
    const partition = (input as { shard: { partition: number } }).shard.partition;
    const groups = groupsOf(partition);
    for (const group of groups) objects.objects.set(`${ARTIFACTS_BUCKET}/${PREFIXES.groupResults}partition-${partition}/${encodeURIComponent(group)}.json`, '{}');
    return { status: 'DONE', partition, brokerId: 2, continuations: 0, bytesRead: 1, records: 1, groupCount: groups.length, affectedGroupCount: groups.length, topicCount: 1, detail: { artifact: PLAN.plan }, groupResults: `${PREFIXES.groupResults}partition-${partition}/` };
  };
}

/** The group a ReadOffsets item stands for, from its listed key. */
function groupOfItem(input: unknown): string {
  const key = (input as { groupResultKey: string }).groupResultKey;
  return decodeURIComponent(key.slice(key.lastIndexOf('/') + 1, -'.json'.length));
}

type Calls = Record<string, unknown[]>;
type Handler = (input: unknown, attempt: number) => unknown;

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

interface Run {
  calls: Calls;
  objects: MemoryObjects;
  outcome: ExecutionOutcome;
  /** Top-level states in the order they were entered. */
  states: string[];
  payload: { maxBytes: number; state: string | null };
}

/** The artifacts bucket as the definition names it (the Distributed Map reads and writes there). */
function artifactsBucket(): string {
  const segments = allStates(runbook).find(([name]) => name === STATE.scanSegments)![1];
  return (segments['ItemReader'] as { Parameters: { Bucket: string } }).Parameters.Bucket;
}

/** PlanSegments as the handler answers it: `count` segments of 100 offsets, written where the Distributed Map reads them. */
async function planned(store: ObjectStore, input: unknown, count = 1): Promise<unknown> {
  const shard = (input as { shard: { partition: number } }).shard;
  const bucket = artifactsBucket();
  const key = `shards/partition-${shard.partition}/segments/items.json`;
  const segments = Array.from({ length: count }, (_, index) => ({ index, fromOffset: String(index * 100), toOffset: String(index * 100 + 100) }));
  await store.putObject(bucket, key, JSON.stringify(segments));
  return {
    status: 'PLANNED',
    partition: shard.partition,
    brokerId: 2,
    segments: count,
    estimatedBytes: count * 1000,
    plan: { ...PLAN.plan, key: `shards/partition-${shard.partition}/segments/plan.json` },
    items: { bucket, key },
    results: { bucket, prefix: `shards/partition-${shard.partition}/segments/results` },
  };
}

function segmentDone(input: unknown): unknown {
  const { shard, segment, scan } = input as { shard: { partition: number }; segment: { index: number }; scan: { continuations: number } };
  return { status: 'SEGMENT_DONE', partition: shard.partition, brokerId: 2, segment, continuations: scan.continuations, bytesRead: 10, records: 1, scan: PLAN.plan };
}

async function execute(handlers: Partial<Record<string, Handler>> | ((objects: MemoryObjects) => Partial<Record<string, Handler>>)): Promise<Run> {
  const calls: Calls = {};
  const objects = new MemoryObjects();
  const chosen = typeof handlers === 'function' ? handlers(objects) : handlers;
  const defaults: Record<string, Handler> = {
    Diagnose: () => diagnosisOf([7, 9]),
    [STATE.planSegments]: (input) => planned(objects, input),
    [STATE.blastRadiusShard]: segmentDone,
    // The merge stores every group of the shard, as the handler does; ReadOffsets lists them.
    [STATE.mergeSegments]: scanStoring(objects, (partition) => (partition === 7 ? ['billing', 'orders'] : ['search'])),
    [STATE.readGroupOffsets]: (input) => ({ artifact: { ...PLAN.plan, key: `read-offsets/${groupOfItem(input)}.json` } }),
    PlanTarget: () => PLAN,
    AwaitApproval: () => ({ approved: true, planSha256: 'abc', approvedBy: 'alice', approvedAt: '2026-11-24T00:00:00Z', channel: 'link', approvalId: 'a1', comment: null }),
    SeedOffsets: () => SEED,
    Verify: () => ({ ok: true, groups: { verified: 1, failed: 0 }, fullResult: PLAN.plan }),
    Report: (input) => ({ outcome: (input as { verify?: { ok: boolean } }).verify?.ok === false ? 'PARTIALLY_RECOVERED' : (input as { plan?: unknown }).plan ? 'RECOVERED' : 'NOTHING_TO_RECOVER', result: PLAN.plan, summary: 'summary line' }),
    NotifyFailure: () => ({ notified: true, messageId: 'm1', reason: 'r' }),
  };
  const attempts: Record<string, number> = {};
  const tasks = Object.fromEntries(
    Object.keys(defaults).map((state) => [
      state,
      (event: unknown) => {
        (calls[state] ??= []).push(event);
        attempts[state] = (attempts[state] ?? 0) + 1;
        return (chosen[state] ?? defaults[state]!)(event, attempts[state]);
      },
    ]),
  );
  const input = { clusterArn: REQUEST.clusterArn, lookbackMinutes: 60 };
  const run = runDefinition(synth.definition, input, {
    tasks,
    objects,
    context: {
      Execution: { Id: EXECUTION_ID, Name: 'test', Input: input, StartTime: '2026-11-24T00:00:00Z' },
      StateMachine: { Id: 'arn:aws:states:eu-west-1:123456789012:stateMachine:runbook', Name: 'runbook' },
      Task: { Token: 'token-1' },
    },
  });
  const outcome = await run.done;
  return { calls, objects, outcome, states: run.states, payload: run.payload };
}

describe('the alarm starter, executed locally', () => {
  const alarmEvent = { alarmName: 'CoordinatorRecovery-coordinator-load-failures', alarmTime: '2026-11-24T17:04:40.985+0000', eventTime: '2026-11-24T17:04:41Z' };

  async function runStarter(
    startRunbook: (input: unknown) => unknown,
    running: unknown[] = [],
    publish: (input: unknown) => unknown = () => ({ MessageId: 'm-1' }),
  ): Promise<{ started: unknown[]; notices: unknown[]; states: string[]; outcome: ExecutionOutcome }> {
    const started: unknown[] = [];
    const notices: unknown[] = [];
    const run = runDefinition(synth.starter, alarmEvent, {
      retryIntervalMs: 1,
      tasks: {
        ListRunningRuns: () => ({ Executions: running }),
        TellRunInProgress: (parameters: unknown) => {
          notices.push(parameters);
          return publish(parameters);
        },
        StartRunbook: (parameters: unknown) => {
          started.push(parameters);
          return startRunbook(parameters);
        },
      },
    });
    const outcome = await run.done;
    return { started, notices, states: run.states, outcome };
  }

  it('starts the runbook once per alarm hour with an input the runbook accepts', async () => {
    const { started, states, outcome } = await runStarter(() => ({ ExecutionArn: 'arn:x', StartDate: 'now' }));
    expect(outcome.status).toBe('SUCCEEDED');
    expect(states.at(-1)).toBe('Started');
    expect(started).toHaveLength(1);
    const parameters = started[0] as { Name: string; Input: unknown };
    expect(parameters.Name).toBe('alarm-2026-11-24T17');
    // The runbook's own validation (Diagnose) must accept what the starter sends.
    const request = validateExecutionInput(parameters.Input, { executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:r:alarm-2026-11-24T17', defaults: { clusterArn: EXAMPLE_CONFIG.clusterArn, authMode: EXAMPLE_CONFIG.authMode } });
    expect(request.window).toEqual({ since: Date.parse('2026-11-24T17:04:41Z') - 120 * 60_000, until: Date.parse('2026-11-24T17:04:41Z') });
    expect(request.trigger).toEqual({ source: 'alarm', alarmName: alarmEvent.alarmName, alarmTime: alarmEvent.alarmTime });
  });

  it('treats an execution that already exists for this hour as success at once, without retrying it', async () => {
    const { started, states, outcome } = await runStarter(() => {
      throw namedError('StepFunctions.ExecutionAlreadyExistsException', 'exists');
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(states.at(-1)).toBe('AlreadyStarted');
    expect(started).toHaveLength(1);
  });

  it('still retries a start Step Functions refused for a transient reason', async () => {
    let attempts = 0;
    const { started, outcome } = await runStarter(() => {
      attempts += 1;
      if (attempts < 3) throw namedError('StepFunctions.ExecutionLimitExceededException', 'too many');
      return { ExecutionArn: 'arn:x', StartDate: 'now' };
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(started).toHaveLength(3);
  });

  it('does not start a second run while one is in progress, and tells the topic the alarm fired again', async () => {
    const { started, notices, states, outcome } = await runStarter(() => ({}), [{ name: 'alarm-2026-11-24T16', status: 'RUNNING' }]);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(started).toEqual([]);
    expect(states.at(-1)).toBe('RunAlreadyInProgress');
    expect(notices).toEqual([
      {
        TopicArn: expect.anything(),
        Subject: 'Coordinator recovery: the alarm fired again during a run',
        Message: expect.stringMatching(/^The alarm CoordinatorRecovery-coordinator-load-failures fired at 2026-11-24T17:04:41Z while execution alarm-2026-11-24T16 of the recovery runbook is in progress, so no new run was started\./),
      },
    ]);
  });

  it('ends quietly when the notice cannot be published', async () => {
    const { outcome, states } = await runStarter(() => ({}), [{ name: 'r', status: 'RUNNING' }], () => {
      throw namedError('SNS.InternalErrorException', 'down');
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(states.at(-1)).toBe('RunAlreadyInProgress');
  });
});

describe('the runbook definition, executed locally', () => {
  it('recovers: each shard and each of its groups once, approval with the task token, report with the whole story', async () => {
    const { calls, objects, outcome, states } = await execute({});
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { outcome: 'RECOVERED', result: PLAN.plan, summary: 'summary line' } });
    expect(calls['Diagnose']).toEqual([
      { input: { clusterArn: REQUEST.clusterArn, lookbackMinutes: 60 }, executionArn: EXECUTION_ID, startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    ]);
    const shards = [7, 9].map((partition) => ({ partition, brokerId: 2, groups: null }));
    expect(calls[STATE.planSegments]).toEqual(shards.map((shard) => ({ phase: 'plan', request: REQUEST, shard })));
    // One segment per shard here, scanned by the Distributed Map's child execution, then merged.
    expect(calls[STATE.blastRadiusShard]).toEqual(
      expect.arrayContaining(shards.map((shard) => ({ request: REQUEST, shard, segment: { index: 0, fromOffset: '0', toOffset: '100' }, scan: { continuations: 0 } }))),
    );
    expect(calls[STATE.blastRadiusShard]).toHaveLength(2);
    const merges = calls[STATE.mergeSegments] as { phase: string; shard: { partition: number }; segments: { status: string }; results: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } } }[];
    expect(merges.map((m) => [m.phase, m.shard.partition, m.segments.status])).toEqual([['merge', 7, 'PLANNED'], ['merge', 9, 'PLANNED']]);
    for (const merge of merges) {
      expect(merge.results.MapRunArn).toMatch(/^arn:aws:states:eu-west-1:123456789012:mapRun:runbook\/ShardSegments:/);
      expect(merge.results.ResultWriterDetails.Key).toMatch(new RegExp(`^shards/partition-${merge.shard.partition}/segments/results/[0-9a-f-]{36}/manifest\\.json$`));
    }
    // Every group of every failed shard is an item, listed from S3, read once.
    expect((calls[STATE.readGroupOffsets] as unknown[]).map(groupOfItem).sort()).toEqual(['billing', 'orders', 'search']);
    expect(calls[STATE.readGroupOffsets]).toContainEqual({ request: REQUEST, groupResultKey: `${PREFIXES.groupResults}partition-9/search.json` });
    const plan = calls['PlanTarget']![0] as { groups: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } }; diagnosis: unknown; request: unknown };
    expect(plan.request).toEqual(REQUEST);
    expect(plan.diagnosis).toEqual({ failingBrokers: [2], failedShards: [7, 9] });
    // The state holds where the results are, never the results.
    expect(plan.groups).toEqual({ MapRunArn: expect.stringMatching(/:mapRun:runbook\/ReadOffsets:/), ResultWriterDetails: { Bucket: ARTIFACTS_BUCKET, Key: expect.stringMatching(new RegExp(`^${PREFIXES.readOffsetsResults}/.+/manifest.json$`)) } });
    const manifest = objects.json('manifest.json') as { ResultFiles: { SUCCEEDED: { Key: string }[]; FAILED: unknown[] } };
    expect(manifest.ResultFiles.FAILED).toEqual([]);
    const succeeded = objects.json('SUCCEEDED_0.json') as { Output: string }[];
    expect(succeeded.map((entry) => (JSON.parse(entry.Output) as { artifact: { key: string } }).artifact.key).sort()).toEqual(['billing', 'orders', 'search'].map((g) => `read-offsets/${g}.json`));
    expect(calls['AwaitApproval']).toEqual([{ request: REQUEST, plan: PLAN, taskToken: 'token-1', incident: { diagnosis: expect.objectContaining({ verdict: 'COORDINATOR_FAILED', failedShards: [7, 9] }), blastRadius: expect.any(Array) } }]);
    expect((calls['AwaitApproval']![0] as { incident: { blastRadius: { partition: number }[] } }).incident.blastRadius.map((s) => s.partition)).toEqual([7, 9]);
    expect(calls['SeedOffsets']![0]).toMatchObject({ request: REQUEST, plan: PLAN, approval: { approved: true, approvedBy: 'alice' } });
    expect(calls['Verify']![0]).toMatchObject({ request: REQUEST, plan: PLAN, seed: { ok: true } });
    const report = calls['Report']![0] as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(['approval', 'blastRadius', 'diagnosis', 'plan', 'request', 'seed', 'verify']);
    expect(calls['NotifyFailure']).toBeUndefined();
    expect(states.at(-1)).toBe(STATE.succeeded);
  });

  it('reports "nothing to recover" without scanning when no shard failed', async () => {
    const { calls, outcome } = await execute({
      Diagnose: () => ({ ...diagnosisOf([]), verdict: 'HEALTHY', failingBrokers: [] }),
    });
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'NOTHING_TO_RECOVER' } });
    expect(calls[STATE.planSegments]).toBeUndefined();
    expect(calls[STATE.blastRadiusShard]).toBeUndefined();
    expect(Object.keys(calls['Report']![0] as object).sort()).toEqual(['diagnosis', 'request']);
  });

  it('reports without asking for approval when the failed shards hold no groups to recover', async () => {
    const { calls, objects, outcome, states } = await execute((store) => ({
      [STATE.mergeSegments]: scanStoring(store, () => []),
      PlanTarget: () => ({ ...PLAN, summary: { ...PLAN.summary, groups: 0, partitions: 0 } }),
      Report: () => ({ outcome: 'NOTHING_TO_RECOVER', result: PLAN.plan, summary: 'nothing' }),
    }));
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'NOTHING_TO_RECOVER' } });
    expect(calls[STATE.readGroupOffsets]).toBeUndefined();
    // Nothing listed, nothing run: the map run still says so where PlanTarget looks.
    expect((calls['PlanTarget']![0] as { groups: unknown }).groups).toMatchObject({ ResultWriterDetails: { Bucket: ARTIFACTS_BUCKET } });
    expect(objects.json('manifest.json')).toMatchObject({ ResultFiles: { FAILED: [], SUCCEEDED: [] } });
    expect(calls['AwaitApproval']).toBeUndefined();
    expect(states).toContain(STATE.nothingToApprove);
    expect(Object.keys(calls['Report']![0] as object).sort()).toEqual(['blastRadius', 'diagnosis', 'plan', 'request']);
  });

  it('invokes a shard scan again from its checkpoint while it answers CONTINUE, and never counts that as a failure', async () => {
    const checkpoint = { bucket: 'artifacts', key: 'shards/partition-7/checkpoint.json', bytes: 10, sha256: 'c'.repeat(64) };
    let invocations = 0;
    const { calls, outcome, objects } = await execute({
      Diagnose: () => diagnosisOf([7]),
      [STATE.blastRadiusShard]: (input) => {
        const { scan, segment } = input as { scan: { continuations: number }; segment: unknown };
        invocations++;
        if (invocations < 3) return { status: 'CONTINUE', partition: 7, brokerId: 2, segment, continuations: scan.continuations + 1, checkpoint, nextOffset: String(invocations * 100), endOffset: '300' };
        return segmentDone(input);
      },
      [STATE.mergeSegments]: (input) => {
        // The merge is told where the map run's results are; reading them is the handler's business.
        const { results } = input as { results: { ResultWriterDetails: { Bucket: string; Key: string } } };
        return { status: 'DONE', partition: 7, brokerId: 2, continuations: 2, groupCount: 1, affectedGroupCount: 1, topicCount: 0, detail: { artifact: PLAN.plan }, manifest: results.ResultWriterDetails.Key };
      },
    });
    expect(outcome.status).toBe('SUCCEEDED');
    const scans = (calls[STATE.blastRadiusShard] as { scan: unknown }[]).map((c) => c.scan);
    expect(scans).toEqual([
      { continuations: 0 },
      expect.objectContaining({ status: 'CONTINUE', continuations: 1, checkpoint }),
      expect.objectContaining({ status: 'CONTINUE', continuations: 2, checkpoint, nextOffset: '200' }),
    ]);
    const report = calls['Report']![0] as { blastRadius: Array<{ manifest: string }> };
    expect(report.blastRadius).toEqual([expect.objectContaining({ status: 'DONE', continuations: 2, groupCount: 1 })]);
    // The child's last answer is its result, in the map run's SUCCEEDED file the merge was pointed at.
    const manifest = JSON.parse(objects.get(`${artifactsBucket()}/${report.blastRadius[0]!.manifest}`)!) as { ResultFiles: { SUCCEEDED: Array<{ Key: string }> } };
    const [child] = JSON.parse(objects.get(`${artifactsBucket()}/${manifest.ResultFiles.SUCCEEDED[0]!.Key}`)!) as Array<{ Output: string }>;
    expect(JSON.parse(child!.Output)).toMatchObject({ status: 'SEGMENT_DONE', continuations: 2, segment: { index: 0 } });
    expect(calls['NotifyFailure']).toBeUndefined();
  });

  it('invokes MergeSegments again with its CONTINUE output until the groups are stored, and the shard summary is the item result', async () => {
    const merged = { bucket: 'artifacts', key: 'shards/partition-7/segments/merged.json', bytes: 10, sha256: 'd'.repeat(64) };
    const { calls, outcome } = await execute({
      Diagnose: () => diagnosisOf([7]),
      [STATE.mergeSegments]: (input) => {
        const { merge } = input as { merge: { continuations: number; groupsStored?: number } };
        const stored = (merge.groupsStored ?? 0) + 100;
        if (stored < 300) return { status: 'CONTINUE', partition: 7, brokerId: 2, continuations: merge.continuations + 1, merged, groupsStored: stored, groups: 300 };
        return { status: 'DONE', partition: 7, brokerId: 2, continuations: merge.continuations, groupCount: 300, affectedGroupCount: 300, topicCount: 1, detail: { artifact: PLAN.plan } };
      },
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect((calls[STATE.mergeSegments] as { merge: unknown }[]).map((c) => c.merge)).toEqual([
      { continuations: 0 },
      { status: 'CONTINUE', partition: 7, brokerId: 2, continuations: 1, merged, groupsStored: 100, groups: 300 },
      { status: 'CONTINUE', partition: 7, brokerId: 2, continuations: 2, merged, groupsStored: 200, groups: 300 },
    ]);
    // Planned and scanned once: only the storing continued.
    expect(calls[STATE.planSegments]).toHaveLength(1);
    expect(calls[STATE.blastRadiusShard]).toHaveLength(1);
    const report = calls['Report']![0] as { blastRadius: unknown[] };
    expect(report.blastRadius).toEqual([{ status: 'DONE', partition: 7, brokerId: 2, continuations: 2, groupCount: 300, affectedGroupCount: 300, topicCount: 1, detail: { artifact: PLAN.plan } }]);
  });

  it('scans every segment of a split shard in its own child execution and merges them once', async () => {
    const { calls, outcome } = await execute((objects) => ({
      Diagnose: () => diagnosisOf([7]),
      [STATE.planSegments]: (input) => planned(objects, input, 3),
    }));
    expect(outcome.status).toBe('SUCCEEDED');
    const scanned = (calls[STATE.blastRadiusShard] as { segment: { index: number; fromOffset: string } }[]).map((c) => c.segment);
    expect(scanned.map((s) => s.index).sort()).toEqual([0, 1, 2]);
    expect(calls[STATE.mergeSegments]).toHaveLength(1);
  });

  it('a segment that fails fails its map run and the shard: notified, nothing planned', async () => {
    const { calls, outcome } = await execute((objects) => ({
      Diagnose: () => diagnosisOf([7]),
      [STATE.planSegments]: (input) => planned(objects, input, 3),
      [STATE.blastRadiusShard]: (input) => {
        if ((input as { segment: { index: number } }).segment.index === 1) throw namedError('RecoveryError.KAFKA_ERROR', 'fetch failed');
        return segmentDone(input);
      },
    }));
    expect(outcome).toMatchObject({ status: 'FAILED' });
    expect(calls[STATE.mergeSegments]).toBeUndefined();
    expect(calls['PlanTarget']).toBeUndefined();
    expect(calls['NotifyFailure']![0]).toMatchObject({ state: STATE.blastRadius, error: { Error: 'States.ExceedToleratedFailureThreshold' } });
  });

  it('measures the state at every transition, and a state over 256 KiB fails the run as on AWS, past every Catch', async () => {
    const small = await execute({});
    expect(small.payload.maxBytes).toBeGreaterThan(0);
    expect(small.payload.maxBytes).toBeLessThan(8 * 1024);

    // A plan summary of 300 KiB (a step that put its list in the state again): the run stops at once.
    const { calls, outcome, payload } = await execute({
      PlanTarget: () => ({ ...PLAN, summary: { ...PLAN.summary, planId: 'x'.repeat(300 * 1024) } }),
    });
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(payload.maxBytes).toBeGreaterThan(262_144);
    expect(calls['AwaitApproval']).toBeUndefined();
    // Not caught: the runbook's own failure path never ran (the EventBridge rule is what tells).
    expect(calls['NotifyFailure']).toBeUndefined();
  });

  it('5,000 groups of 34-character names on one failed shard: the state stays under 32 KiB at every transition and the run succeeds', async () => {
    // Small fakes stand for the Lambdas (5,000 real ReadOffsets invocations against a cluster would take minutes);
    // the definition, its Distributed Map and every transition are the real ones.
    const groups = Array.from({ length: 5_000 }, (_, i) => `consumer-group-${String(i).padStart(5, '0')}-orders-stream`);
    expect(new Set(groups.map((g) => g.length))).toEqual(new Set([34]));
    let planned = 0;
    const { calls, outcome, payload } = await execute((objects) => ({
      Diagnose: () => diagnosisOf([7]),
      [STATE.mergeSegments]: scanStoring(objects, () => groups),
      PlanTarget: async (input) => {
        // As the real one: the groups come from the map run's result files, never from the state.
        const details = (input as { groups: { ResultWriterDetails: { Bucket: string; Key: string } } }).groups.ResultWriterDetails;
        const manifest = JSON.parse(await objects.getObject(details.Bucket, details.Key)) as { ResultFiles: { SUCCEEDED: { Key: string }[] } };
        for (const file of manifest.ResultFiles.SUCCEEDED) planned += (JSON.parse(await objects.getObject(details.Bucket, file.Key)) as unknown[]).length;
        return { ...PLAN, summary: { ...PLAN.summary, groups: planned } };
      },
      SeedOffsets: () => ({ ...SEED, groups: { seeded: planned, partial: 0, failed: 0, skippedBlocked: 0 } }),
      Verify: () => ({ ok: true, groups: { verified: planned, failed: 0 }, fullResult: PLAN.plan }),
    }));
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'RECOVERED' } });
    expect(calls[STATE.readGroupOffsets]).toHaveLength(5_000);
    expect(planned).toBe(5_000);
    expect(payload.maxBytes).toBeGreaterThan(0);
    expect(payload.maxBytes, `largest state: ${payload.maxBytes} bytes at ${payload.state}`).toBeLessThan(32 * 1024);
  }, 300_000);

  it('handles a single shard with a single group', async () => {
    const { calls, outcome } = await execute((objects) => ({
      Diagnose: () => diagnosisOf([7], { shards: [{ partition: 7, brokerId: 2, groups: ['billing'] }], groups: ['billing'] }),
      [STATE.mergeSegments]: scanStoring(objects, () => ['billing']),
    }));
    expect(outcome.status).toBe('SUCCEEDED');
    expect(calls[STATE.readGroupOffsets]).toEqual([{ request: REQUEST, groupResultKey: `${PREFIXES.groupResults}partition-7/billing.json` }]);
    expect(calls['SeedOffsets']).toHaveLength(1);
  });

  it('ends with nothing written when the approver rejects, after notifying why', async () => {
    const { calls, outcome, states } = await execute({
      AwaitApproval: () => {
        throw namedError('ApprovalRejected', 'rejected by bob: wrong target');
      },
    });
    expect(outcome).toEqual({ status: 'FAILED', error: 'ApprovalRejected', cause: 'rejected by bob: wrong target' });
    expect(states.slice(-4)).toEqual(['AwaitApprovalNotApproved', 'NotifyFailure', STATE.failureKind, STATE.notApproved]);
    expect(calls['SeedOffsets']).toBeUndefined();
    expect(calls['NotifyFailure']).toEqual([
      {
        executionArn: EXECUTION_ID,
        state: 'AwaitApproval',
        input: { clusterArn: REQUEST.clusterArn, lookbackMinutes: 60 },
        error: { Error: 'ApprovalRejected', Cause: 'rejected by bob: wrong target' },
      },
    ]);
  });

  it('a group whose read fails fails only its item: the others are planned, the failure is in the results PlanTarget reads', async () => {
    const { calls, objects, outcome } = await execute({
      [STATE.readGroupOffsets]: (input) => {
        if (groupOfItem(input) === 'orders') throw namedError('RecoveryError.KAFKA_ERROR', 'fetch failed');
        return { artifact: { ...PLAN.plan, key: `read-offsets/${groupOfItem(input)}.json` } };
      },
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(calls['PlanTarget']).toHaveLength(1);
    expect(calls['NotifyFailure']).toBeUndefined();
    const failed = objects.json('FAILED_0.json') as { Input: string; Error: string; Cause: string }[];
    expect(failed).toEqual([expect.objectContaining({ Error: 'RecoveryError.KAFKA_ERROR', Cause: 'fetch failed' })]);
    expect(groupOfItem(JSON.parse(failed[0]!.Input))).toBe('orders');
    expect((objects.json('SUCCEEDED_0.json') as unknown[]).length).toBe(2);
  });

  it('fails the run when the groups cannot be listed at all (States.ItemReaderFailed is caught and notified)', async () => {
    const { calls, outcome, states } = await execute({ Diagnose: () => diagnosisOf([7], { artifactPrefixes: { readOffsetsResults: PREFIXES.readOffsetsResults } }) });
    expect(outcome.status).toBe('FAILED');
    expect(calls['PlanTarget']).toBeUndefined();
    expect(calls['NotifyFailure']![0]).toMatchObject({ state: 'ReadOffsets' });
    expect(states.at(-1)).toBe(STATE.failed);
  });

  it('retries a step after a transient Lambda error', async () => {
    const { calls, outcome } = await execute({
      Diagnose: (input, attempt) => {
        if (attempt === 1) throw namedError('Lambda.ServiceException', 'try again');
        return { ...diagnosisOf([]), verdict: 'HEALTHY', failingBrokers: [], echo: input };
      },
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(calls['Diagnose']).toHaveLength(2);
    expect(calls['NotifyFailure']).toBeUndefined();
  });

  it('fails visibly when the report says the recovery is incomplete', async () => {
    const { calls, outcome, states } = await execute({ Verify: () => ({ ok: false, groups: { verified: 0, failed: 1 }, fullResult: PLAN.plan }) });
    expect(outcome).toEqual({ status: 'FAILED', error: 'RecoveryIncomplete', cause: 'summary line' });
    expect(states.at(-1)).toBe(STATE.incomplete);
    expect(calls['Report']).toHaveLength(1);
    expect(calls['NotifyFailure']).toBeUndefined();
  });
});
