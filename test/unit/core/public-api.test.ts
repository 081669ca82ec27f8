import { describe, expect, it } from 'vitest';
import * as core from '../../../lambdas/core/index.ts';
import * as workflow from '../../../lambdas/core/workflow/index.ts';
import { InMemoryKafka } from '../../support/in-memory-kafka.ts';

describe('lambdas/core/index.ts', () => {
  it('exposes the operations, the scanner and the building blocks under one import', () => {
    const expected = [
      'offsetsPartitionFor',
      'offsetsPartitionForCount',
      'coordinatorFor',
      'affectedPartitions',
      'affectedGroups',
      'readCommittedOffsets',
      'checkCompleteness',
      'scanOffsetsPartition',
      'describeOffsetsTopic',
      'partitionForGroup',
      'decodeOffsetsRecord',
      'decodeRecordBatches',
      'encodeRecordBatch',
      'OffsetsLogReplay',
      'RecoveryError',
      'invalidInput',
      'kafkaErrorName',
    ];
    for (const name of expected) expect(typeof (core as Record<string, unknown>)[name], name).toBe('function');
    expect(core.CONSUMER_OFFSETS_TOPIC).toBe('__consumer_offsets');
  });

  it('runs a recovery through the public entry alone', async () => {
    const kafka = new InMemoryKafka({ offsetsPartitions: 3 });
    const partition = core.offsetsPartitionForCount('orders-service', 3);
    kafka.offsetsLog(partition).record({
      key: core.encodeOffsetCommitKey({ group: 'orders-service', topic: 'orders', partition: 0 }),
      value: core.encodeOffsetCommitValue({ offset: 42n, metadata: '', commitTimestamp: 1n }, 3),
    });
    const result = await core.readCommittedOffsets(kafka, 'orders-service');
    expect(result.offsets).toEqual({ orders: { '0': expect.objectContaining({ offset: '42' }) } });
  });

  // The package name resolves to the build (dist/js, rebuilt by the tests' global setup): the same
  // names as the sources, as separate module instances.
  it('is what the package name resolves to (package.json exports), with the Kafka adapter beside it', async () => {
    const viaName = (await import('coordinator-recovery')) as Record<string, unknown>;
    expect(Object.keys(viaName).sort()).toEqual(Object.keys(core).sort());
    expect(typeof viaName['readCommittedOffsets']).toBe('function');
    const kafka = (await import('coordinator-recovery/kafka')) as Record<string, unknown>;
    expect(typeof kafka['createKafkaPort']).toBe('function');
    const viaSubpath = (await import('coordinator-recovery/workflow')) as Record<string, unknown>;
    expect(Object.keys(viaSubpath).sort()).toEqual(Object.keys(workflow).sort());
    expect(typeof viaSubpath['planTargets']).toBe('function');
  });

  it('leaves the runbook workflow to its own subpath', () => {
    for (const name of ['planTargets', 'validateExecutionInput', 'buildReport', 'renderApprovalMessage', 'seedPlan']) {
      expect((core as Record<string, unknown>)[name], name).toBeUndefined();
    }
  });
});

describe('lambdas/core/workflow/index.ts', () => {
  it('exposes the step logic and documents, not the handlers\' plumbing', () => {
    const expected = [
      'validateExecutionInput',
      'parseRecoveryRequest',
      'parseDiagnoseInput',
      'diagnoseCoordinators',
      'planTargets',
      'renderPlanText',
      'renderApprovalMessage',
      'signApprovalLink',
      'checkApprovalLink',
      'seedPlan',
      'verifyPlan',
      'buildReport',
    ];
    for (const name of expected) expect(typeof (workflow as Record<string, unknown>)[name], name).toBe('function');
    expect(workflow.APPROVAL_REJECTED_ERROR).toBe('ApprovalRejected');
    expect(workflow.COORDINATOR_FAILURE_PHRASES.length).toBeGreaterThan(0);
    for (const name of ['requireString', 'capSeedResult', 'matchesNamePattern', 'readCoordinatorLayout', 'renderApprovalPage']) {
      expect((workflow as Record<string, unknown>)[name], name).toBeUndefined();
    }
  });
});
