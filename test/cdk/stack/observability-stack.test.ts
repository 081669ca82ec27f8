import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_OUTCOMES } from '../../../lambdas/handlers/metric-names.ts';
import { resourcesOfType, synthesize, type Synthesized } from '../helpers.ts';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
}, 120_000);
afterAll(() => synth?.dispose());

const RUNBOOK_STEPS = ['diagnose', 'blast-radius', 'read-offsets', 'plan-target', 'request-approval', 'seed-offsets', 'verify', 'report', 'notify-failure'];

function logicalIdOf(type: string, match: (props: Record<string, unknown>) => boolean): string {
  const found = resourcesOfType(synth.json, type).filter(([, props]) => match(props));
  expect(found, `one ${type}`).toHaveLength(1);
  return found[0]![0];
}

const functionId = (step: string): string =>
  logicalIdOf('AWS::Lambda::Function', (props) => (props['Environment'] as { Variables: Record<string, unknown> }).Variables['RECOVERY_STEP'] === step);
const runbookId = (): string => logicalIdOf('AWS::StepFunctions::StateMachine', (props) => props['StateMachineName'] === 'CoordinatorRecovery-runbook');
const topicId = (): string => logicalIdOf('AWS::SNS::Topic', () => true);

function alarmNamed(name: string): Record<string, unknown> {
  const found = resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm').find(([, props]) => props['AlarmName'] === name);
  expect(found, `alarm ${name}`).toBeDefined();
  return found![1];
}

/** The dashboard body as CloudWatch will read it, with each reference written as {Ref:<logical id>}. */
function dashboardBody(): { widgets: { properties: { title?: string; metrics?: unknown[][] } }[] } {
  const [[, props]] = resourcesOfType(synth.json, 'AWS::CloudWatch::Dashboard') as [[string, Record<string, unknown>]];
  const join = props['DashboardBody'] as { 'Fn::Join': [string, unknown[]] };
  const text = join['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `{Ref:${(part as { Ref: string }).Ref}}`)).join('');
  return JSON.parse(text) as ReturnType<typeof dashboardBody>;
}

function widgetMetrics(title: string): string[][] {
  const widget = dashboardBody().widgets.find((w) => w.properties.title === title);
  expect(widget, `widget ${title}`).toBeDefined();
  // Each metric line: namespace, name, dimension pairs..., options; "." repeats the line above.
  const lines: string[][] = [];
  for (const line of widget!.properties.metrics ?? []) {
    const values = line.filter((value): value is string => typeof value === 'string');
    lines.push(values.map((value, i) => (value === '.' ? lines.at(-1)![i]! : value)));
  }
  return lines;
}

describe('alarms on the runbook itself, to the approval topic', () => {
  it('alarms on the first failed and the first timed-out execution of the runbook', () => {
    for (const [name, metric] of [['CoordinatorRecovery-runbook-failed', 'ExecutionsFailed'], ['CoordinatorRecovery-runbook-timed-out', 'ExecutionsTimedOut']] as const) {
      expect(alarmNamed(name)).toMatchObject({
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: runbookId() } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId() }],
      });
    }
  });

  it('alarms on Lambda errors of every runbook step, summed, and of the canary alone', () => {
    const steps = alarmNamed('CoordinatorRecovery-runbook-step-errors');
    expect(steps['AlarmActions']).toEqual([{ Ref: topicId() }]);
    const metrics = steps['Metrics'] as { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: { Ref: string } }[] } } }[];
    const functions = metrics.filter((m) => m.MetricStat).map((m) => {
      expect(m.MetricStat!.Metric.MetricName).toBe('Errors');
      return m.MetricStat!.Metric.Dimensions[0]!.Value.Ref;
    });
    expect(functions.sort()).toEqual(RUNBOOK_STEPS.map(functionId).sort());
    const expression = metrics.find((m) => m.Expression)!.Expression!;
    expect(expression.split(' + ').sort()).toEqual(metrics.filter((m) => m.MetricStat).map((m) => m.Id).sort());

    expect(alarmNamed('CoordinatorRecovery-shard-canary-errors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId('shard-canary') } }],
      AlarmActions: [{ Ref: topicId() }],
    });
  });

  it('lets CloudWatch alarms of this account use the topic\'s key', () => {
    const [[, key]] = resourcesOfType(synth.json, 'AWS::KMS::Key') as [[string, Record<string, unknown>]];
    const statements = (key['KeyPolicy'] as { Statement: { Sid?: string; Principal?: unknown; Action: unknown; Condition?: unknown }[] }).Statement;
    expect(statements.find((s) => s.Sid === 'CloudWatchAlarmsPublishToTheEncryptedTopic')).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    });
  });
});

describe('the dashboard', () => {
  it('shows the runbook\'s executions, each step\'s duration and errors, and the run outcomes', () => {
    const runbook = `{Ref:${runbookId()}}`;
    expect(widgetMetrics('Runbook executions')).toEqual(
      ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((name) => ['AWS/States', name, 'StateMachineArn', runbook]),
    );
    expect(widgetMetrics('Step durations (p90, ms)')).toEqual(RUNBOOK_STEPS.map((step) => ['AWS/Lambda', 'Duration', 'FunctionName', `{Ref:${functionId(step)}}`]));
    expect(widgetMetrics('Step errors').map((line) => line[3])).toEqual([...RUNBOOK_STEPS, 'shard-canary'].map((step) => `{Ref:${functionId(step)}}`));
    expect(widgetMetrics('Run outcomes')).toEqual(RUN_OUTCOMES.map((outcome) => ['CoordinatorRecovery', 'Runs', 'ClusterName', 'orders-prod', 'Outcome', outcome]));
  });

  it('shows records scanned, the scan rate, groups recovered and the canary\'s FAILED shards, under the dimension the Lambdas publish', () => {
    expect(widgetMetrics('__consumer_offsets records scanned')).toEqual([
      ['CoordinatorRecovery', 'RecordsScanned', 'ClusterName', 'orders-prod'],
      ['CoordinatorRecovery', 'ScanRecordsPerSecond', 'ClusterName', 'orders-prod'],
    ]);
    expect(widgetMetrics('Groups recovered, and run duration')[0]).toEqual(['CoordinatorRecovery', 'GroupsRecovered', 'ClusterName', 'orders-prod']);
    expect(widgetMetrics('Shard canary: FAILED coordinator shards')[0]).toEqual(['CoordinatorRecovery', 'FailedShards', 'ClusterName', 'orders-prod']);
    const alarms = dashboardBody().widgets.find((w) => w.properties.title === 'Alarms')!.properties as unknown as { alarms: string[] };
    expect(alarms.alarms).toHaveLength(5);
  });
});

describe('tracing', () => {
  it('traces every function and both state machines', () => {
    for (const [, props] of resourcesOfType(synth.json, 'AWS::Lambda::Function')) expect(props['TracingConfig']).toEqual({ Mode: 'Active' });
    const machines = resourcesOfType(synth.json, 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(2);
    for (const [, props] of machines) expect(props['TracingConfiguration']).toEqual({ Enabled: true });
  });
});
