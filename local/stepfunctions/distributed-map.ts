/**
 * A Distributed Map state as Step Functions runs it: the items come from S3 (ItemReader) or the
 * state's input (ItemsPath), each one runs as its own child execution of the ItemProcessor, at
 * most MaxConcurrency at a time, failed children are tolerated up to ToleratedFailureCount /
 * ToleratedFailurePercentage, and the results are either the state's result or, with a
 * ResultWriter, written to S3 as a manifest and one file per status, the state's result then
 * being where they are. aws-local-stepfunctions knows only inline Maps, so the runner swaps each
 * Distributed Map for a Task state this module answers; everything around the map (InputPath,
 * ResultSelector, ResultPath, OutputPath, Retry, Catch) stays the library's.
 */
import { randomUUID } from 'node:crypto';
import type { AslDefinition, AslState } from './asl.ts';

/** S3 as the map run reaches it; errors are the SDK's (NoSuchKey, NoSuchBucket, ...). */
export interface ObjectStore {
  getObject(bucket: string, key: string): Promise<string>;
  putObject(bucket: string, key: string, body: string): Promise<void>;
  /** Every object under the prefix, in key order, as an s3:listObjectsV2 ItemReader hands them to items. */
  listObjects(bucket: string, prefix: string): Promise<ListedObject[]>;
}

/** One item of an s3:listObjectsV2 ItemReader, named as Step Functions names its fields. */
export interface ListedObject {
  Etag: string;
  Key: string;
  LastModified: string;
  Size: number;
  StorageClass: string;
}

export type ChildOutcome = { status: 'SUCCEEDED'; output: unknown } | { status: 'FAILED'; error: string; cause: string };

export interface DistributedMapEnvironment {
  /** The parent execution's context object (`$$`). */
  context: Record<string, unknown>;
  objects: ObjectStore | undefined;
  /** Evaluates a Parameters-style template (`"x.$": "$.path"`, intrinsics) against an input and a context. */
  resolveTemplate(template: unknown, input: unknown, context: Record<string, unknown>): Promise<unknown>;
  /** Evaluates a reference path (`$.a.b`) against an input and a context. */
  resolvePath(path: string, input: unknown, context: Record<string, unknown>): Promise<unknown>;
  /** Runs one child workflow execution to its end. */
  runChild(definition: AslDefinition, input: unknown, context: Record<string, unknown>): Promise<ChildOutcome>;
  /** Set when the parent execution stops: no further child is started. */
  signal: AbortSignal;
}

/** Errors a map run ends with, as Step Functions names them (all of them catchable). */
export const MAP_RUN_ERRORS = {
  threshold: 'States.ExceedToleratedFailureThreshold',
  itemReader: 'States.ItemReaderFailed',
  resultWriter: 'States.ResultWriterFailed',
  runtime: 'States.Runtime',
} as const;

const GET_OBJECT = /^arn:aws[a-z-]*:states:::s3:getObject$/;
const LIST_OBJECTS = /^arn:aws[a-z-]*:states:::s3:listObjectsV2$/;
const PUT_OBJECT = /^arn:aws[a-z-]*:states:::s3:putObject$/;
/** The Task resource a Distributed Map is swapped for; only the runner answers it. */
export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::local:distributedMap';

export function isDistributedMap(state: AslState): boolean {
  const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined;
  return state.Type === 'Map' && processor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

/**
 * The definition with each Distributed Map (in it, in its inline Maps and Parallel branches)
 * replaced by a Task state of the same name that keeps the fields a Task and a Map share, and
 * the original states by name. A Distributed Map inside a Distributed Map's processor is left
 * to the child execution, which separates its own.
 */
export function separateDistributedMaps(definition: AslDefinition): { runnable: AslDefinition; maps: Map<string, AslState> } {
  const maps = new Map<string, AslState>();
  const rewrite = (machine: AslDefinition): AslDefinition => ({
    ...machine,
    States: Object.fromEntries(
      Object.entries(machine.States).map(([name, state]) => {
        if (isDistributedMap(state)) {
          checkSupported(name, state);
          maps.set(name, state);
          return [name, asTask(state)];
        }
        const copy: AslState = { ...state };
        if (state.ItemProcessor) copy.ItemProcessor = rewrite(state.ItemProcessor);
        if (state.Iterator) copy.Iterator = rewrite(state.Iterator);
        if (Array.isArray(state['Branches'])) copy['Branches'] = (state['Branches'] as AslDefinition[]).map(rewrite);
        return [name, copy];
      }),
    ),
  });
  return { runnable: rewrite(definition), maps };
}

const SHARED_WITH_TASK = ['Comment', 'InputPath', 'ResultSelector', 'ResultPath', 'OutputPath', 'Retry', 'Catch', 'Next', 'End'] as const;

/**
 * A Map state has no time limit in Step Functions, but aws-local-stepfunctions ends a Task
 * without TimeoutSeconds after 60 s with States.Timeout: the swapped Task gets the longest wait
 * a Node timer can hold (about 24.8 days; a larger one would fire at once).
 */
export const DISTRIBUTED_MAP_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function asTask(state: AslState): AslState {
  const task: AslState = { Type: 'Task', Resource: DISTRIBUTED_MAP_RESOURCE, TimeoutSeconds: DISTRIBUTED_MAP_TIMEOUT_SECONDS };
  for (const field of SHARED_WITH_TASK) if (state[field] !== undefined) task[field] = state[field];
  return task;
}

/** What this runner does not do is refused before the run starts, never silently skipped. */
function checkSupported(name: string, state: AslState): void {
  const refuse = (what: string): never => {
    throw new Error(`Distributed Map ${name}: ${what} is not supported by the local runner`);
  };
  if (state['QueryLanguage'] === 'JSONata') refuse('QueryLanguage JSONata');
  if (state['ItemBatcher'] !== undefined) refuse('ItemBatcher');
  const reader = state['ItemReader'] as ItemReader | undefined;
  if (reader !== undefined) {
    const listing = LIST_OBJECTS.test(reader.Resource ?? '');
    if (!listing && !GET_OBJECT.test(reader.Resource ?? '')) refuse(`ItemReader Resource ${reader.Resource ?? '(none)'} (arn:aws:states:::s3:getObject and s3:listObjectsV2 are)`);
    const type = reader.ReaderConfig?.InputType;
    if (!listing && type !== 'JSON' && type !== 'JSONL') refuse(`ItemReader InputType ${type ?? '(none)'} (JSON and JSONL are)`);
  }
  const writer = state['ResultWriter'] as ResultWriter | undefined;
  if (writer !== undefined) {
    if (writer.Resource !== undefined && !PUT_OBJECT.test(writer.Resource)) refuse(`ResultWriter Resource ${writer.Resource} (arn:aws:states:::s3:putObject is)`);
    if (writer.WriterConfig?.OutputType === 'JSONL') refuse('ResultWriter OutputType JSONL');
  }
}

interface ItemReader {
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ReaderConfig?: { InputType?: string; MaxItems?: number; MaxItemsPath?: string };
}

interface ResultWriter {
  Resource?: string;
  Parameters?: Record<string, unknown>;
  WriterConfig?: { Transformation?: 'NONE' | 'COMPACT' | 'FLATTEN'; OutputType?: 'JSON' | 'JSONL' };
}

class MapRunError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** One child execution as a ResultWriter records it (Transformation NONE). */
interface ChildRecord {
  ExecutionArn: string;
  Input: string;
  InputDetails: { Included: true };
  Name: string;
  Output?: string;
  OutputDetails?: { Included: true };
  Error?: string;
  Cause?: string;
  RedriveCount: 0;
  RedriveStatus: 'NOT_REDRIVABLE';
  RedriveStatusReason: string;
  StartDate: string;
  StateMachineArn: string;
  Status: 'SUCCEEDED' | 'FAILED';
  StopDate: string;
}

/** Runs one Distributed Map state on its effective input (after InputPath); the result goes on to ResultSelector/ResultPath. */
export async function runDistributedMap(name: string, state: AslState, input: unknown, env: DistributedMapEnvironment): Promise<unknown> {
  const identity = mapRunIdentity(name, state, env.context);
  const items = await readItems(state, input, env);
  const processor = childDefinition(state);
  const executionType = (state.ItemProcessor as { ProcessorConfig?: { ExecutionType?: string } }).ProcessorConfig?.ExecutionType;
  const tolerance = await toleranceOf(state, input, env);
  const concurrency = await numberField(state, 'MaxConcurrency', input, env);

  const records: Array<ChildRecord | undefined> = new Array(items.length);
  const outputs: unknown[] = new Array(items.length);
  let failed = 0;
  let exceeded = false;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !exceeded && !env.signal.aborted) {
      const index = next++;
      const childInput = await selectItem(state, input, items[index], index, env);
      const childName = randomUUID();
      const executionArn = `${identity.childArnPrefix(executionType === 'EXPRESS')}:${childName}`;
      const startDate = new Date().toISOString();
      const outcome = await env.runChild(processor, childInput, {
        Execution: { Id: executionArn, Name: childName, Input: childInput, StartTime: startDate, RoleArn: roleArnOf(env.context) },
        StateMachine: { Id: identity.childStateMachineArn, Name: identity.childStateMachineName },
      });
      const common = {
        ExecutionArn: executionArn,
        Input: JSON.stringify(childInput),
        InputDetails: { Included: true as const },
        Name: childName,
        RedriveCount: 0 as const,
        RedriveStatus: 'NOT_REDRIVABLE' as const,
        StartDate: startDate,
        StateMachineArn: identity.childStateMachineArn,
        StopDate: new Date().toISOString(),
      };
      if (outcome.status === 'SUCCEEDED') {
        outputs[index] = outcome.output;
        records[index] = {
          ...common,
          Output: JSON.stringify(outcome.output),
          OutputDetails: { Included: true },
          RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
          Status: 'SUCCEEDED',
        };
      } else {
        failed += 1;
        records[index] = { ...common, Error: outcome.error, Cause: outcome.cause, RedriveStatusReason: 'Execution is FAILED and cannot be redriven', Status: 'FAILED' };
        // A failed child's entry is its whole record, whatever the transformation.
        outputs[index] = records[index];
        if (tolerance.exceededBy(failed, items.length)) exceeded = true;
      }
    }
  };
  const workers = Math.max(1, Math.min(items.length, concurrency !== undefined && concurrency > 0 ? concurrency : items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (env.signal.aborted) throw new MapRunError('States.Aborted', `map run ${identity.mapRunArn} stopped with its execution`);

  const writer = state['ResultWriter'] as ResultWriter | undefined;
  const transformation = writer?.WriterConfig?.Transformation ?? (writer?.Resource !== undefined ? 'NONE' : 'COMPACT');
  const written = writer?.Resource !== undefined ? await writeResults(writer, records, transformation, identity, input, env) : undefined;
  if (exceeded) {
    throw new MapRunError(
      MAP_RUN_ERRORS.threshold,
      `The specified tolerated failure threshold was exceeded: ${failed} of ${items.length} child executions of map run ${identity.mapRunArn} failed (${tolerance.describe()})`,
    );
  }
  if (written !== undefined) return { MapRunArn: identity.mapRunArn, ResultWriterDetails: written };
  return transform(records, outputs, transformation);
}

interface MapRunIdentity {
  mapRunArn: string;
  mapRunId: string;
  childStateMachineArn: string;
  childStateMachineName: string;
  childArnPrefix(express: boolean): string;
}

/** ARNs as Step Functions forms them: mapRun:<machine>/<label>:<id>, children execution:<machine>/<label>:<name>. */
function mapRunIdentity(name: string, state: AslState, context: Record<string, unknown>): MapRunIdentity {
  const machine = (context['StateMachine'] ?? {}) as { Id?: string; Name?: string };
  const arn = /^arn:(aws[a-z-]*):states:([^:]*):(\d*):stateMachine:(.+)$/.exec(machine.Id ?? '');
  const [partition, region, account, machineName] = arn ? [arn[1]!, arn[2]!, arn[3]!, arn[4]!] : ['aws', 'us-east-1', '123456789012', machine.Name ?? 'local'];
  const label = typeof state['Label'] === 'string' ? state['Label'] : name;
  const mapRunId = randomUUID();
  const base = `arn:${partition}:states:${region}:${account}`;
  return {
    mapRunArn: `${base}:mapRun:${machineName}/${label}:${mapRunId}`,
    mapRunId,
    childStateMachineArn: `${base}:stateMachine:${machineName}/${label}`,
    childStateMachineName: `${machineName}/${label}`,
    childArnPrefix: (express) => `${base}:${express ? 'express' : 'execution'}:${machineName}/${label}`,
  };
}

function roleArnOf(context: Record<string, unknown>): string | undefined {
  return (context['Execution'] as { RoleArn?: string } | undefined)?.RoleArn;
}

function childDefinition(state: AslState): AslDefinition {
  const { ProcessorConfig: _config, ...definition } = state.ItemProcessor as AslDefinition & { ProcessorConfig?: unknown };
  return definition;
}

async function readItems(state: AslState, input: unknown, env: DistributedMapEnvironment): Promise<unknown[]> {
  const reader = state['ItemReader'] as ItemReader | undefined;
  if (reader === undefined) {
    const items = await env.resolvePath(typeof state['ItemsPath'] === 'string' ? state['ItemsPath'] : '$', input, env.context);
    if (!Array.isArray(items)) throw new MapRunError(MAP_RUN_ERRORS.runtime, `ItemsPath ${String(state['ItemsPath'] ?? '$')} does not select an array`);
    return items;
  }
  const parameters = (await env.resolveTemplate(reader.Parameters ?? {}, input, env.context)) as { Bucket?: unknown; Key?: unknown; Prefix?: unknown };
  if (LIST_OBJECTS.test(reader.Resource ?? '')) return listItems(reader, parameters, input, env);
  if (typeof parameters.Bucket !== 'string' || typeof parameters.Key !== 'string') {
    throw new MapRunError(MAP_RUN_ERRORS.itemReader, `ItemReader Parameters must give a Bucket and a Key, got ${JSON.stringify(parameters)}`);
  }
  if (env.objects === undefined) throw new Error('the definition reads items from S3 but the runner was given no object store');
  let body: string;
  try {
    body = await env.objects.getObject(parameters.Bucket, parameters.Key);
  } catch (error) {
    throw new MapRunError(MAP_RUN_ERRORS.itemReader, `s3:getObject s3://${parameters.Bucket}/${parameters.Key}: ${(error as Error).name}: ${(error as Error).message}`);
  }
  const items = parseItems(body, reader.ReaderConfig?.InputType ?? 'JSON', `s3://${parameters.Bucket}/${parameters.Key}`);
  const maxItems = reader.ReaderConfig?.MaxItemsPath !== undefined ? await env.resolvePath(reader.ReaderConfig.MaxItemsPath, input, env.context) : reader.ReaderConfig?.MaxItems;
  // MaxItems 0 (the default) reads every item.
  return typeof maxItems === 'number' && maxItems > 0 ? items.slice(0, maxItems) : items;
}

/** s3:listObjectsV2: one item per object under the prefix ({Etag, Key, LastModified, Size, StorageClass}). */
async function listItems(reader: ItemReader, parameters: { Bucket?: unknown; Prefix?: unknown }, input: unknown, env: DistributedMapEnvironment): Promise<unknown[]> {
  if (typeof parameters.Bucket !== 'string' || (parameters.Prefix !== undefined && typeof parameters.Prefix !== 'string')) {
    throw new MapRunError(MAP_RUN_ERRORS.itemReader, `ItemReader Parameters must give a Bucket and optionally a Prefix, got ${JSON.stringify(parameters)}`);
  }
  if (env.objects === undefined) throw new Error('the definition lists items in S3 but the runner was given no object store');
  let items: ListedObject[];
  try {
    items = await env.objects.listObjects(parameters.Bucket, parameters.Prefix ?? '');
  } catch (error) {
    throw new MapRunError(MAP_RUN_ERRORS.itemReader, `s3:listObjectsV2 s3://${parameters.Bucket}/${parameters.Prefix ?? ''}: ${(error as Error).name}: ${(error as Error).message}`);
  }
  const maxItems = reader.ReaderConfig?.MaxItemsPath !== undefined ? await env.resolvePath(reader.ReaderConfig.MaxItemsPath, input, env.context) : reader.ReaderConfig?.MaxItems;
  return typeof maxItems === 'number' && maxItems > 0 ? items.slice(0, maxItems) : items;
}

function parseItems(body: string, inputType: string, where: string): unknown[] {
  try {
    if (inputType === 'JSONL') {
      return body
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
    }
    const items = JSON.parse(body) as unknown;
    if (!Array.isArray(items)) throw new Error('the object is not a JSON array');
    return items;
  } catch (error) {
    throw new MapRunError(MAP_RUN_ERRORS.itemReader, `${where} is not ${inputType === 'JSONL' ? 'JSON Lines' : 'a JSON array'}: ${(error as Error).message}`);
  }
}

async function selectItem(state: AslState, input: unknown, item: unknown, index: number, env: DistributedMapEnvironment): Promise<unknown> {
  // Parameters is the older name of ItemSelector.
  const selector = state['ItemSelector'] ?? state.Parameters;
  if (selector === undefined) return item;
  return env.resolveTemplate(selector, input, { ...env.context, Map: { Item: { Index: index, Value: item } } });
}

async function numberField(state: AslState, field: string, input: unknown, env: DistributedMapEnvironment): Promise<number | undefined> {
  const path = state[`${field}Path`];
  const value = typeof path === 'string' ? await env.resolvePath(path, input, env.context) : state[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new MapRunError(MAP_RUN_ERRORS.runtime, `${field}${typeof path === 'string' ? 'Path' : ''} must be a non-negative number, got ${JSON.stringify(value)}`);
  }
  return value;
}

interface Tolerance {
  exceededBy(failed: number, total: number): boolean;
  describe(): string;
}

/** Neither field: no failure is tolerated. Either or both: the run fails when it exceeds either. */
async function toleranceOf(state: AslState, input: unknown, env: DistributedMapEnvironment): Promise<Tolerance> {
  const count = await numberField(state, 'ToleratedFailureCount', input, env);
  const percentage = await numberField(state, 'ToleratedFailurePercentage', input, env);
  if (percentage !== undefined && percentage > 100) throw new MapRunError(MAP_RUN_ERRORS.runtime, `ToleratedFailurePercentage must be 0-100, got ${percentage}`);
  return {
    exceededBy: (failed, total) =>
      count === undefined && percentage === undefined
        ? failed > 0
        : (count !== undefined && failed > count) || (percentage !== undefined && failed * 100 > percentage * total),
    describe: () =>
      count === undefined && percentage === undefined
        ? 'no failure tolerated'
        : [count !== undefined ? `ToleratedFailureCount ${count}` : '', percentage !== undefined ? `ToleratedFailurePercentage ${percentage}` : ''].filter(Boolean).join(', '),
  };
}

function transform(records: Array<ChildRecord | undefined>, outputs: unknown[], transformation: string): unknown[] {
  const done = records.flatMap((record, index) => (record === undefined ? [] : [{ record, output: outputs[index] }]));
  if (transformation === 'NONE') return done.map(({ record }) => record);
  const compact = done.map(({ record, output }) => (record.Status === 'SUCCEEDED' ? output : record));
  return transformation === 'FLATTEN' ? compact.flatMap((entry) => (Array.isArray(entry) ? entry : [entry])) : compact;
}

async function writeResults(
  writer: ResultWriter,
  records: Array<ChildRecord | undefined>,
  transformation: string,
  identity: MapRunIdentity,
  input: unknown,
  env: DistributedMapEnvironment,
): Promise<{ Bucket: string; Key: string }> {
  const parameters = (await env.resolveTemplate(writer.Parameters ?? {}, input, env.context)) as { Bucket?: unknown; Prefix?: unknown };
  if (typeof parameters.Bucket !== 'string') throw new MapRunError(MAP_RUN_ERRORS.resultWriter, `ResultWriter Parameters must give a Bucket, got ${JSON.stringify(parameters)}`);
  if (parameters.Prefix !== undefined && typeof parameters.Prefix !== 'string') throw new MapRunError(MAP_RUN_ERRORS.resultWriter, 'ResultWriter Prefix must be a string');
  if (env.objects === undefined) throw new Error('the definition writes results to S3 but the runner was given no object store');
  const bucket = parameters.Bucket;
  const prefix = (parameters.Prefix ?? '').replace(/\/+$/, '');
  const folder = prefix === '' ? identity.mapRunId : `${prefix}/${identity.mapRunId}`;
  const put = async (key: string, body: string): Promise<void> => {
    try {
      await env.objects!.putObject(bucket, key, body);
    } catch (error) {
      throw new MapRunError(MAP_RUN_ERRORS.resultWriter, `s3:putObject s3://${bucket}/${key}: ${(error as Error).name}: ${(error as Error).message}`);
    }
  };
  const done = records.filter((record): record is ChildRecord => record !== undefined);
  const files: Record<'FAILED' | 'PENDING' | 'SUCCEEDED', Array<{ Key: string; Size: number }>> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  for (const status of ['SUCCEEDED', 'FAILED'] as const) {
    const entries = done.filter((record) => record.Status === status);
    if (entries.length === 0) continue;
    const body = JSON.stringify(status === 'SUCCEEDED' && transformation !== 'NONE' ? transform(entries, entries.map((e) => JSON.parse(e.Output!) as unknown), transformation) : entries);
    const key = `${folder}/${status}_0.json`;
    await put(key, body);
    files[status].push({ Key: key, Size: Buffer.byteLength(body) });
  }
  const manifestKey = `${folder}/manifest.json`;
  await put(manifestKey, JSON.stringify({ DestinationBucket: bucket, MapRunArn: identity.mapRunArn, ResultFiles: files }));
  return { Bucket: bucket, Key: manifestKey };
}
