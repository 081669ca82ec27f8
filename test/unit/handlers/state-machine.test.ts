/**
 * The contract with lib/: the state machine CDK synthesizes, run locally by aws-local-stepfunctions
 * with every Task mapped to the real handler (AWS SDK mocked, Kafka in memory). Proves that the
 * payloads the definition builds are the documents the handlers accept, end to end.
 */
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderDefinition, stateMachineIds } from '../../../lib/definition.ts';
import { STATE } from '../../../lib/recovery-state-machine.ts';
import { createHandler as approvalEndpoint } from '../../../lambdas/handlers/approval-endpoint.ts';
import { createHandler as blastRadius } from '../../../lambdas/handlers/blast-radius.ts';
import { createHandler as diagnose } from '../../../lambdas/handlers/diagnose.ts';
import { createHandler as notifyFailure } from '../../../lambdas/handlers/notify-failure.ts';
import { createHandler as planTarget } from '../../../lambdas/handlers/plan-target.ts';
import { createHandler as readOffsets } from '../../../lambdas/handlers/read-offsets.ts';
import { createHandler as report } from '../../../lambdas/handlers/report.ts';
import { createHandler as requestApproval } from '../../../lambdas/handlers/request-approval.ts';
import { createHandler as seedOffsets } from '../../../lambdas/handlers/seed-offsets.ts';
import { createHandler as verify } from '../../../lambdas/handlers/verify.ts';
import { synthesize, type Synthesized } from '../../cdk/helpers.ts';
import { groupMetadata, offsetCommit } from '../../support/offsets-records.ts';
import { EXECUTION_ARN } from '../workflow/fixtures.ts';
import { NOW, mocks, setUp, urlEvent, type Harness } from './harness.ts';

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

type Asl = { StartAt: string; States: Record<string, unknown> };
let synth: Synthesized;
let runbook: Asl;

beforeAll(() => {
  synth = synthesize();
  for (const id of stateMachineIds(synth.json)) {
    const definition = renderDefinition(synth.json, id, { region: 'us-east-1' }) as Asl;
    if (definition.StartAt === STATE.diagnose) runbook = definition;
  }
}, 120_000);
afterAll(() => synth?.dispose());

const SHARD = 4;
let h: Harness;
let source: string;

beforeEach(() => {
  h = setUp();
  h.kafka.createTopic('orders', 2);
  h.kafka.setOffsets('orders', 0, 0n, 15000n);
  h.kafka.setOffsets('orders', 1, 0n, 15004n);
  source = h.kafka.groupOnShard(SHARD, 'billing');
  const writer = h.kafka.offsetsLog(SHARD);
  writer.record(groupMetadata(source, { members: [['orders']] }));
  writer.record(offsetCommit({ group: source, topic: 'orders', partition: 0, offset: 14921n }));
  writer.record(offsetCommit({ group: source, topic: 'orders', partition: 1, offset: 15004n }));
  h.kafka.failedShards.add(SHARD);
  const broker = h.kafka.leaderOf(SHARD);
  mocks.logs.on(FilterLogEventsCommand).resolves({
    events: [{ eventId: 'e', logStreamName: `orders-Broker-${broker}`, timestamp: NOW.getTime() - 600_000, message: `ERROR [GroupCoordinator id=${broker}] Failed to load metadata from __consumer_offsets-${SHARD} with epoch 3` }],
  });
});

type Decide = 'approve' | 'reject';

async function run(decide: Decide): Promise<{ result?: unknown; error?: Error; states: string[] }> {
  // The local runner stamps the execution with the real clock, so the handlers use it too.
  const deps = { ...h.deps, now: () => new Date() };
  // The approver: follows the link in the message and presses a button; the endpoint's
  // SendTaskSuccess/Failure becomes the task's result, as Step Functions would make it.
  const awaitApproval = async (parameters: unknown): Promise<unknown> => {
    await requestApproval(deps)((parameters as { Payload: unknown }).Payload);
    const message = mocks.sns.commandCalls(PublishCommand).at(-1)!.args[0].input.Message!;
    const link = new URL(/https:\/\/approve\S+/.exec(message)![0]);
    const response = await approvalEndpoint(deps)(urlEvent('POST', link.search.slice(1), `decision=${decide}&approver=Ann`));
    expect(response.statusCode).toBe(200);
    const success = mocks.sfn.commandCalls(SendTaskSuccessCommand).at(-1);
    if (success) return JSON.parse(success.args[0].input.output!);
    const failure = mocks.sfn.commandCalls(SendTaskFailureCommand).at(-1)!.args[0].input;
    const error = new Error(failure.cause);
    error.name = failure.error!;
    throw error;
  };
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {
    [STATE.diagnose]: diagnose(deps),
    [STATE.blastRadiusShard]: blastRadius(deps),
    [STATE.readGroupOffsets]: readOffsets(deps),
    [STATE.planTarget]: planTarget(deps),
    [STATE.awaitApproval]: awaitApproval,
    [STATE.seedOffsets]: seedOffsets(deps),
    [STATE.verify]: verify(deps),
    [STATE.report]: report(deps),
    [STATE.notifyFailure]: notifyFailure(deps),
  };
  const machine = new StateMachine(structuredClone(runbook) as never, { validationOptions: { checkArn: false } });
  const input = { lookbackMinutes: 7 * 24 * 60, groups: [source] };
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(Object.entries(handlers).map(([state, fn]) => [state, (p: unknown) => fn(p) as never])),
      retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((state) => [state, 0])),
    },
    context: { Execution: { Id: EXECUTION_ARN, Input: input, StartTime: NOW.toISOString() }, Task: { Token: 'token-1' } } as never,
  });
  let outcome: { result?: unknown; error?: Error };
  try {
    outcome = { result: await execution.result };
  } catch (error) {
    outcome = { error: error as Error };
  }
  const states: string[] = [];
  for await (const event of execution.eventLogs) if (event.type === 'StateEntered' && event.index === undefined) states.push(event.state.name);
  return { ...outcome, states };
}

describe('the synthesized state machine with the real handlers', () => {
  it('recovers a stuck group after approval', async () => {
    const { result, error, states } = await run('approve');
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'RECOVERED' });
    expect(states).toEqual(expect.arrayContaining([STATE.diagnose, STATE.blastRadius, STATE.readOffsets, STATE.planTarget, STATE.awaitApproval, STATE.seedOffsets, STATE.verify, STATE.report]));
    const plan = JSON.parse(h.objects.get('artifacts/executions/CoordinatorRecovery/run-1/plan.json')!) as { groups: { targetGroup: string }[] };
    const target = plan.groups[0]!.targetGroup;
    expect([...h.kafka.committed.get(target)!.values()].map((o) => o.offset)).toEqual([14921n, 15004n]);
    expect(JSON.parse(h.objects.get('artifacts/executions/CoordinatorRecovery/run-1/result.json')!)).toMatchObject({ outcome: 'RECOVERED' });
  });

  it('ends without writing anything when the approver rejects', async () => {
    const { error, states } = await run('reject');
    expect((error?.cause as Error | undefined)?.name).toBe('ApprovalRejected');
    expect(states).toContain(STATE.notifyFailure);
    expect(states).not.toContain(STATE.seedOffsets);
    expect(h.kafka.calls).not.toContain('commitOffsets');
    expect(mocks.sns.commandCalls(PublishCommand).at(-1)!.args[0].input.Subject).toMatch(/rejected by the approver; nothing was written/);
  });
});
