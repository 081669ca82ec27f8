/**
 * Runs an Amazon States Language definition with aws-local-stepfunctions, every Task state
 * answered by a local function. The one place that knows how that library is driven: its
 * Node 22 requirement, how a `lambda:invoke` integration hands the function only its Payload
 * and wraps the result, pauses between retries, and how an execution's end is reported.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { taskResources, taskStates, type AslDefinition } from './asl.ts';
import { runDistributedMap, separateDistributedMaps, type ChildOutcome, type ObjectStore } from './distributed-map.ts';

// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node only has from 22 on.
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

/**
 * Answers one Task state. For a Lambda task it receives the event the function would get and
 * returns what the function returns (for `.waitForTaskToken`, what the token's answer carries);
 * for any other service it receives the resolved Parameters and returns the service's result.
 * A thrown error's `name` is the error Retry and Catch match on, its message the Cause.
 */
export type TaskFunction = (event: unknown) => unknown;

export type ExecutionOutcome = { status: 'SUCCEEDED'; output: unknown } | { status: 'FAILED'; error: string; cause: string };

export interface RunDefinitionOptions {
  /** By Task state name, Map item processors included; a Task without one fails the run. */
  tasks: Record<string, TaskFunction>;
  /** The context object (`$$`): Execution, StateMachine, Task.Token. */
  context?: Record<string, unknown>;
  /** Pause before each Retry attempt instead of the definition's interval; default 0. */
  retryIntervalMs?: number;
  /** S3 for Distributed Maps' ItemReader and ResultWriter; needed only when the definition reads or writes there. */
  objects?: ObjectStore;
}

export interface DefinitionRun {
  /** Settles when the execution ends; never rejects. */
  done: Promise<ExecutionOutcome>;
  /** Top-level states entered so far, in order. */
  states: string[];
  /**
   * The largest state input, output or task result seen so far, in bytes of JSON (Map items and
   * Distributed Map child executions included), and where.
   */
  payload: { maxBytes: number; state: string | null };
  abort(): void;
}

/** Step Functions' limit on a state's input, output and a task's result (UTF-8 bytes of the JSON). */
export const STATE_PAYLOAD_LIMIT_BYTES = 262_144;

function payloadBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
}

const LAMBDA_INTEGRATION = /^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/;

export function runDefinition(definition: AslDefinition, input: unknown, options: RunDefinitionOptions): DefinitionRun {
  const known = new Set(taskStates(definition).map(([name]) => name));
  const missing = [...known].filter((state) => options.tasks[state] === undefined);
  if (missing.length > 0) throw new Error(`no local function for Task state(s) ${missing.join(', ')}`);
  const unknown = Object.keys(options.tasks).filter((state) => !known.has(state));
  if (unknown.length > 0) throw new Error(`${unknown.join(', ')} is not a Task state of this definition`);
  return execute(definition, input, options);
}

/**
 * One execution: the parent's, or a Distributed Map's child (which measures its own payload
 * against the limit, as each child execution is limited on AWS). `options.tasks` may hold more
 * than this definition's Task states.
 */
function execute(definition: AslDefinition, input: unknown, options: RunDefinitionOptions): DefinitionRun {
  const { runnable, maps } = separateDistributedMaps(definition);
  const resources = taskResources(runnable);
  const children = new Set<DefinitionRun>();
  const aborted = new AbortController();

  const localHandlers = Object.fromEntries(
    [...resources.keys()].map((state) => {
      const mapState = maps.get(state);
      if (mapState !== undefined) {
        return [
          state,
          (effectiveInput: unknown): Promise<unknown> =>
            runDistributedMap(state, mapState, effectiveInput, {
              context: options.context ?? {},
              objects: options.objects,
              resolveTemplate,
              resolvePath,
              signal: aborted.signal,
              runChild: async (childDefinition, childInput, childContext): Promise<ChildOutcome> => {
                const child = execute(childDefinition, childInput, { ...options, context: childContext });
                children.add(child);
                try {
                  return await child.done;
                } finally {
                  children.delete(child);
                  if (child.payload.maxBytes > payload.maxBytes) Object.assign(payload, child.payload);
                }
              },
            }),
        ];
      }
      const task = options.tasks[state];
      if (task === undefined) throw new Error(`no local function for Task state ${state}`);
      const integration = LAMBDA_INTEGRATION.exec(resources.get(state)!);
      return [
        state,
        async (parameters: unknown): Promise<unknown> => {
          if (!integration) return task(parameters);
          const output = await task((parameters as { Payload?: unknown }).Payload);
          // The request-response integration wraps the function's result; a task token's answer is the result itself.
          return integration[1] ? output : { ExecutedVersion: '$LATEST', Payload: output, StatusCode: 200 };
        },
      ];
    }),
  );
  // Measured at every transition; over the limit the run fails as on AWS: States.DataLimitExceeded,
  // which no Catch (States.ALL included) handles, so the execution itself is stopped.
  const payload: DefinitionRun['payload'] = { maxBytes: 0, state: null };
  let exceeded: { error: string; cause: string } | null = null;
  let stop = (): void => {};
  const measure = (state: string, what: string, value: unknown): void => {
    const bytes = payloadBytes(value);
    if (bytes > payload.maxBytes) Object.assign(payload, { maxBytes: bytes, state });
    if (bytes > STATE_PAYLOAD_LIMIT_BYTES && exceeded === null) {
      exceeded = {
        error: 'States.DataLimitExceeded',
        cause: `The state/task '${state}' ${what} has a size of ${bytes} bytes, exceeding the maximum of ${STATE_PAYLOAD_LIMIT_BYTES} bytes.`,
      };
      stop();
    }
  };
  const measuredHandlers = Object.fromEntries(
    Object.entries(localHandlers).map(([state, handler]) => [
      state,
      async (parameters: unknown): Promise<unknown> => {
        measure(state, 'input', parameters);
        // The run is being stopped (the event log may lag a transition): no task acts after that.
        if (exceeded !== null) return new Promise(() => {});
        const result = await handler(parameters);
        measure(state, 'result', result);
        // Never hand an oversized result on: the run is being stopped.
        if (exceeded !== null) return new Promise(() => {});
        return result;
      },
    ]),
  );
  const retryIntervalMs = options.retryIntervalMs ?? 0;
  const machine = machineFor(runnable);
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: measuredHandlers as never,
      retryIntervalOverrides: Object.fromEntries([...resources.keys()].map((state) => [state, retryIntervalMs])),
    },
    ...(options.context ? { context: options.context as never } : {}),
  });

  const abort = (): void => {
    aborted.abort();
    for (const child of children) child.abort();
    execution.abort();
  };
  stop = abort;

  const states: string[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) {
      const entered = event as { type: string; index?: number; state?: { name: string; input?: unknown; output?: unknown } };
      if (entered.type === 'StateEntered' && entered.index === undefined && entered.state) states.push(entered.state.name);
      if (entered.type === 'StateEntered' && entered.state) measure(entered.state.name, 'input', entered.state.input);
      if (entered.type === 'StateExited' && entered.state) measure(entered.state.name, 'output', entered.state.output);
    }
  })();
  const done = (async (): Promise<ExecutionOutcome> => {
    let outcome: ExecutionOutcome;
    try {
      outcome = { status: 'SUCCEEDED', output: await execution.result };
    } catch (error) {
      // The library wraps the failing state's error (a Fail state's Error/Cause, or the task's) in an ExecutionError.
      const cause = (error as { cause?: unknown }).cause;
      const failure = cause instanceof Error ? cause : (error as Error);
      outcome = { status: 'FAILED', error: failure.name, cause: failure.message };
    }
    // Every transition measured before the verdict: the last state's output too.
    await logging.catch(() => undefined);
    const limit = exceeded as { error: string; cause: string } | null;
    return limit === null ? outcome : { status: 'FAILED', ...limit };
  })();
  return { done, states, payload, abort };
}

/**
 * Building a StateMachine validates the definition, which takes the library most of a second; a
 * Distributed Map starts one child execution per item, all of the same definition, so machines
 * are kept by definition (a machine runs any number of executions, concurrently too).
 */
const machines = new Map<string, StateMachine>();

function machineFor(definition: AslDefinition): StateMachine {
  const key = JSON.stringify(definition);
  let machine = machines.get(key);
  if (machine === undefined) {
    machine = new StateMachine(structuredClone(definition) as never, { validationOptions: { checkArn: false } });
    machines.set(key, machine);
  }
  return machine;
}

/** Parameters-style templates and reference paths evaluated by the library itself, one Pass state each. */
function passMachine(state: Record<string, unknown>): StateMachine {
  return machineFor({ StartAt: 'Evaluate', States: { Evaluate: { Type: 'Pass', ...state, End: true } } });
}

async function evaluate(state: Record<string, unknown>, input: unknown, context: Record<string, unknown>): Promise<unknown> {
  try {
    return await passMachine(state).run(input as never, { context: context as never }).result;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    const failure = cause instanceof Error ? cause : (error as Error);
    const runtime = new Error(failure.message);
    runtime.name = 'States.Runtime';
    throw runtime;
  }
}

function resolveTemplate(template: unknown, input: unknown, context: Record<string, unknown>): Promise<unknown> {
  return evaluate({ Parameters: template }, input, context);
}

function resolvePath(path: string, input: unknown, context: Record<string, unknown>): Promise<unknown> {
  return evaluate({ InputPath: path }, input, context);
}
