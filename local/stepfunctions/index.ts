/**
 * The local runbook: the state machine definition CDK synthesizes, executed by
 * aws-local-stepfunctions, with every Lambda task running its handler from lambdas/handlers in
 * this process against the AWS stand-ins, and the approval task waiting for a real
 * SendTaskSuccess / SendTaskFailure on the Step Functions stand-in.
 */
import { randomUUID } from 'node:crypto';
import type { RecoveryConfig } from '../../lib/config.ts';
import type { HandlerName } from '../../lib/recovery-functions.ts';
import type { AwsStandins } from '../aws/index.ts';
import type { AslDefinition } from './asl.ts';
import { EnvironmentResolver } from './environment.ts';
import { startFunctionUrl, type FunctionUrlResult, type RunningFunctionUrl } from './function-url.ts';
import type { TestPrincipal } from './function-url-iam.ts';
import { clientsFromEnvironment, invokeLikeLambda, loadHandler, type LocalClients, type LocalFunction } from './lambda-runtime.ts';
import { s3ObjectStore } from './object-store.ts';
import { runDefinition, type ExecutionOutcome, type TaskFunction } from './run-definition.ts';
import { lambdaTasks, synthesizeRunbook, type SynthesizedRunbook } from './synthesize.ts';

export { renderDefinition, stateMachineIds, taskResources, taskStates, type AslDefinition, type AslState } from './asl.ts';
export { synthesizeRunbook, lambdaTasks, type LambdaTask, type SynthesizedRunbook } from './synthesize.ts';
export { runDefinition, STATE_PAYLOAD_LIMIT_BYTES, type DefinitionRun, type ExecutionOutcome, type RunDefinitionOptions, type TaskFunction } from './run-definition.ts';
export { MAP_RUN_ERRORS, type ObjectStore } from './distributed-map.ts';
export { s3ObjectStore } from './object-store.ts';
export { clientsFromEnvironment, LambdaTaskError } from './lambda-runtime.ts';
export { startFunctionUrl } from './function-url.ts';
export { verifySignedRequest, type TestPrincipal } from './function-url-iam.ts';

export interface LocalRunbookOptions {
  aws: AwsStandins;
  /** Stack configuration over the example; clusterArn and brokerLogGroupName default to the stand-ins'. */
  config?: Partial<RecoveryConfig>;
  /**
   * Variables set on every function over the synthesized ones. The stack allows only iam, scram
   * and tls; the local cluster speaks plaintext, so AUTH_MODE defaults to plaintext here.
   */
  environment?: Record<string, string>;
  /** Pause before each Retry attempt (the definition's 2-10 s intervals are for AWS); default 200 ms. */
  retryIntervalMs?: number;
  /** Handler log level (powertools): default SILENT, DEBUG/INFO to watch a run. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Reuse a synthesis (it takes seconds) across runbooks of the same configuration. */
  synthesized?: SynthesizedRunbook;
  /** Who the AWS_IAM approval URL knows: test credentials and the principal ARN each stands for. */
  approvers?: readonly TestPrincipal[];
  /**
   * Every Lambda's timeout in seconds instead of the synthesized one (a rehearsal of long scans
   * with short deadlines): the handlers' `getRemainingTimeInMillis()` counts down from it, and an
   * invocation still running at it fails with Sandbox.Timedout.
   */
  lambdaTimeoutSeconds?: number;
}

export interface TaskInvocation {
  state: string;
  handler: HandlerName;
  input: unknown;
  output?: unknown;
  error?: { name: string; cause: string };
}

export interface LocalExecution {
  executionArn: string;
  taskToken: string;
  /** Settles when the execution ends; never rejects. */
  done: Promise<ExecutionOutcome>;
  /** Top-level states entered so far, in order. */
  states: string[];
  /** Every Lambda invocation so far, Map items included. */
  invocations: TaskInvocation[];
  /** The largest state payload so far (bytes of JSON, every transition measured) and its state. */
  payload: { maxBytes: number; state: string | null };
  /** `payload.maxBytes`: the largest state input, output or task result so far, Map items and branches included. */
  readonly maxStatePayloadBytes: number;
  abort(): void;
}

export interface StartOptions {
  /** Execution name (default: a random one). */
  name?: string;
  /** Ends the approval wait with States.Timeout after this long (default: the state's TimeoutSeconds). */
  approvalTimeoutMs?: number;
}

export interface LocalRunbook {
  stateMachineArn: string;
  definition: AslDefinition;
  /** The approval endpoint's function URL (the signed links point here). */
  approvalEndpointUrl: string;
  /** Its AWS_IAM function URL (coordinator-recovery approve|reject sign requests to it). */
  approvalIamEndpointUrl: string;
  artifactsBucket: string;
  approvalTopicArn: string;
  /** The environment a function runs with (stand-in endpoints and resources resolved). */
  environmentOf(handler: HandlerName): Record<string, string>;
  /** The synthesis the runbook runs (template, the alarm starter's definition, the functions). */
  synthesized: SynthesizedRunbook;
  /** The embedded-metric-format documents the functions wrote, in order (on AWS: their log lines CloudWatch turns into metrics). */
  metrics: Array<Record<string, unknown>>;
  /** One invocation of any of the stack's functions as Lambda runs it (e.g. the scheduled shard canary). */
  invoke(handler: HandlerName, event: unknown): Promise<unknown>;
  start(input: unknown, options?: StartOptions): LocalExecution;
  close(): Promise<void>;
}

export async function createLocalRunbook(options: LocalRunbookOptions): Promise<LocalRunbook> {
  const { aws } = options;
  const synthesized =
    options.synthesized ??
    synthesizeRunbook({ clusterArn: aws.clusterArn, brokerLogGroupName: aws.logGroupName, ...options.config });
  const { definition, region, account } = synthesized;
  if (region !== aws.region || account !== aws.account) {
    throw new Error(`the stack deploys to ${region}/${account} but the stand-ins serve ${aws.region}/${aws.account}; start them with the cluster's region and account`);
  }
  const stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${synthesized.stateMachineName}`;

  let approvalEndpoint: ((event: never) => Promise<unknown>) | undefined;
  const endpoint = async (event: unknown): Promise<FunctionUrlResult> => {
    if (!approvalEndpoint) return { statusCode: 503, body: 'not ready' };
    return (await approvalEndpoint(event as never)) as FunctionUrlResult;
  };
  const functionUrl: RunningFunctionUrl = await startFunctionUrl(endpoint);
  // Both URLs invoke the same function, as the stack's two URLs (function and alias iam) do.
  const iamFunctionUrl: RunningFunctionUrl = await startFunctionUrl(endpoint, { type: 'AWS_IAM', region, principals: options.approvers ?? [] });
  const closeUrls = async (): Promise<void> => {
    await Promise.all([functionUrl.close(), iamFunctionUrl.close()]);
  };

  const clients: LocalClients[] = [];
  // What the state machine's role reaches for Distributed Maps' ItemReader and ResultWriter.
  const objects = s3ObjectStore(aws.clientConfig('s3'));
  try {
    const resolver = new EnvironmentResolver({ aws, template: synthesized.template, region, account, functionUrl: functionUrl.url, iamFunctionUrl: iamFunctionUrl.url });
    const functions = new Map<string, LocalFunction>();
    for (const fn of synthesized.functions.values()) {
      functions.set(fn.logicalId, {
        logicalId: fn.logicalId,
        handler: fn.handler,
        timeoutSeconds: options.lambdaTimeoutSeconds ?? fn.timeoutSeconds,
        memorySize: fn.memorySize,
        region,
        account,
        environment: {
          ...resolver.resolveAll(fn.environment),
          ...(fn.environment['AUTH_MODE'] !== undefined ? { AUTH_MODE: 'plaintext' } : {}),
          ...aws.environment(),
          ...options.environment,
        },
      });
    }
    const byHandler = (handler: HandlerName): LocalFunction => {
      const fn = [...functions.values()].find((f) => f.handler === handler);
      if (!fn) throw new Error(`the synthesized stack has no ${handler} function`);
      return fn;
    };
    const logLevel = options.logLevel ?? 'SILENT';
    const handlers = new Map<string, (event: unknown) => Promise<unknown>>();
    const metrics: Array<Record<string, unknown>> = [];
    const collectMetrics = (emfDocument: string): void => {
      metrics.push(JSON.parse(emfDocument) as Record<string, unknown>);
    };
    for (const fn of functions.values()) {
      const fnClients = clientsFromEnvironment(fn.environment);
      clients.push(fnClients);
      handlers.set(fn.logicalId, await loadHandler(fn, fnClients, logLevel, collectMetrics));
    }
    approvalEndpoint = handlers.get(byHandler('approval-endpoint').logicalId) as typeof approvalEndpoint;
    const tasks = lambdaTasks(definition);
    const retryIntervalMs = options.retryIntervalMs ?? 200;
    const artifactsBucket = byHandler('diagnose').environment['ARTIFACTS_BUCKET'] ?? '';
    const approvalTopicArn = byHandler('request-approval').environment['APPROVAL_TOPIC_ARN'] ?? '';

    const start = (input: unknown, startOptions: StartOptions = {}): LocalExecution => {
      const name = startOptions.name ?? randomUUID();
      const executionArn = `arn:aws:states:${region}:${account}:execution:${synthesized.stateMachineName}:${name}`;
      const taskToken = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
      const invocations: TaskInvocation[] = [];
      const aborter = new AbortController();

      const localTasks: Record<string, TaskFunction> = Object.fromEntries(
        tasks.map(({ state, logicalId, waitForTaskToken }) => {
          const fn = functions.get(logicalId);
          const run = handlers.get(logicalId);
          if (!fn || !run) throw new Error(`Task ${state} invokes ${logicalId}, which is not a Lambda of the synthesized stack`);
          const task = async (event: unknown): Promise<unknown> => {
            const invocation: TaskInvocation = { state, handler: fn.handler, input: event };
            invocations.push(invocation);
            try {
              const output = await invokeLikeLambda(run, event, fn.timeoutSeconds);
              if (!waitForTaskToken) {
                invocation.output = output;
                return output;
              }
              // The invocation only sent the request; the task's result is what the approver sends back.
              const answer = await aws.sfn.waitForTask(taskToken, {
                signal: aborter.signal,
                ...(startOptions.approvalTimeoutMs !== undefined ? { timeoutMs: startOptions.approvalTimeoutMs } : {}),
              });
              if (answer.status === 'SUCCEEDED') {
                invocation.output = answer.output;
                return answer.output;
              }
              throw namedError(answer.error, answer.cause);
            } catch (error) {
              const failure = error as Error;
              invocation.error = { name: failure.name, cause: failure.message };
              throw error;
            }
          };
          return [state, task];
        }),
      );
      const execution = runDefinition(definition, input, {
        tasks: localTasks,
        retryIntervalMs,
        objects,
        context: {
          Execution: { Id: executionArn, Name: name, Input: input, StartTime: new Date().toISOString(), RoleArn: `arn:aws:iam::${account}:role/local` },
          StateMachine: { Id: stateMachineArn, Name: synthesized.stateMachineName },
          Task: { Token: taskToken },
        },
      });
      // A pending approval wait must not outlive the execution.
      const done = execution.done.finally(() => aborter.abort());
      return {
        executionArn,
        taskToken,
        done,
        states: execution.states,
        invocations,
        payload: execution.payload,
        get maxStatePayloadBytes() {
          return execution.payload.maxBytes;
        },
        abort: () => {
          aborter.abort();
          execution.abort();
        },
      };
    };

    return {
      stateMachineArn,
      definition,
      approvalEndpointUrl: functionUrl.url,
      approvalIamEndpointUrl: iamFunctionUrl.url,
      artifactsBucket,
      approvalTopicArn,
      environmentOf: (handler) => ({ ...byHandler(handler).environment }),
      synthesized,
      metrics,
      invoke: (handler, event) => {
        const fn = byHandler(handler);
        return invokeLikeLambda(handlers.get(fn.logicalId)!, event, fn.timeoutSeconds);
      },
      start,
      close: async () => {
        for (const c of clients) c.destroy();
        objects.close();
        await closeUrls();
      },
    };
  } catch (error) {
    for (const c of clients) c.destroy();
    objects.close();
    await closeUrls();
    throw error;
  }
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
