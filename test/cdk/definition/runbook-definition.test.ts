import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateMachine } from 'aws-local-stepfunctions';
import { renderDefinition, stateMachineIds, taskHandlers } from '../../../lib/definition.ts';
import { LAMBDA_TRANSIENT_ERRORS, NOT_APPROVED_ERRORS, STATE } from '../../../lib/recovery-state-machine.ts';
import { synthesize, type Synthesized } from '../helpers.ts';
import { validateExecutionInput } from '../../../lambdas/core/workflow/input.ts';
import { EXAMPLE_CONFIG } from '../../../lib/config.ts';

type AslState = Record<string, unknown> & { Type: string };
type Asl = { StartAt: string; States: Record<string, AslState> };
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => { isValid: boolean; errorsText: (separator?: string) => string };

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22); the project also runs on Node 20.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (value: T) => void;
      let reject!: (reason: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

let synth: Synthesized;
let runbook: Asl;
let starter: Asl;
beforeAll(() => {
  synth = synthesize();
  for (const id of stateMachineIds(synth.json)) {
    const definition = renderDefinition(synth.json, id, { region: 'eu-west-1' }) as Asl;
    if (definition.StartAt === STATE.diagnose) runbook = definition;
    else starter = definition;
  }
}, 120_000);
afterAll(() => synth?.dispose());

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
    expect(runbook.States['ReadOffsets']!.Type).toBe('Map');
    expect(runbook.States['ReadOffsets']!['ItemsPath']).toBe('$.blastRadius');
    const perShard = (runbook.States['ReadOffsets']!['ItemProcessor'] as Asl).States[STATE.readShardGroups]!;
    expect(perShard.Type).toBe('Map');
    expect(perShard['ItemsPath']).toBe('$.groups');
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
    }
    expect(runbook.States[STATE.notApproved]!.Type).toBe('Fail');
    expect(runbook.States[STATE.failed]!.Type).toBe('Fail');
  });

  it('maps every Task state to the handler it invokes', () => {
    expect(taskHandlers(synth.json, runbook as never)).toEqual({
      Diagnose: 'diagnose',
      [STATE.blastRadiusShard]: 'blast-radius',
      [STATE.readGroupOffsets]: 'read-offsets',
      PlanTarget: 'plan-target',
      AwaitApproval: 'request-approval',
      SeedOffsets: 'seed-offsets',
      Verify: 'verify',
      Report: 'report',
      NotifyFailure: 'notify-failure',
    });
  });

  it('invokes the Lambdas directly so the local runner can map Resource ARNs to handlers', () => {
    const lambdaIds = new Set(Object.entries(synth.json.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => id));
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
// Running the very definition with aws-local-stepfunctions, every Task replaced by a stand-in
// that records its input: proves the paths, Choices, Maps and intrinsic functions fit together.

const REQUEST = { clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/orders-prod/x-1', groups: [], window: { since: 1, until: 2 } };
const PLAN = { plan: { bucket: 'b', key: 'plans/p.json', bytes: 10, sha256: 'abc' }, planSha256: 'abc', summary: { planId: 'p', groups: [{ sourceGroup: 'billing', targetGroup: 'billing-recovered-1', partitions: 3, blocked: false }], partitions: 3, blockedGroups: 0, warnings: 0 } };

type Calls = Record<string, unknown[]>;
type Handler = (input: unknown, attempt: number) => unknown;

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

interface Run {
  calls: Calls;
  result?: unknown;
  error?: Error;
  /** Top-level states in the order they were entered. */
  states: string[];
  /** FunctionName of each AwaitApproval invocation. */
  functionNames: string[];
}

async function execute(handlers: Partial<Record<string, Handler>>): Promise<Run> {
  const calls: Calls = {};
  const defaults: Record<string, Handler> = {
    Diagnose: () => ({ request: REQUEST, verdict: 'COORDINATOR_FAILED', failingBrokers: [2], failedShards: [7, 9], shards: [{ partition: 7, brokerId: 2, groups: null }, { partition: 9, brokerId: 2, groups: null }], groups: [] }),
    [STATE.blastRadiusShard]: (input) => {
      const partition = (input as { shard: { partition: number } }).shard.partition;
      return { partition, brokerId: 2, groupsToRecover: partition === 7 ? ['billing', 'orders'] : ['search'], affectedGroups: [], topics: [], detail: { artifact: PLAN.plan } };
    },
    [STATE.readGroupOffsets]: (input) => ({ artifact: { ...PLAN.plan, key: `groups/${(input as { groupId: string }).groupId}.json` } }),
    PlanTarget: () => PLAN,
    AwaitApproval: () => ({ approved: true, planSha256: 'abc', approvedBy: 'alice', approvedAt: '2026-11-24T00:00:00Z', channel: 'link', approvalId: 'a1', comment: null }),
    SeedOffsets: () => ({ planSha256: 'abc', ok: true, groups: [], approvalRecord: PLAN.plan }),
    Verify: () => ({ ok: true, groups: [] }),
    Report: (input) => ({ outcome: (input as { verify?: { ok: boolean } }).verify?.ok === false ? 'PARTIALLY_RECOVERED' : (input as { plan?: unknown }).plan ? 'RECOVERED' : 'NOTHING_TO_RECOVER', result: PLAN.plan, summary: 'summary line' }),
    NotifyFailure: () => ({ notified: true, messageId: 'm1', reason: 'r' }),
  };
  const attempts: Record<string, number> = {};
  const functionNames: string[] = [];
  const taskResourceLocalHandlers = Object.fromEntries(
    Object.keys(defaults).map((state) => [
      state,
      async (parameters: unknown) => {
        // The optimized lambda:invoke integration hands the Lambda only its Payload.
        const input = state === 'AwaitApproval' ? (parameters as { Payload: unknown }).Payload : parameters;
        if (state === 'AwaitApproval') functionNames.push((parameters as { FunctionName: string }).FunctionName);
        (calls[state] ??= []).push(input);
        attempts[state] = (attempts[state] ?? 0) + 1;
        return (handlers[state] ?? defaults[state]!)(input, attempts[state]) as never;
      },
    ]),
  );
  const retryIntervalOverrides = Object.fromEntries(Object.keys(defaults).map((state) => [state, 0]));
  const machine = new StateMachine(structuredClone(runbook) as never, { validationOptions: { checkArn: false } });
  const input = { clusterArn: REQUEST.clusterArn, lookbackMinutes: 60 };
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers, retryIntervalOverrides },
    context: { Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:runbook:test', Input: input, StartTime: '2026-11-24T00:00:00Z' }, Task: { Token: 'token-1' } } as never,
  });
  let outcome: Pick<Run, 'result' | 'error'>;
  try {
    outcome = { result: await execution.result };
  } catch (error) {
    outcome = { error: error as Error };
  }
  const states: string[] = [];
  for await (const event of execution.eventLogs) {
    if (event.type === 'StateEntered' && event.index === undefined) states.push(event.state.name);
  }
  return { calls, states, functionNames, ...outcome };
}

describe('the alarm starter, executed locally', () => {
  const alarmEvent = { alarmName: 'CoordinatorRecovery-coordinator-load-failures', alarmTime: '2026-11-24T17:04:40.985+0000', eventTime: '2026-11-24T17:04:41Z' };

  async function runStarter(startRunbook: (input: unknown) => unknown, running: unknown[] = []): Promise<{ started: unknown[]; states: string[]; error?: Error }> {
    const started: unknown[] = [];
    const machine = new StateMachine(structuredClone(starter) as never, { validationOptions: { checkArn: false } });
    const execution = machine.run(alarmEvent, {
      overrides: {
        taskResourceLocalHandlers: {
          ListRunningRuns: () => ({ Executions: running }) as never,
          StartRunbook: (parameters: unknown) => {
            started.push(parameters);
            return startRunbook(parameters) as never;
          },
        },
        retryIntervalOverrides: { ListRunningRuns: 0, StartRunbook: 0 },
      },
    });
    let error: Error | undefined;
    try {
      await execution.result;
    } catch (caught) {
      error = caught as Error;
    }
    const states: string[] = [];
    for await (const event of execution.eventLogs) if (event.type === 'StateEntered') states.push(event.state.name);
    return { started, states, ...(error ? { error } : {}) };
  }

  it('starts the runbook once per alarm hour with an input the runbook accepts', async () => {
    const { started, states, error } = await runStarter(() => ({ ExecutionArn: 'arn:x', StartDate: 'now' }));
    expect(error).toBeUndefined();
    expect(states.at(-1)).toBe('Started');
    expect(started).toHaveLength(1);
    const parameters = started[0] as { Name: string; Input: unknown };
    expect(parameters.Name).toBe('alarm-2026-11-24T17');
    // The runbook's own validation (Diagnose) must accept what the starter sends.
    const request = validateExecutionInput(parameters.Input, { executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:r:alarm-2026-11-24T17', defaults: { clusterArn: EXAMPLE_CONFIG.clusterArn, authMode: EXAMPLE_CONFIG.authMode } });
    expect(request.window).toEqual({ since: Date.parse('2026-11-24T17:04:41Z') - 120 * 60_000, until: Date.parse('2026-11-24T17:04:41Z') });
    expect(request.trigger).toEqual({ source: 'alarm', alarmName: alarmEvent.alarmName, alarmTime: alarmEvent.alarmTime });
  });

  it('treats an execution that already exists for this hour as success', async () => {
    const { states, error } = await runStarter(() => {
      throw namedError('StepFunctions.ExecutionAlreadyExistsException', 'exists');
    });
    expect(error).toBeUndefined();
    expect(states.at(-1)).toBe('AlreadyStarted');
  });

  it('does not start a second run while one is in progress', async () => {
    const { started, states, error } = await runStarter(() => ({}), [{ name: 'console-run', status: 'RUNNING' }]);
    expect(error).toBeUndefined();
    expect(started).toEqual([]);
    expect(states.at(-1)).toBe('RunAlreadyInProgress');
  });
});

describe('the runbook definition, executed locally', () => {
  it('recovers: each shard and each of its groups once, approval with the task token, report with the whole story', async () => {
    const { calls, result, error, states, functionNames } = await execute({});
    expect(error).toBeUndefined();
    expect(result).toEqual({ outcome: 'RECOVERED', result: PLAN.plan, summary: 'summary line' });
    expect(calls['Diagnose']).toEqual([
      { input: { clusterArn: REQUEST.clusterArn, lookbackMinutes: 60 }, executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:runbook:test', startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    ]);
    expect(calls[STATE.blastRadiusShard]).toEqual([
      { request: REQUEST, shard: { partition: 7, brokerId: 2, groups: null } },
      { request: REQUEST, shard: { partition: 9, brokerId: 2, groups: null } },
    ]);
    expect((calls[STATE.readGroupOffsets] as { groupId: string }[]).map((c) => c.groupId).sort()).toEqual(['billing', 'orders', 'search']);
    expect(calls[STATE.readGroupOffsets]![0]).toMatchObject({ request: REQUEST });
    const plan = calls['PlanTarget']![0] as { groups: unknown[]; diagnosis: unknown; request: unknown };
    expect(plan.request).toEqual(REQUEST);
    expect(plan.diagnosis).toEqual({ failingBrokers: [2], failedShards: [7, 9] });
    const ref = (group: string) => ({ artifact: { ...PLAN.plan, key: `groups/${group}.json` } });
    expect(plan.groups).toEqual([[ref('billing'), ref('orders')], [ref('search')]]);
    expect(calls['AwaitApproval']).toEqual([{ request: REQUEST, plan: PLAN, taskToken: 'token-1' }]);
    expect(functionNames).toEqual([expect.stringMatching(/:function:FunctionsRequestApproval/)]);
    expect(calls['SeedOffsets']![0]).toMatchObject({ request: REQUEST, plan: PLAN, approval: { approved: true, approvedBy: 'alice' } });
    expect(calls['Verify']![0]).toMatchObject({ request: REQUEST, plan: PLAN, seed: { ok: true } });
    const report = calls['Report']![0] as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(['approval', 'blastRadius', 'diagnosis', 'plan', 'request', 'seed', 'verify']);
    expect(calls['NotifyFailure']).toBeUndefined();
    expect(states.at(-1)).toBe(STATE.succeeded);
  });

  it('reports "nothing to recover" without scanning when no shard failed', async () => {
    const { calls, result, error } = await execute({
      Diagnose: () => ({ request: REQUEST, verdict: 'HEALTHY', failingBrokers: [], failedShards: [], shards: [], groups: [] }),
    });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'NOTHING_TO_RECOVER' });
    expect(calls[STATE.blastRadiusShard]).toBeUndefined();
    expect(Object.keys(calls['Report']![0] as object).sort()).toEqual(['diagnosis', 'request']);
  });

  it('reports without asking for approval when the failed shards hold no groups to recover', async () => {
    const { calls, result, error, states } = await execute({
      [STATE.blastRadiusShard]: (input) => ({ partition: (input as { shard: { partition: number } }).shard.partition, brokerId: 2, groupsToRecover: [], affectedGroups: [], topics: [], detail: { artifact: PLAN.plan } }),
      PlanTarget: () => ({ ...PLAN, summary: { ...PLAN.summary, groups: [], partitions: 0 } }),
      Report: () => ({ outcome: 'NOTHING_TO_RECOVER', result: PLAN.plan, summary: 'nothing' }),
    });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'NOTHING_TO_RECOVER' });
    expect(calls[STATE.readGroupOffsets]).toBeUndefined();
    expect((calls['PlanTarget']![0] as { groups: unknown }).groups).toEqual([[], []]);
    expect(calls['AwaitApproval']).toBeUndefined();
    expect(states).toContain(STATE.nothingToApprove);
    expect(Object.keys(calls['Report']![0] as object).sort()).toEqual(['blastRadius', 'diagnosis', 'plan', 'request']);
  });

  it('handles a single shard with a single group', async () => {
    const { calls, error } = await execute({
      Diagnose: () => ({ request: REQUEST, verdict: 'COORDINATOR_FAILED', failingBrokers: [2], failedShards: [7], shards: [{ partition: 7, brokerId: 2, groups: ['billing'] }], groups: ['billing'] }),
      [STATE.blastRadiusShard]: () => ({ partition: 7, brokerId: 2, groupsToRecover: ['billing'], affectedGroups: ['billing'], topics: ['invoices'], detail: { artifact: PLAN.plan } }),
    });
    expect(error).toBeUndefined();
    expect(calls[STATE.readGroupOffsets]).toEqual([{ request: REQUEST, groupId: 'billing' }]);
    expect((calls['PlanTarget']![0] as { groups: unknown }).groups).toEqual([[{ artifact: { ...PLAN.plan, key: 'groups/billing.json' } }]]);
    expect(calls['SeedOffsets']).toHaveLength(1);
  });

  it('ends with nothing written when the approver rejects, after notifying why', async () => {
    const { calls, error, states } = await execute({
      AwaitApproval: () => {
        throw namedError('ApprovalRejected', 'rejected by bob: wrong target');
      },
    });
    expect(error?.message).toContain('rejected by bob: wrong target');
    expect(states.slice(-4)).toEqual(['AwaitApprovalNotApproved', 'NotifyFailure', STATE.failureKind, STATE.notApproved]);
    expect(calls['SeedOffsets']).toBeUndefined();
    expect(calls['NotifyFailure']).toEqual([
      {
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:runbook:test',
        state: 'AwaitApproval',
        input: { clusterArn: REQUEST.clusterArn, lookbackMinutes: 60 },
        error: { Error: 'ApprovalRejected', Cause: 'rejected by bob: wrong target' },
      },
    ]);
  });

  it('notifies and fails when a group read fails, without planning or writing', async () => {
    const { calls, error, states } = await execute({
      [STATE.readGroupOffsets]: () => {
        throw namedError('RecoveryError.KAFKA_ERROR', 'fetch failed');
      },
    });
    expect(error).toBeDefined();
    expect(calls['PlanTarget']).toBeUndefined();
    expect(calls['SeedOffsets']).toBeUndefined();
    expect(calls['NotifyFailure']).toHaveLength(1);
    expect(calls['NotifyFailure']![0]).toMatchObject({ state: 'ReadOffsets', error: { Error: 'RecoveryError.KAFKA_ERROR', Cause: 'fetch failed' } });
    expect(states.at(-1)).toBe(STATE.failed);
  });

  it('retries a step after a transient Lambda error', async () => {
    const { calls, error } = await execute({
      Diagnose: (input, attempt) => {
        if (attempt === 1) throw namedError('Lambda.ServiceException', 'try again');
        return {
          request: REQUEST,
          verdict: 'HEALTHY',
          failingBrokers: [],
          failedShards: [],
          shards: [],
          groups: [],
          echo: input,
        };
      },
    });
    expect(error).toBeUndefined();
    expect(calls['Diagnose']).toHaveLength(2);
    expect(calls['NotifyFailure']).toBeUndefined();
  });

  it('fails visibly when the report says the recovery is incomplete', async () => {
    const { calls, error, states } = await execute({ Verify: () => ({ ok: false, groups: [] }) });
    expect(error?.message).toContain('summary line');
    expect(states.at(-1)).toBe(STATE.incomplete);
    expect(calls['Report']).toHaveLength(1);
    expect(calls['NotifyFailure']).toBeUndefined();
  });
});
