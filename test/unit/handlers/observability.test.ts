import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { PublishCommand, SNSServiceException } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecoveryError } from '../../../lambdas/core/errors.ts';
import type { BlastRadiusContinue, BlastRadiusStepOutput } from '../../../lambdas/core/workflow/documents.ts';
import type { FetchRequest, KafkaPort } from '../../../lambdas/core/ports.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../../../lambdas/core/ports.ts';
import { inStepSegment } from '../../../lambdas/aws/tracing.ts';
import { createHandler as blastRadius } from '../../../lambdas/handlers/blast-radius.ts';
import { createHandler as notifyFailure } from '../../../lambdas/handlers/notify-failure.ts';
import { createHandler as report } from '../../../lambdas/handlers/report.ts';
import { defineStep } from '../../../lambdas/handlers/runtime.ts';
import { stepMetrics } from '../../../lambdas/handlers/step-metrics.ts';
import { groupMetadata, offsetCommit } from '../../support/offsets-records.ts';
import { EXECUTION_ARN, healthyDiagnosis, request } from '../core/workflow/fixtures.ts';
import { captureEmf, type EmfCapture } from '../../support/emf-capture.ts';
import { mocks, setUp, type Harness } from './harness.ts';

let h: Harness;
let emf: EmfCapture;

beforeEach(() => {
  h = setUp();
  emf = captureEmf();
});
afterEach(() => emf.restore());

const CLUSTER = { ClusterName: 'orders' };

describe('step metrics', () => {
  it('BlastRadius counts the records each invocation read, which add up to the pass over the shard, and its scan rate', async () => {
    const SHARD = 4;
    const groups = ['billing', 'search'].map((name) => h.kafka.groupOnShard(SHARD, name));
    h.kafka.createTopic('orders', 1);
    h.kafka.setOffsets('orders', 0, 0n, 1_000_000n);
    const writer = h.kafka.offsetsLog(SHARD);
    for (const group of groups) writer.record(groupMetadata(group, { members: [['orders']], generation: 1 }));
    for (let i = 1; i <= 30; i++) for (const group of groups) writer.record(offsetCommit({ group, topic: 'orders', partition: 0, offset: BigInt(i) }));
    // One batch per fetch, and from the third fetch on a broker slower than the 1 s the first invocation may scan.
    h.kafka.faults.sizeLimit = 'whole';
    let fetches = 0;
    let slow = true;
    h.deps.kafkaPort = () =>
      new Proxy(h.kafka as KafkaPort, {
        get(target, property) {
          if (property === 'fetch') {
            return async (fetch: FetchRequest) => {
              if (fetch.topic !== CONSUMER_OFFSETS_TOPIC) return target.fetch(fetch);
              if (slow && ++fetches >= 3) await new Promise((resolve) => setTimeout(resolve, 1500));
              return target.fetch({ ...fetch, maxBytes: 1 });
            };
          }
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    const shard = { partition: SHARD, brokerId: 2, groups: null };
    const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as Context;
    let output: BlastRadiusStepOutput = await blastRadius(h.deps)({ request: request(), shard }, context(2000));
    expect(output.status).toBe('CONTINUE');
    slow = false;
    for (let i = 0; output.status === 'CONTINUE' && i < 10; i++) {
      output = await blastRadius(h.deps)({ request: request(), shard, scan: output as BlastRadiusContinue }, context(60_000));
    }
    if (output.status !== 'DONE') throw new Error('the scan did not finish');

    const scanned = emf.metric('RecordsScanned');
    expect(scanned.length).toBeGreaterThanOrEqual(2);
    expect(scanned.every((point) => point.namespace === 'CoordinatorRecovery' && JSON.stringify(point.dimensions) === JSON.stringify(CLUSTER))).toBe(true);
    expect(scanned[0]!.value as number).toBeGreaterThan(0);
    expect(scanned[0]!.value as number).toBeLessThan(output.records);
    expect(scanned.reduce((sum, point) => sum + (point.value as number), 0)).toBe(output.records);
    const rates = emf.metric('ScanRecordsPerSecond');
    expect(rates).toHaveLength(scanned.length);
    expect(rates.every((point) => (point.value as number) > 0)).toBe(true);
  });

  it('Report counts the run under its outcome, and the groups it recovered', async () => {
    const diagnosis = healthyDiagnosis();
    await report(h.deps)({ request: diagnosis.request, diagnosis });
    expect(emf.metric('Runs')).toEqual([{ value: 1, namespace: 'CoordinatorRecovery', dimensions: { ...CLUSTER, Outcome: 'NOTHING_TO_RECOVER' } }]);
    expect(emf.metric('GroupsRecovered')).toEqual([{ value: 0, namespace: 'CoordinatorRecovery', dimensions: CLUSTER }]);
  });

  it('NotifyFailure counts a rejection, an unanswered approval and a failure as such, once the notice is out', async () => {
    const notify = notifyFailure(h.deps);
    await notify({ executionArn: EXECUTION_ARN, error: { Error: 'ApprovalRejected', Cause: 'Rejected by Bo' } });
    await notify({ executionArn: EXECUTION_ARN, state: 'AwaitApproval', error: { Error: 'States.Timeout', Cause: 'timed out' } });
    await notify({ executionArn: EXECUTION_ARN, state: 'SeedOffsets', error: { Error: 'States.Timeout', Cause: 'timed out' } });
    await notify({ executionArn: EXECUTION_ARN, state: 'Diagnose', error: { Error: 'RecoveryError.KAFKA_ERROR', Cause: 'x' } });
    expect(emf.metric('Runs').map((point) => point.dimensions['Outcome'])).toEqual(['REJECTED', 'NOT_APPROVED', 'FAILED', 'FAILED']);

    // SNS refuses: the failure reaches Step Functions (which retries), and the run is not counted yet.
    mocks.sns.on(PublishCommand).rejects(new SNSServiceException({ name: 'AuthorizationErrorException', $fault: 'client', message: 'not allowed', $metadata: { httpStatusCode: 403 } }));
    await expect(notify({ executionArn: EXECUTION_ARN, error: { Error: 'ApprovalRejected', Cause: 'no' } })).rejects.toMatchObject({ name: expect.stringMatching(/^RecoveryError\.|^RetryableError$/) });
    expect(emf.metric('Runs')).toHaveLength(4);
  });
});

describe('the shared step runtime', () => {
  it('still throws a failing step\'s error, named for the state machine, after writing what the step recorded', async () => {
    const step = defineStep('probe', h.deps, async (_event, deps) => {
      deps.metrics.addMetric('ProbeMetric', MetricUnit.Count, 3);
      throw new RecoveryError('KAFKA_ERROR', 'the broker closed the connection');
    });
    await expect(step({})).rejects.toMatchObject({ name: 'RecoveryError.KAFKA_ERROR', message: 'the broker closed the connection' });
    expect(emf.metric('ProbeMetric')).toEqual([{ value: 3, namespace: 'CoordinatorRecovery', dimensions: CLUSTER }]);
  });

  it('a metric that cannot be written fails neither a step nor hides its error', async () => {
    const broken = stepMetrics(h.deps.env!);
    vi.spyOn(broken, 'publishStoredMetrics').mockImplementation(() => {
      throw new Error('stdout closed');
    });
    const warn = vi.spyOn(h.deps.logger!, 'warn');
    const deps = { ...h.deps, metrics: broken };
    broken.addMetric('ProbeMetric', MetricUnit.Count, 1);
    await expect(defineStep('probe', deps, async () => 'done')({})).resolves.toBe('done');
    expect(warn).toHaveBeenCalledWith('publishing the step metrics failed', { error: 'Error: stdout closed' });
    broken.addMetric('ProbeMetric', MetricUnit.Count, 1);
    await expect(defineStep('probe', deps, async () => { throw new RecoveryError('NOT_FOUND', 'no such group'); })({})).rejects.toMatchObject({ name: 'RecoveryError.NOT_FOUND' });
  });

  it('without CLUSTER_ARN the metrics carry no dimension rather than a wrong one', () => {
    const metrics = stepMetrics({ METRICS_NAMESPACE: 'Elsewhere' });
    metrics.addMetric('ProbeMetric', MetricUnit.Count, 1);
    expect(metrics.serializeMetrics()._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Elsewhere', Dimensions: [] });
  });
});

describe('tracing', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    vi.resetModules();
  });

  it('captures every shared AWS SDK client when the function runs traced', async () => {
    process.env['AWS_EXECUTION_ENV'] = 'AWS_Lambda_nodejs22.x';
    process.env['AWS_REGION'] = 'us-east-1';
    vi.resetModules();
    const { awsClients } = await import('../../../lambdas/aws/clients.ts');
    for (const [name, make] of Object.entries(awsClients)) {
      expect({ name, middleware: make().middlewareStack.identify().some((entry) => entry.startsWith('XRaySDKInstrumentation')) }).toEqual({ name, middleware: true });
    }
  });

  it('runs a step in its own subsegment, records its error and gives the trace back its parent', async () => {
    process.env['AWS_EXECUTION_ENV'] = 'AWS_Lambda_nodejs22.x';
    const tracer = new Tracer({ serviceName: 'coordinator-recovery' });
    // What Lambda's X-Ray integration provides: a context holding the function's (facade) segment.
    const xray = await import('aws-xray-sdk-core');
    const facade = new xray.Segment('facade');
    await xray.getNamespace().runPromise(async () => {
      tracer.setSegment(facade);
      let inside: unknown;
      await expect(
        inStepSegment('diagnose', async () => {
          inside = tracer.getSegment();
          throw new Error('no brokers');
        }, tracer),
      ).rejects.toThrow('no brokers');
      const step = facade.subsegments?.[0];
      expect(step).toBe(inside);
      expect(step).toMatchObject({ name: '## diagnose', annotations: expect.objectContaining({ Step: 'diagnose' }) });
      expect(JSON.stringify(step)).toContain('no brokers');
      expect(tracer.getSegment()).toBe(facade);
    });
  });
});
