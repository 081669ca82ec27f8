/**
 * Runs a handler the way Lambda would: its own environment (not the process's, so functions
 * with different variables can run at once), SDK clients built from that environment's
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, a Lambda context with the function's deadline, the
 * event and the result passed through JSON, and a failure shaped as Step Functions sees a
 * Lambda error: Error = errorType, Cause = '{"errorType","errorMessage","trace"}'.
 */
import { randomUUID } from 'node:crypto';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { awsClients } from '../../lambdas/aws/clients.ts';
import type { HandlerDeps } from '../../lambdas/handlers/runtime.ts';
import type { HandlerName } from '../../lib/recovery-functions.ts';
import { ENDPOINT_ENV_BY_SERVICE, type StandinService } from '../aws/index.ts';

export type LocalClients = typeof awsClients & { destroy(): void };

type Destroyable = { destroy(): void };

/** Clients for one function, configured from its environment only, created on first use like the Lambda's own. */
export function clientsFromEnvironment(env: Record<string, string>): LocalClients {
  const region = env['AWS_REGION'];
  if (!region) throw new Error('the function environment has no AWS_REGION');
  const credentials = { accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? '' };
  const endpoint = (service: StandinService): string => {
    const variable = ENDPOINT_ENV_BY_SERVICE[service];
    const value = env[variable];
    if (!value) throw new Error(`the function environment has no ${variable}; a local run must not reach real AWS`);
    return value;
  };
  const made: Destroyable[] = [];
  const once = <T extends Destroyable>(create: () => T): (() => T) => {
    let client: T | undefined;
    return () => {
      if (client === undefined) {
        client = create();
        made.push(client);
      }
      return client;
    };
  };
  return {
    msk: once(() => new KafkaClient({ region, credentials, endpoint: endpoint('kafka') })),
    // Same setting as lambdas/aws/clients.ts: the search does its own throttling backoff.
    logs: once(() => new CloudWatchLogsClient({ region, credentials, endpoint: endpoint('logs'), maxAttempts: 1 })),
    s3: once(() => new S3Client({ region, credentials, endpoint: endpoint('s3') })),
    sns: once(() => new SNSClient({ region, credentials, endpoint: endpoint('sns') })),
    sfn: once(() => new SFNClient({ region, credentials, endpoint: endpoint('sfn') })),
    secrets: once(() => new SecretsManagerClient({ region, credentials, endpoint: endpoint('secretsManager') })),
    destroy: () => {
      for (const client of made.splice(0)) client.destroy();
    },
  };
}

export interface LocalFunction {
  logicalId: string;
  handler: HandlerName;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, string>;
  region: string;
  account: string;
}

type HandlerModule = { createHandler: (overrides?: Partial<HandlerDeps>) => (event: never, context?: Context) => Promise<unknown> };

const HANDLERS_DIR = new URL('../../lambdas/handlers/', import.meta.url);

/** `metricsSink` receives the EMF documents the handler writes (Lambda's stdout, from which CloudWatch extracts metrics). */
export async function loadHandler(fn: LocalFunction, clients: LocalClients, logLevel: string, metricsSink?: (emfDocument: string) => void): Promise<(event: unknown) => Promise<unknown>> {
  const module = (await import(new URL(`${fn.handler}.ts`, HANDLERS_DIR).href)) as HandlerModule;
  const logger = new Logger({ serviceName: 'coordinator-recovery', logLevel: logLevel as 'INFO' });
  const run = module.createHandler({ env: { ...fn.environment }, clients, logger, ...(metricsSink ? { metricsSink } : {}) });
  return (event) => run(event as never, lambdaContext(fn));
}

function lambdaContext(fn: LocalFunction): Context {
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  const noop = (): void => {};
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.logicalId,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${fn.region}:${fn.account}:function:${fn.logicalId}`,
    memoryLimitInMB: String(fn.memorySize),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.logicalId}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: noop,
    fail: noop,
    succeed: noop,
  };
}

/** What a Task state receives when the Lambda fails: the handler's error name, the Lambda error document as Cause. */
export class LambdaTaskError extends Error {
  constructor(errorType: string, errorMessage: string) {
    super(JSON.stringify({ errorType, errorMessage, trace: [] }));
    this.name = errorType;
  }
}

function timeoutError(timeoutSeconds: number): LambdaTaskError {
  return new LambdaTaskError(LAMBDA_TIMEOUT_ERROR, `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
}

/** What Step Functions receives from an invocation Lambda stopped at its timeout. */
export const LAMBDA_TIMEOUT_ERROR = 'Sandbox.Timedout';

/**
 * One invocation: the event and the result through JSON, errors as Lambda reports them, and the
 * function's timeout enforced (Lambda ends the sandbox; here the handler's promise is abandoned
 * and the Task fails with Sandbox.Timedout, whatever the handler does afterwards). The result's
 * size is not judged here: a result over 256 KiB is Step Functions' States.DataLimitExceeded,
 * which no Catch handles, so the runner (run-definition.ts) measures it with every other
 * transition and stops the execution.
 */
export async function invokeLikeLambda(run: (event: unknown) => Promise<unknown>, event: unknown, timeoutSeconds?: number): Promise<unknown> {
  let result: unknown;
  let timer: NodeJS.Timeout | undefined;
  try {
    const running = run(JSON.parse(JSON.stringify(event ?? null)));
    if (timeoutSeconds === undefined) {
      result = await running;
    } else {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeoutError(timeoutSeconds)), timeoutSeconds * 1000);
      });
      // An abandoned handler that fails later must not surface as an unhandled rejection.
      running.catch(() => undefined);
      result = await Promise.race([running, timedOut]);
    }
  } catch (error) {
    if (error instanceof LambdaTaskError) throw error;
    const name = error instanceof Error ? error.name : 'Error';
    throw new LambdaTaskError(name, error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
  return JSON.parse(JSON.stringify(result ?? null)) as unknown;
}
