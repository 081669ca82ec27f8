/**
 * Detection without broker logs, end to end on one machine: the shard canary Lambda probes the
 * local cluster, publishes FailedShards = 1 once a shard is FAILED, under exactly the metric its
 * synthesized alarm watches; the alarm's EventBridge event, matched by the synthesized rule and
 * shaped by its input transformer, runs the synthesized starter state machine, which starts
 * the runbook; the runbook recovers the group after the link approval.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForGroup } from '../../lambdas/core/hash.ts';
import type { DiagnoseOutput, ReportOutput } from '../../lambdas/core/workflow/documents.ts';
import type { CanaryOutput } from '../../lambdas/handlers/shard-canary.ts';
import { runDefinition, type LocalExecution } from '../../local/stepfunctions/index.ts';
import { approvalMail, approvalMailParts, consumeAndLeave, invocationOutput, OFFSETS_PARTITIONS, plannedTarget, produce, readUntilAll, startIncident, submitOnLink, type Incident } from './incident.ts';

const GROUP = 'billing';
const EARLY = Array.from({ length: 20 }, (_, i) => `early-${i}`);
const LATE = Array.from({ length: 8 }, (_, i) => `late-${i}`);

let incident: Incident;

beforeAll(async () => {
  incident = await startIncident();
  await produce(incident.producer, EARLY);
  await consumeAndLeave(incident.kafka, GROUP, EARLY.length);
}, 120_000);

afterAll(async () => {
  await incident?.stop();
});

type Resource = { Type: string; Properties: Record<string, unknown> };
type EmfDocument = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } };

function resources(type: string): Array<[string, Record<string, unknown>]> {
  const template = incident.runbook.synthesized.template as { Resources: Record<string, Resource> };
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type).map(([id, r]) => [id, r.Properties]);
}

/** The EMF documents the canary wrote since `from` that declare FailedShards. */
function failedShardsDocuments(from: number): EmfDocument[] {
  return (incident.runbook.metrics.slice(from) as EmfDocument[]).filter((d) => d._aws.CloudWatchMetrics.some((m) => m.Metrics.some((x) => x.Name === 'FailedShards')));
}

/** Would this document's FailedShards data point reach the alarm (same namespace, metric, dimension set and values) and breach it? */
function breaches(document: EmfDocument, alarm: Record<string, unknown>): boolean {
  const dimensions = alarm['Dimensions'] as { Name: string; Value: string }[];
  return document._aws.CloudWatchMetrics.some(
    (directive) =>
      directive.Namespace === alarm['Namespace'] &&
      directive.Metrics.some((m) => m.Name === alarm['MetricName']) &&
      directive.Dimensions.some((set) => set.length === dimensions.length && dimensions.every((d) => set.includes(d.Name) && document[d.Name] === d.Value)),
  ) && alarm['ComparisonOperator'] === 'GreaterThanOrEqualToThreshold' && (document[alarm['MetricName'] as string] as number) >= (alarm['Threshold'] as number);
}

/** A value at a JSONPath of the plain `$.a.b` kind, as EventBridge input transformers read them. */
function at(event: unknown, path: string): unknown {
  return path.replace(/^\$\.?/, '').split('.').filter(Boolean).reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], event);
}

describe('the shard canary detects a FAILED shard and its alarm starts the runbook, which recovers the group', () => {
  it('healthy: zero; FAILED: one, named; the alarm event starts the runbook through the starter; the group is recovered', async () => {
    const { aws, runbook } = incident;
    const [[, alarm]] = resources('AWS::CloudWatch::Alarm').filter(([, p]) => p['MetricName'] === 'FailedShards') as [[string, Record<string, unknown>]];

    const healthy = (await runbook.invoke('shard-canary', {})) as CanaryOutput;
    expect(healthy).toMatchObject({ clusterName: 'orders-local', failedShards: [], probed: OFFSETS_PARTITIONS });
    const [quiet] = failedShardsDocuments(0);
    expect(quiet).toMatchObject({ FailedShards: 0, ClusterName: 'orders-local' });
    expect(breaches(quiet!, alarm)).toBe(false);

    // The incident: billing's shard fails; what arrives afterwards is what billing has not consumed.
    const failedShard = partitionForGroup(GROUP, OFFSETS_PARTITIONS);
    await incident.local.faults.failCoordinator(failedShard, { group: GROUP });
    await produce(incident.producer, LATE);

    const seen = runbook.metrics.length;
    const detected = (await runbook.invoke('shard-canary', {})) as CanaryOutput;
    expect(detected.failedShards).toEqual([failedShard]);
    const [raised] = failedShardsDocuments(seen);
    expect(raised).toMatchObject({ FailedShards: 1, failedShards: String(failedShard), ClusterName: 'orders-local' });
    expect(breaches(raised!, alarm)).toBe(true);

    // CloudWatch's event for the alarm going to ALARM, as EventBridge delivers it.
    const alarmName = alarm['AlarmName'] as string;
    const alarmArn = `arn:aws:cloudwatch:${aws.region}:${aws.account}:alarm:${alarmName}`;
    const now = new Date();
    const event = {
      version: '0',
      id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: aws.account,
      time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: aws.region,
      resources: [alarmArn],
      detail: {
        alarmName,
        state: { value: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [1.0] was greater than or equal to the threshold (1.0).', timestamp: now.toISOString().replace('Z', '+0000') },
        previousState: { value: 'OK', timestamp: now.toISOString().replace('Z', '+0000') },
        configuration: { metrics: [{ metricStat: { metric: { namespace: alarm['Namespace'], name: 'FailedShards', dimensions: { ClusterName: 'orders-local' } } } }] },
      },
    };

    // The synthesized rule matches it (its alarm ARNs resolved from the alarms' names)...
    const alarmArns = new Map(resources('AWS::CloudWatch::Alarm').map(([id, p]) => [id, `arn:aws:cloudwatch:${aws.region}:${aws.account}:alarm:${String(p['AlarmName'])}`]));
    const [[, rule]] = resources('AWS::Events::Rule').filter(([, p]) => (p['EventPattern'] as { source?: string[] } | undefined)?.source?.includes('aws.cloudwatch')) as [[string, Record<string, unknown>]];
    const pattern = rule['EventPattern'] as { source: string[]; 'detail-type': string[]; resources: { 'Fn::GetAtt': [string, string] }[]; detail: { state: { value: string[] } } };
    expect(pattern.source).toContain(event.source);
    expect(pattern['detail-type']).toContain(event['detail-type']);
    expect(pattern.resources.map((r) => alarmArns.get(r['Fn::GetAtt'][0]))).toContain(alarmArn);
    expect(pattern.detail.state.value).toContain(event.detail.state.value);

    // ...and its target hands the starter state machine the input its transformer shapes.
    const [eventTarget] = rule['Targets'] as { InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string } }[];
    const { InputPathsMap, InputTemplate } = eventTarget!.InputTransformer;
    const starterInput = JSON.parse(Object.entries(InputPathsMap).reduce((text, [name, path]) => text.split(`<${name}>`).join(JSON.stringify(at(event, path))), InputTemplate)) as Record<string, unknown>;
    expect(starterInput).toMatchObject({ alarmName, eventTime: event.time });

    // The starter, as synthesized: no run in progress, so it starts the runbook under the alarm hour's name.
    const [[runbookLogicalId]] = resources('AWS::StepFunctions::StateMachine').filter(([, p]) => String(p['StateMachineName']).endsWith('-runbook')) as [[string, unknown]];
    let execution: LocalExecution | undefined;
    const starter = runDefinition(runbook.synthesized.starter, starterInput, {
      tasks: {
        ListRunningRuns: () => ({ Executions: [] }),
        StartRunbook: (parameters) => {
          const { Name, Input, StateMachineArn } = parameters as { Name: string; Input: unknown; StateMachineArn: string };
          // The rendered definition names each referenced resource by its logical id: the runbook's.
          expect(StateMachineArn.split(':').at(-1)).toBe(runbookLogicalId);
          execution = runbook.start(Input, { name: Name });
          return { ExecutionArn: execution.executionArn, StartDate: now.toISOString() };
        },
        TellRunInProgress: () => {
          throw new Error('no run was in progress');
        },
      },
    });
    const started = await starter.done;
    expect(started, JSON.stringify(started)).toMatchObject({ status: 'SUCCEEDED' });
    expect(starter.states.at(-1)).toBe('Started');
    expect(execution!.executionArn).toMatch(new RegExp(`:alarm-${now.toISOString().slice(0, 13)}$`));

    // The approver approves by the link in the mail; the runbook seeds, verifies and reports.
    const { link } = approvalMailParts(await approvalMail(aws, execution!));
    const decision = await submitOnLink(link, { decision: 'approve', approver: 'oncall', comment: 'canary' });
    expect(decision.status).toBe(200);
    const outcome = await execution!.done;
    expect(outcome.status, JSON.stringify(outcome)).toBe('SUCCEEDED');
    expect((outcome as { output: ReportOutput }).output.outcome).toBe('RECOVERED');

    const diagnose = invocationOutput<DiagnoseOutput>(execution!, 'Diagnose');
    expect(diagnose.request.trigger).toMatchObject({ source: 'alarm', alarmName });
    expect(diagnose.failedShards).toEqual([failedShard]);
    // The state carries counts; the target's name is in the stored plan.
    const target = plannedTarget(incident.aws, execution!, GROUP);

    // The run's own metrics: records scanned on the failed shard, one RECOVERED run, one group.
    const documents = runbook.metrics.slice(seen) as EmfDocument[];
    expect(documents.filter((d) => typeof d['RecordsScanned'] === 'number').reduce((sum, d) => sum + (d['RecordsScanned'] as number), 0)).toBeGreaterThan(0);
    expect(documents.filter((d) => d['Runs'] === 1).map((d) => d['Outcome'])).toEqual(['RECOVERED']);
    expect(documents.find((d) => 'GroupsRecovered' in d)).toMatchObject({ GroupsRecovered: 1, ClusterName: 'orders-local' });

    // The target group's consumers resume exactly where billing stopped: the late messages, no replay.
    const values = await readUntilAll(incident.kafka, target, LATE);
    expect([...values].sort()).toEqual([...LATE].sort());
  }, 120_000);
});
