/**
 * Synthesizes the very stack `bin/app.ts` deploys (without bundling the Lambdas: the runner
 * imports their source) and pulls out what a local run needs: the runbook's ASL as deployed,
 * and per Lambda its handler, timeout, memory and environment as CloudFormation holds it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { RecoveryConfig } from '../../lib/config.ts';
import { HANDLER_NAMES, type HandlerName } from '../../lib/recovery-functions.ts';
import { RecoveryStack } from '../../lib/recovery-stack.ts';
import { STATE } from '../../lib/recovery-state-machine.ts';
import { renderDefinition, stateMachineIds, taskStates, type AslDefinition, type CfnTemplate } from './asl.ts';

export type CfnValue = string | number | boolean | { [fn: string]: unknown };

export interface SynthesizedFunction {
  logicalId: string;
  handler: HandlerName;
  timeoutSeconds: number;
  memorySize: number;
  /** Environment.Variables as in the template: strings or intrinsic functions */
  environment: Record<string, CfnValue>;
}

export interface SynthesizedRunbook {
  template: CfnTemplate;
  /** The runbook as deployed. */
  definition: AslDefinition;
  /** The alarm trigger's starter state machine as deployed. */
  starter: AslDefinition;
  stateMachineName: string;
  region: string;
  account: string;
  functions: Map<string, SynthesizedFunction>;
  /** Task state (Map items included) -> the handler its Lambda runs. */
  taskHandlers: Record<string, HandlerName>;
}

/** The variable recovery-functions.ts sets on every Lambda to name its handler file. */
const STEP_VARIABLE = 'RECOVERY_STEP';

export function synthesizeRunbook(config: Partial<RecoveryConfig>, stackName = 'CoordinatorRecovery'): SynthesizedRunbook {
  const outdir = mkdtempSync(join(tmpdir(), 'local-runbook-cdk-'));
  try {
    // Bundling is skipped: esbuild for ten Lambdas is slow and the runner imports the sources.
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new RecoveryStack(app, stackName, { config });
    const assembly = app.synth();
    const template = JSON.parse(readFileSync(assembly.getStackByName(stack.stackName).templateFullPath, 'utf8')) as CfnTemplate;
    const { region, account } = stack.settings.cluster;
    const definitions = stateMachineIds(template).map((id) => ({ id, asl: renderDefinition(template, id, { region, account }) }));
    const runbook = definitions.find(({ asl }) => asl.StartAt === STATE.diagnose);
    const starter = definitions.find(({ asl }) => asl.StartAt !== STATE.diagnose);
    if (runbook === undefined || starter === undefined || definitions.length !== 2) {
      throw new Error(`expected the runbook (starting at ${STATE.diagnose}) and the alarm starter, found ${definitions.map(({ asl }) => asl.StartAt).join(', ')}`);
    }
    const stateMachineName = String(template.Resources[runbook.id]!.Properties?.['StateMachineName'] ?? runbook.id);
    const functions = lambdaFunctions(template);
    const taskHandlers: Record<string, HandlerName> = {};
    for (const { state, logicalId } of lambdaTasks(runbook.asl)) {
      const fn = functions.get(logicalId);
      if (!fn) throw new Error(`Task ${state} invokes ${logicalId}, which is not a recovery Lambda of the stack`);
      taskHandlers[state] = fn.handler;
    }
    return { template, definition: runbook.asl, starter: starter.asl, stateMachineName, region, account, functions, taskHandlers };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function lambdaFunctions(template: CfnTemplate): Map<string, SynthesizedFunction> {
  const functions = new Map<string, SynthesizedFunction>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const properties = resource.Properties ?? {};
    const environment = ((properties['Environment'] as { Variables?: Record<string, CfnValue> } | undefined)?.Variables ?? {});
    const step = environment[STEP_VARIABLE];
    // Functions CDK adds for itself (custom resources) carry no step and are not part of a run.
    if (typeof step !== 'string') continue;
    if (!(HANDLER_NAMES as readonly string[]).includes(step)) throw new Error(`Lambda ${logicalId} names an unknown handler ${step}`);
    functions.set(logicalId, {
      logicalId,
      handler: step as HandlerName,
      timeoutSeconds: Number(properties['Timeout'] ?? 3),
      memorySize: Number(properties['MemorySize'] ?? 128),
      environment,
    });
  }
  return functions;
}

export interface LambdaTask {
  state: string;
  logicalId: string;
  waitForTaskToken: boolean;
}

/** Every Task state, Map item processors included, with the Lambda logical id it invokes. */
export function lambdaTasks(definition: AslDefinition): LambdaTask[] {
  return taskStates(definition).map(([state, body]) => {
    const resource = body.Resource ?? '';
    const direct = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:([^:]+)$/.exec(resource);
    if (direct) return { state, logicalId: direct[1]!, waitForTaskToken: false };
    if (/^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/.test(resource)) {
      const functionName = String(body.Parameters?.['FunctionName'] ?? '');
      const match = /function:([^:]+)/.exec(functionName);
      if (!match) throw new Error(`Task ${state} invokes ${functionName}, which is not a function of this stack`);
      return { state, logicalId: match[1]!, waitForTaskToken: resource.endsWith('.waitForTaskToken') };
    }
    throw new Error(`Task ${state} uses ${resource || 'no Resource'}; the local runner maps only Lambda tasks`);
  });
}
