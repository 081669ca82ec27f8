/**
 * The per-role artifact grants of lib/artifact-access.ts are not too narrow: a whole run, a
 * link given back after an undelivered decision, a rejection and a failure notice, with every S3
 * call checked against the grants of the handler that made it.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { SFNServiceException, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { ARTIFACT_ACCESS, artifactKeyPatterns } from '../../../lib/artifact-access.ts';
import type { HandlerName } from '../../../lib/recovery-functions.ts';
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
import type { ApprovalDecision } from '../../../lambdas/core/workflow/documents.ts';
import { groupMetadata, offsetCommit } from '../../support/offsets-records.ts';
import { EXECUTION_ARN } from '../core/workflow/fixtures.ts';
import { NOW, mocks, setUp, urlEvent } from './harness.ts';

// EXECUTION_ARN's state machine is "CoordinatorRecovery"; the stack names its own "<stack>-runbook".
const STATE_MACHINE = 'CoordinatorRecovery';

function allowed(step: HandlerName, verb: 'read' | 'write' | 'delete', key: string): boolean {
  return artifactKeyPatterns(STATE_MACHINE, ARTIFACT_ACCESS[step][verb]).some((pattern) =>
    new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^]*')}$`).test(key),
  );
}

/** Runs one handler call and returns the S3 operations it made that its role would not allow. */
async function denied<T>(step: HandlerName, call: () => Promise<T>): Promise<{ result: T; refused: string[] }> {
  const before = mocks.s3.calls().length;
  const result = await call();
  const refused: string[] = [];
  for (const made of mocks.s3.calls().slice(before)) {
    const command = made.args[0];
    const key = (command.input as { Key: string }).Key;
    const verb = command instanceof GetObjectCommand ? 'read' : command instanceof PutObjectCommand ? 'write' : command instanceof DeleteObjectCommand ? 'delete' : null;
    if (verb === null || !allowed(step, verb, key)) refused.push(`${step} ${command.constructor.name} ${key}`);
  }
  return { result, refused };
}

describe('artifact grants per role', () => {
  it('cover every S3 call each handler makes in a run, a reopened link, a rejection and a failure notice', async () => {
    const h = setUp();
    h.kafka.createTopic('orders', 2);
    h.kafka.setOffsets('orders', 0, 0n, 100n);
    h.kafka.setOffsets('orders', 1, 0n, 100n);
    const source = h.kafka.groupOnShard(4, 'billing');
    h.kafka.offsetsLog(4).record(groupMetadata(source, { members: [['orders']], generation: 1 }));
    h.kafka.offsetsLog(4).record(offsetCommit({ group: source, topic: 'orders', partition: 0, offset: 50n }));
    h.kafka.failedShards.add(4);
    mocks.logs.on(FilterLogEventsCommand).resolves({ events: [] });
    const refused: string[] = [];
    const step = async <T>(name: HandlerName, call: () => Promise<T>): Promise<T> => {
      const outcome = await denied(name, call);
      refused.push(...outcome.refused);
      return outcome.result;
    };

    const diagnosis = await step('diagnose', () => diagnose(h.deps)({ input: {}, executionArn: EXECUTION_ARN, startTime: NOW.toISOString() }));
    const shards = await step('blast-radius', () => blastRadius(h.deps)({ request: diagnosis.request, shard: diagnosis.shards[0] }));
    if (shards.status !== 'DONE') throw new Error('the shard scan did not finish in one invocation');
    const groupResultKey = `${diagnosis.artifactPrefixes.groupResults}partition-${shards.partition}/${encodeURIComponent(source)}.json`;
    const group = await step('read-offsets', () => readOffsets(h.deps)({ request: diagnosis.request, groupResultKey }));
    // What the ReadOffsets Distributed Map's ResultWriter leaves under the run's prefix (Step Functions writes it).
    const results = `${diagnosis.artifactPrefixes.readOffsetsResults}/run-id`;
    h.objects.set(`artifacts/${results}/SUCCEEDED_0.json`, JSON.stringify([{ Input: JSON.stringify({ groupResultKey }), Output: JSON.stringify(group), Status: 'SUCCEEDED' }]));
    h.objects.set(`artifacts/${results}/manifest.json`, JSON.stringify({ ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [{ Key: `${results}/SUCCEEDED_0.json`, Size: 1 }] } }));
    const plan = await step('plan-target', () =>
      planTarget(h.deps)({
        request: diagnosis.request,
        diagnosis: { failingBrokers: diagnosis.failingBrokers, failedShards: diagnosis.failedShards },
        groups: { MapRunArn: 'arn:maprun', ResultWriterDetails: { Bucket: 'artifacts', Key: `${results}/manifest.json` } },
      }),
    );
    expect(plan.summary.groups).toBe(1);
    await step('request-approval', () => requestApproval(h.deps)({ request: diagnosis.request, plan, taskToken: 'T', incident: { diagnosis, blastRadius: [shards] } }));
    const query = new URL(/https:\/\/approve\S+/.exec(mocks.sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!)![0]).search.slice(1);
    const endpoint = approvalEndpoint(h.deps);
    mocks.sfn.on(SendTaskSuccessCommand).rejectsOnce(new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'slow down', $metadata: { httpStatusCode: 400 } })).resolves({});
    await step('approval-endpoint', () => endpoint(urlEvent('GET', query)));
    expect((await step('approval-endpoint', () => endpoint(urlEvent('POST', query, 'decision=approve&approver=Ann')))).statusCode).toBe(503);
    expect((await step('approval-endpoint', () => endpoint(urlEvent('POST', query, 'decision=approve&approver=Ann')))).statusCode).toBe(200);
    const approval = JSON.parse(mocks.sfn.commandCalls(SendTaskSuccessCommand).at(-1)!.args[0].input.output!) as ApprovalDecision;
    const seed = await step('seed-offsets', () => seedOffsets(h.deps)({ request: diagnosis.request, plan, approval }));
    const verified = await step('verify', () => verify(h.deps)({ request: diagnosis.request, plan, seed }));
    await step('report', () => report(h.deps)({ request: diagnosis.request, diagnosis, blastRadius: [shards], plan, approval, seed, verify: verified }));
    await step('notify-failure', () => notifyFailure(h.deps)({ executionArn: EXECUTION_ARN, state: 'Verify', error: { Error: 'States.Timeout', Cause: 'x' } }));

    expect(mocks.s3.calls().length).toBeGreaterThan(15);
    expect(refused).toEqual([]);
  });

  it('would catch a handler touching a key outside its grants', () => {
    expect(allowed('verify', 'write', 'executions/CoordinatorRecovery/run-1/plan.json')).toBe(false);
    expect(allowed('approval-endpoint', 'delete', 'executions/CoordinatorRecovery/run-1/approval.json')).toBe(false);
    expect(allowed('approval-endpoint', 'delete', 'executions/CoordinatorRecovery/run-1/approval-consumed/a-1.json')).toBe(true);
  });
});
