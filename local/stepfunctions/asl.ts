/**
 * Amazon States Language as the local runner sees it: the shape of a definition, the renderer
 * that turns a synthesized state machine's DefinitionString (a CloudFormation Fn::Join of strings
 * and references) into the plain ASL object, so the local runner and the tests execute and
 * validate exactly what CDK deploys, and the walk over its Task states.
 */

export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  [field: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [field: string]: unknown;
}

export interface RenderOptions {
  region?: string;
  account?: string;
  partition?: string;
}

/** Logical ids of the state machines in a template, in template order. */
export function stateMachineIds(template: CfnTemplate): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([id]) => id);
}

/**
 * The ASL of one state machine. References to resources of the same template become ARNs
 * named after their logical id (a Lambda `Diagnose1234` becomes
 * `arn:aws:lambda:<region>:<account>:function:Diagnose1234`), so callers can map Task
 * resources back to the constructs they came from.
 */
export function renderDefinition(template: CfnTemplate, stateMachineId: string, options: RenderOptions = {}): AslDefinition {
  const resource = template.Resources[stateMachineId];
  if (!resource || resource.Type !== 'AWS::StepFunctions::StateMachine') {
    throw new Error(`${stateMachineId} is not a state machine in this template; found ${stateMachineIds(template).join(', ') || 'none'}`);
  }
  const text = resolve(resource.Properties?.['DefinitionString'], template, {
    region: options.region ?? 'us-east-1',
    account: options.account ?? '123456789012',
    partition: options.partition ?? 'aws',
  });
  if (typeof text !== 'string') throw new Error(`${stateMachineId} has no DefinitionString`);
  return JSON.parse(text) as AslDefinition;
}

function resolve(value: unknown, template: CfnTemplate, env: Required<RenderOptions>): unknown {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (value === null || typeof value !== 'object') throw new Error(`cannot render ${JSON.stringify(value)}`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1) throw new Error(`cannot render ${JSON.stringify(value)}`);
  const [fn, args] = entries[0] as [string, unknown];
  switch (fn) {
    case 'Fn::Join': {
      const [separator, parts] = args as [string, unknown[]];
      return parts.map((part) => resolve(part, template, env)).join(separator);
    }
    case 'Ref': {
      const name = args as string;
      const type = template.Resources[name]?.Type;
      // Ref gives a function's or bucket's name, but the ARN of a topic or state machine.
      if (type === 'AWS::Lambda::Function') return name;
      if (type === 'AWS::S3::Bucket') return name.toLowerCase();
      return pseudo(name, env) ?? arnFor(name, template, env);
    }
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = args as [string, string];
      if (attribute !== 'Arn' && attribute !== 'Name') throw new Error(`cannot render Fn::GetAtt ${logicalId}.${attribute}`);
      return attribute === 'Name' ? logicalId : arnFor(logicalId, template, env);
    }
    default:
      throw new Error(`cannot render ${fn}`);
  }
}

function pseudo(name: string, env: Required<RenderOptions>): string | undefined {
  switch (name) {
    case 'AWS::Region':
      return env.region;
    case 'AWS::AccountId':
      return env.account;
    case 'AWS::Partition':
      return env.partition;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    default:
      return undefined;
  }
}

function arnFor(logicalId: string, template: CfnTemplate, env: Required<RenderOptions>): string {
  const type = template.Resources[logicalId]?.Type;
  const prefix = `arn:${env.partition}`;
  switch (type) {
    case 'AWS::Lambda::Function':
      return `${prefix}:lambda:${env.region}:${env.account}:function:${logicalId}`;
    case 'AWS::StepFunctions::StateMachine':
      return `${prefix}:states:${env.region}:${env.account}:stateMachine:${logicalId}`;
    case 'AWS::SNS::Topic':
      return `${prefix}:sns:${env.region}:${env.account}:${logicalId}`;
    case 'AWS::S3::Bucket':
      return `${prefix}:s3:::${logicalId.toLowerCase()}`;
    default:
      throw new Error(`cannot render a reference to ${logicalId} (${type ?? 'not in the template'})`);
  }
}

/** Every Task state with its body, Map item processors included. */
export function taskStates(definition: AslDefinition): Array<[string, AslState]> {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const processor = state.ItemProcessor ?? state.Iterator;
    const inner = processor ? taskStates(processor) : [];
    return state.Type === 'Task' ? [[name, state] as [string, AslState], ...inner] : inner;
  });
}

/** Task state name -> Resource, Map item processors included. */
export function taskResources(definition: AslDefinition): Map<string, string> {
  return new Map(taskStates(definition).flatMap(([name, state]) => (state.Resource === undefined ? [] : [[name, state.Resource] as [string, string]])));
}
