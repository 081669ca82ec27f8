import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandins, type AwsStandins } from '../../../../local/aws/index.ts';
import { BrokerLogSink } from '../../../../local/kafka/index.ts';
import { runDefinition, s3ObjectStore, type AslDefinition, type ObjectStore, type TaskFunction } from '../../../../local/stepfunctions/index.ts';

// Distributed Maps run by the local runner against the S3 stand-in, through the real SDK client.
const BUCKET = 'map-items';
const MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Runbook';
let aws: AwsStandins;
let objects: ObjectStore & { close(): void };

beforeAll(async () => {
  aws = await startAwsStandins({ cluster: { brokers: [], logs: new BrokerLogSink() }, buckets: [BUCKET] });
  objects = s3ObjectStore(aws.clientConfig('s3'));
});
afterAll(async () => {
  objects?.close();
  await aws?.stop();
});

async function putItems(key: string, body: string): Promise<void> {
  await objects.putObject(BUCKET, key, body);
}

function readJson(key: string): unknown {
  const text = aws.s3.readText(BUCKET, key);
  if (text === undefined) throw new Error(`no s3://${BUCKET}/${key}; keys: ${aws.s3.keys(BUCKET).join(', ')}`);
  return JSON.parse(text);
}

interface MapOptions {
  reader?: Record<string, unknown>;
  writer?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  /** The child workflow: one Task, Work, by default. */
  processor?: AslDefinition;
  catchTo?: boolean;
}

function mapDefinition(options: MapOptions): AslDefinition {
  return {
    StartAt: 'Segments',
    States: {
      Segments: {
        Type: 'Map',
        ItemProcessor: options.processor ?? {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Work',
          States: { Work: { Type: 'Task', Resource: 'arn:aws:states:::local:work', End: true } },
        },
        ...(options.reader ? { ItemReader: options.reader } : {}),
        ...(options.writer ? { ResultWriter: options.writer } : {}),
        ...options.extra,
        ResultPath: '$.map',
        ...(options.catchTo ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }] } : {}),
        End: true,
      },
      ...(options.catchTo ? { Caught: { Type: 'Pass', End: true } } : {}),
    },
  };
}

const jsonReader = (key: string, config: Record<string, unknown> = {}): Record<string, unknown> => ({
  Resource: 'arn:aws:states:::s3:getObject',
  ReaderConfig: { InputType: 'JSON', ...config },
  Parameters: { 'Bucket.$': '$.bucket', Key: key },
});
const writer = { Resource: 'arn:aws:states:::s3:putObject', Parameters: { 'Bucket.$': '$.bucket', Prefix: 'results/' } };

async function run(definition: AslDefinition, tasks: Record<string, TaskFunction>, input: unknown = { bucket: BUCKET, run: 'r-1' }) {
  const execution = runDefinition(definition, input, {
    tasks,
    objects,
    context: { Execution: { Id: `${MACHINE_ARN.replace(':stateMachine:', ':execution:')}:e1`, Name: 'e1' }, StateMachine: { Id: MACHINE_ARN, Name: 'Runbook' } },
  });
  return { outcome: await execution.done, payload: execution.payload, states: execution.states };
}

/** A child task that fails for the items whose `fail` is set, and doubles `n` otherwise. */
const work: TaskFunction = (event) => {
  const item = event as { n: number; fail?: boolean };
  if (item.fail) throw Object.assign(new Error(`item ${item.n} refused`), { name: 'Item.Refused' });
  return { doubled: item.n * 2 };
};

type ChildRecord = { Status: string; Input: string; Output?: string; Error?: string; Cause?: string; ExecutionArn: string; StateMachineArn: string };
type Manifest = { DestinationBucket: string; MapRunArn: string; ResultFiles: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', Array<{ Key: string; Size: number }>> };

describe('a Distributed Map in the local runner', () => {
  it('reads its items from S3 (JSON), selects them with ItemSelector and writes manifest.json and SUCCEEDED_0.json with ResultWriter', async () => {
    await putItems('in/items.json', JSON.stringify([{ n: 1 }, { n: 2 }, { n: 3 }]));
    const seen: unknown[] = [];
    const definition = mapDefinition({
      reader: jsonReader('in/items.json'),
      writer,
      extra: { ItemSelector: { 'n.$': '$$.Map.Item.Value.n', 'index.$': '$$.Map.Item.Index', 'run.$': '$.run', 'execution.$': '$$.Execution.Id' }, Label: 'Seg' },
    });
    const { outcome } = await run(definition, {
      Work: (event) => {
        seen.push(event);
        return work(event);
      },
    });
    expect(outcome.status).toBe('SUCCEEDED');
    const output = (outcome as { output: { map: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } } } }).output.map;
    expect(output.MapRunArn).toMatch(/^arn:aws:states:eu-west-1:123456789012:mapRun:Runbook\/Seg:[0-9a-f-]{36}$/);
    const mapRunId = output.MapRunArn.split(':').at(-1)!;
    expect(output.ResultWriterDetails).toEqual({ Bucket: BUCKET, Key: `results/${mapRunId}/manifest.json` });

    // Each child gets its selected item; $$.Execution inside the selector is still the parent's.
    expect(seen).toEqual(
      expect.arrayContaining([1, 2, 3].map((n, index) => ({ n, index, run: 'r-1', execution: `${MACHINE_ARN.replace(':stateMachine:', ':execution:')}:e1` }))),
    );
    expect(seen).toHaveLength(3);

    const manifest = readJson(output.ResultWriterDetails.Key) as Manifest;
    expect(manifest.DestinationBucket).toBe(BUCKET);
    expect(manifest.MapRunArn).toBe(output.MapRunArn);
    expect(manifest.ResultFiles.FAILED).toEqual([]);
    expect(manifest.ResultFiles.SUCCEEDED.map((f) => f.Key)).toEqual([`results/${mapRunId}/SUCCEEDED_0.json`]);
    expect(manifest.ResultFiles.SUCCEEDED[0]!.Size).toBe(Buffer.byteLength(aws.s3.readText(BUCKET, `results/${mapRunId}/SUCCEEDED_0.json`)!));
    const records = readJson(`results/${mapRunId}/SUCCEEDED_0.json`) as ChildRecord[];
    expect(records.map((r) => [JSON.parse(r.Input).n, JSON.parse(r.Output!)])).toEqual([
      [1, { doubled: 2 }],
      [2, { doubled: 4 }],
      [3, { doubled: 6 }],
    ]);
    for (const record of records) {
      expect(record.Status).toBe('SUCCEEDED');
      expect(record.StateMachineArn).toBe('arn:aws:states:eu-west-1:123456789012:stateMachine:Runbook/Seg');
      expect(record.ExecutionArn).toMatch(/^arn:aws:states:eu-west-1:123456789012:execution:Runbook\/Seg:[0-9a-f-]{36}$/);
    }
  });

  it('gives each child execution its own context ($$.Execution is the child)', async () => {
    await putItems('in/one.json', JSON.stringify([{ n: 1 }]));
    const processor: AslDefinition = {
      ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
      StartAt: 'Work',
      States: { Work: { Type: 'Task', Resource: 'arn:aws:states:::local:work', Parameters: { 'execution.$': '$$.Execution.Id', 'machine.$': '$$.StateMachine.Id' }, End: true } },
    };
    const { outcome } = await run(mapDefinition({ reader: jsonReader('in/one.json'), processor }), { Work: (event) => event });
    expect(outcome.status).toBe('SUCCEEDED');
    const [child] = (outcome as { output: { map: Array<{ execution: string; machine: string }> } }).output.map;
    expect(child!.execution).toMatch(/^arn:aws:states:eu-west-1:123456789012:express:Runbook\/Segments:[0-9a-f-]{36}$/);
    expect(child!.machine).toBe('arn:aws:states:eu-west-1:123456789012:stateMachine:Runbook/Segments');
  });

  it('reads JSON Lines up to MaxItems and, without a ResultWriter, returns the children outputs in item order', async () => {
    await putItems('in/items.jsonl', [1, 2, 3, 4, 5].map((n) => JSON.stringify({ n })).join('\n') + '\n');
    const definition = mapDefinition({ reader: { ...jsonReader('in/items.jsonl', { MaxItems: 4 }), ReaderConfig: { InputType: 'JSONL', MaxItems: 4 } } });
    // Later items finish first: the output keeps the item order anyway.
    const { outcome } = await run(definition, { Work: async (event) => new Promise((resolve) => setTimeout(() => resolve(work(event)), 40 - 10 * (event as { n: number }).n)) });
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { bucket: BUCKET, run: 'r-1', map: [2, 4, 6, 8].map((doubled) => ({ doubled })) } });
  });

  it('takes its items from the input (ItemsPath) when it has no ItemReader', async () => {
    const { outcome } = await run(mapDefinition({ extra: { ItemsPath: '$.items' } }), { Work: work }, { items: [{ n: 5 }, { n: 6 }] });
    expect(outcome).toEqual({ status: 'SUCCEEDED', output: { items: [{ n: 5 }, { n: 6 }], map: [{ doubled: 10 }, { doubled: 12 }] } });
  });

  it('runs at most MaxConcurrency children at a time', async () => {
    await putItems('in/six.json', JSON.stringify([1, 2, 3, 4, 5, 6].map((n) => ({ n }))));
    let running = 0;
    let most = 0;
    const { outcome } = await run(mapDefinition({ reader: jsonReader('in/six.json'), extra: { MaxConcurrency: 2 } }), {
      Work: async (event) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
        return work(event);
      },
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(most).toBe(2);
  });

  describe('tolerated failures', () => {
    const items = (failing: number[]) => JSON.stringify([1, 2, 3, 4].map((n) => ({ n, fail: failing.includes(n) })));

    it('under ToleratedFailureCount: the map succeeds and the failed child is in FAILED_0.json with its Error and Cause', async () => {
      await putItems('in/one-fails.json', items([3]));
      const definition = mapDefinition({ reader: jsonReader('in/one-fails.json'), writer, extra: { ToleratedFailureCount: 1 } });
      const { outcome } = await run(definition, { Work: work });
      expect(outcome.status).toBe('SUCCEEDED');
      const { ResultWriterDetails } = (outcome as { output: { map: { ResultWriterDetails: { Key: string } } } }).output.map;
      const manifest = readJson(ResultWriterDetails.Key) as Manifest;
      expect(manifest.ResultFiles.SUCCEEDED).toHaveLength(1);
      expect(manifest.ResultFiles.FAILED).toHaveLength(1);
      const failed = readJson(manifest.ResultFiles.FAILED[0]!.Key) as ChildRecord[];
      expect(failed.map((r) => ({ n: JSON.parse(r.Input).n, status: r.Status, error: r.Error, cause: r.Cause }))).toEqual([{ n: 3, status: 'FAILED', error: 'Item.Refused', cause: 'item 3 refused' }]);
      const succeeded = readJson(manifest.ResultFiles.SUCCEEDED[0]!.Key) as ChildRecord[];
      expect(succeeded.map((r) => JSON.parse(r.Input).n)).toEqual([1, 2, 4]);
    });

    it('over ToleratedFailureCount: States.ExceedToleratedFailureThreshold, which a Catch handles', async () => {
      await putItems('in/two-fail.json', items([2, 3]));
      const { outcome, states } = await run(mapDefinition({ reader: jsonReader('in/two-fail.json'), extra: { ToleratedFailureCount: 1 }, catchTo: true }), { Work: work });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(states).toEqual(['Segments', 'Caught']);
      const error = (outcome as { output: { error: { Error: string; Cause: string } } }).output.error;
      expect(error.Error).toBe('States.ExceedToleratedFailureThreshold');
      expect(error.Cause).toContain('ToleratedFailureCount 1');
    });

    it('by percentage: 25% tolerated passes one failure in four and fails on two', async () => {
      await putItems('in/pct-one.json', items([1]));
      await putItems('in/pct-two.json', items([1, 4]));
      const extra = { ToleratedFailurePercentage: 25 };
      const one = await run(mapDefinition({ reader: jsonReader('in/pct-one.json'), extra }), { Work: work });
      expect(one.outcome.status).toBe('SUCCEEDED');
      // Without a ResultWriter a failed child's entry is its record (Error, Cause), in item order.
      const entries = (one.outcome as { output: { map: Array<{ doubled?: number; Status?: string; Error?: string }> } }).output.map;
      expect(entries.map((e) => e.doubled ?? e.Error)).toEqual(['Item.Refused', 4, 6, 8]);
      const two = await run(mapDefinition({ reader: jsonReader('in/pct-two.json'), extra }), { Work: work });
      expect(two.outcome).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    });

    it('with no threshold set, one failed child fails the map', async () => {
      await putItems('in/default.json', items([4]));
      const { outcome } = await run(mapDefinition({ reader: jsonReader('in/default.json') }), { Work: work });
      expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    });

    it('a child whose state outgrows 256 KiB fails alone (States.DataLimitExceeded), counted against the threshold', async () => {
      await putItems('in/big.json', JSON.stringify([{ n: 1 }, { n: 2, big: true }]));
      const definition = mapDefinition({ reader: jsonReader('in/big.json'), writer, extra: { ToleratedFailureCount: 1 } });
      const { outcome, payload } = await run(definition, { Work: (event) => ((event as { big?: boolean }).big ? { blob: 'x'.repeat(300_000) } : work(event)) });
      expect(outcome.status).toBe('SUCCEEDED');
      const manifest = readJson((outcome as { output: { map: { ResultWriterDetails: { Key: string } } } }).output.map.ResultWriterDetails.Key) as Manifest;
      const [failed] = readJson(manifest.ResultFiles.FAILED[0]!.Key) as ChildRecord[];
      expect(failed!.Error).toBe('States.DataLimitExceeded');
      expect(payload.maxBytes).toBeGreaterThan(300_000);
    });
  });

  it('an inline result over 256 KiB fails the whole execution with States.DataLimitExceeded, past every Catch', async () => {
    const { outcome } = await run(mapDefinition({ extra: { ItemsPath: '$.items' }, catchTo: true }), { Work: () => ({ blob: 'y'.repeat(100_000) }) }, { items: [1, 2, 3] });
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  });

  it('a missing items object fails the map with States.ItemReaderFailed (catchable), before any child runs', async () => {
    let calls = 0;
    const { outcome, states } = await run(mapDefinition({ reader: jsonReader('in/absent.json'), catchTo: true }), {
      Work: (event) => {
        calls += 1;
        return work(event);
      },
    });
    expect(states).toEqual(['Segments', 'Caught']);
    const error = (outcome as { output: { error: { Error: string; Cause: string } } }).output.error;
    expect(error.Error).toBe('States.ItemReaderFailed');
    expect(error.Cause).toContain('NoSuchKey');
    expect(calls).toBe(0);
  });

  it('an items object that is not a JSON array fails with States.ItemReaderFailed', async () => {
    await putItems('in/object.json', JSON.stringify({ n: 1 }));
    const { outcome } = await run(mapDefinition({ reader: jsonReader('in/object.json') }), { Work: work });
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.ItemReaderFailed' });
  });

  it('a ResultWriter bucket that does not exist fails with States.ResultWriterFailed', async () => {
    await putItems('in/ok.json', JSON.stringify([{ n: 1 }]));
    const badWriter = { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'no-such-bucket', Prefix: 'r' } };
    const { outcome } = await run(mapDefinition({ reader: jsonReader('in/ok.json'), writer: badWriter }), { Work: work });
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.ResultWriterFailed' });
    expect((outcome as { cause: string }).cause).toContain('NoSuchBucket');
  });

  it('refuses, before running, what it does not implement', () => {
    const definition = mapDefinition({ reader: jsonReader('in/ok.json'), extra: { ItemBatcher: { MaxItemsPerBatch: 2 } } });
    expect(() => runDefinition(definition, {}, { tasks: { Work: work }, objects })).toThrow(/Distributed Map Segments: ItemBatcher is not supported/);
    const csv = mapDefinition({ reader: { ...jsonReader('in/ok.json'), ReaderConfig: { InputType: 'CSV' } } });
    expect(() => runDefinition(csv, {}, { tasks: { Work: work }, objects })).toThrow(/InputType CSV/);
  });
});

describe('a Distributed Map listing its items (ItemReader s3:listObjectsV2)', () => {
  it('runs one child per object under the prefix, in key order, the item being the object\'s listing', async () => {
    for (const name of ['b', 'a', 'c']) await putItems(`listed/run-1/${name}.json`, '{}');
    await putItems('listed/run-10/other.json', '{}');
    await putItems('listed/run-1', 'not under the prefix with its slash');
    const seen: unknown[] = [];
    const { outcome } = await run(
      mapDefinition({
        reader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { 'Bucket.$': '$.bucket', 'Prefix.$': '$.prefix' } },
        extra: { ItemSelector: { 'key.$': '$$.Map.Item.Value.Key', 'size.$': '$$.Map.Item.Value.Size' }, MaxConcurrency: 1 },
      }),
      { Work: (event) => (seen.push(event), event) },
      { bucket: BUCKET, prefix: 'listed/run-1/' },
    );
    expect(outcome.status).toBe('SUCCEEDED');
    expect(seen).toEqual(['a', 'b', 'c'].map((name) => ({ key: `listed/run-1/${name}.json`, size: 2 })));
  });

  it('lists past S3\'s 1,000-key pages through the continuation token', async () => {
    const keys = Array.from({ length: 1_005 }, (_, i) => `paged/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((key) => putItems(key, 'x')));
    const listed = await objects.listObjects(BUCKET, 'paged/');
    expect(listed.map((object) => object.Key)).toEqual(keys);
    expect(listed[0]).toEqual({ Etag: expect.stringMatching(/^"[0-9a-f]{32}"$/), Key: keys[0], LastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), Size: 1, StorageClass: 'STANDARD' });
  });
});
