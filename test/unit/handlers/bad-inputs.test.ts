import { beforeEach, describe, expect, it } from 'vitest';
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
import type { HandlerDeps, StepHandler } from '../../../lambdas/handlers/runtime.ts';
import { RecoveryError } from '../../../lambdas/core/errors.ts';
import { EXECUTION_ARN, healthyDiagnosis, request } from '../core/workflow/fixtures.ts';
import { mocks, setUp, urlEvent, type Harness } from './harness.ts';

let h: Harness;
beforeEach(() => {
  h = setUp();
});

const validRequest = request();
const plan = { plan: { bucket: 'artifacts', key: 'k', bytes: 1, sha256: 'a'.repeat(64) }, planSha256: 'a'.repeat(64), summary: { planId: 'p', groups: [], partitions: 0, blockedGroups: 0, warnings: 0 } };
const approval = { approved: true, planSha256: 'a'.repeat(64), approvedBy: 'ann' };

type Factory = (deps?: Partial<HandlerDeps>) => StepHandler<unknown>;
const cases: [string, Factory, unknown, string][] = [
  ['diagnose without executionArn', diagnose, { input: {} }, 'executionArn'],
  ['diagnose with a bad cluster ARN', diagnose, { input: { clusterArn: 'arn:aws:kafka:x' }, executionArn: EXECUTION_ARN }, 'clusterArn'],
  ['diagnose with a typo in the input', diagnose, { input: { lookback: 5 }, executionArn: EXECUTION_ARN }, 'lookback'],
  ['diagnose with a string event', diagnose, 'go', 'event'],
  ['blast-radius without a shard', blastRadius, { request: validRequest }, 'shard'],
  ['blast-radius with a negative partition', blastRadius, { request: validRequest, shard: { partition: -1, brokerId: 1, groups: null } }, 'shard.partition'],
  ['blast-radius without the request', blastRadius, { shard: { partition: 1, brokerId: 1, groups: null } }, 'request'],
  ['blast-radius with a checkpoint that is not a reference', blastRadius, { request: validRequest, shard: { partition: 1, brokerId: 1, groups: null }, scan: { continuations: 1, checkpoint: { key: 'k' } } }, 'scan.checkpoint.bucket'],
  ['read-offsets without the partition', readOffsets, { request: validRequest, groupId: 'g' }, 'partition'],
  ['read-offsets with a bad group id', readOffsets, { request: validRequest, groupId: 'a b' }, 'groupId'],
  ['read-offsets with a broken window', readOffsets, { request: { ...validRequest, window: { since: 2, until: 1 } }, groupId: 'g' }, 'request.window'],
  ['plan-target without groups', planTarget, { request: validRequest, diagnosis: { failedShards: [], failingBrokers: [] } }, 'groups'],
  ['plan-target without diagnosis', planTarget, { request: validRequest, groups: [] }, 'diagnosis'],
  ['plan-target with a malformed group item', planTarget, { request: validRequest, diagnosis: {}, groups: [{ groupId: 'g' }] }, 'groups[0].offsets'],
  ['request-approval without a task token', requestApproval, { request: validRequest, plan }, 'taskToken'],
  ['request-approval with a plan missing its hash', requestApproval, { request: validRequest, plan: { ...plan, planSha256: undefined }, taskToken: 't' }, 'plan.planSha256'],
  ['seed-offsets with approved false', seedOffsets, { request: validRequest, plan, approval: { ...approval, approved: false } }, 'approval.approved'],
  ['seed-offsets with the placeholder name', seedOffsets, { request: validRequest, plan, approval: { ...approval, approvedBy: 'YOUR-NAME' } }, 'approval.approvedBy'],
  ['seed-offsets without approval', seedOffsets, { request: validRequest, plan }, 'approval'],
  ['verify without the seed output', verify, { request: validRequest, plan }, 'seed'],
  ['report without diagnosis', report, { request: validRequest }, 'diagnosis'],
  ['report with a bad plan', report, { request: validRequest, diagnosis: healthyDiagnosis(), plan: {} }, 'plan.summary'],
  ['report with a cut-down diagnosis', report, { request: validRequest, diagnosis: { ...healthyDiagnosis(), evidence: undefined } }, 'diagnosis.evidence'],
  ['notify-failure without the error', notifyFailure, { executionArn: EXECUTION_ARN }, 'error'],
];

describe('bad input to every handler', () => {
  it.each(cases)('%s names the field', async (_, factory, event, field) => {
    const error = await factory(h.deps)(event).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string; details: Record<string, unknown> },
    );
    expect(error, 'the handler accepted the input').toBeDefined();
    expect(error!.name).toBe('RecoveryError.INVALID_INPUT');
    expect(error!.details['field']).toBe(field);
    expect(error!.message.startsWith(`${field}:`)).toBe(true);
    // Nothing reached Kafka or AWS with a bad input.
    expect(h.connections).toEqual([]);
    expect(mocks.msk.calls()).toHaveLength(0);
  });

  it('approval-endpoint answers a link without its signature with a 400 page naming it', async () => {
    const response = await approvalEndpoint(h.deps)(urlEvent('GET', `execution=${encodeURIComponent(EXECUTION_ARN)}&approval=a&expires=9999999999`));
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('signature: is missing from the link');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('approval-endpoint wants a decision and a name on POST, before it touches the link', async () => {
    const noDecision = await approvalEndpoint(h.deps)(urlEvent('POST', 'execution=x', 'approver=ann'));
    expect(noDecision.statusCode).toBe(400);
    expect(noDecision.body).toContain('decision:');
    const noName = await approvalEndpoint(h.deps)(urlEvent('POST', 'execution=x', 'decision=approve&approver=+'));
    expect(noName.body).toContain('approver:');
    expect(mocks.sfn.calls()).toHaveLength(0);
  });

  it('a missing environment variable is a CONFIGURATION error naming it', async () => {
    h.deps.env = { ...h.deps.env, ARTIFACTS_BUCKET: '' };
    await expect(report(h.deps)({ request: validRequest, diagnosis: healthyDiagnosis() })).rejects.toMatchObject({
      name: 'RecoveryError.CONFIGURATION',
      message: expect.stringContaining('ARTIFACTS_BUCKET'),
    });
  });

  it('transient Kafka failures surface as RetryableError for the state machine to retry', async () => {
    h.deps.kafkaPort = () => {
      throw new RecoveryError('KAFKA_UNAVAILABLE', 'connection to b-1.orders:9098 refused', { retryable: true });
    };
    await expect(blastRadius(h.deps)({ request: validRequest, shard: { partition: 3, brokerId: 2, groups: null } })).rejects.toMatchObject({ name: 'RetryableError', code: 'KAFKA_UNAVAILABLE' });
  });
});
