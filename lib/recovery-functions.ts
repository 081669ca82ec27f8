import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { networkInterfaceStatements } from './network-interface-permissions.ts';

/** One Lambda per workflow step; each is `lambdas/handlers/<name>.ts` exporting `handler`. */
export const HANDLER_NAMES = [
  'diagnose',
  'blast-radius',
  'read-offsets',
  'plan-target',
  'request-approval',
  'approval-endpoint',
  'seed-offsets',
  'verify',
  'report',
  'notify-failure',
  'shard-canary',
] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

export interface HandlerSizing {
  /** Runs in the cluster's VPC because it speaks the Kafka protocol to the brokers. */
  kafkaFacing: boolean;
  timeout: Duration;
  memorySize: number;
  description: string;
}

/**
 * Scans of a __consumer_offsets partition read the whole retained log and are the slow steps;
 * control-plane and notification steps are short and small.
 */
export const DEFAULT_SIZING: Record<HandlerName, HandlerSizing> = {
  diagnose: { kafkaFacing: true, timeout: Duration.minutes(5), memorySize: 512, description: 'Broker-log search and live coordinator check' },
  // 1769 MB is one full vCPU: the replay is CPU-bound once the fetches are 8 MiB.
  'blast-radius': { kafkaFacing: true, timeout: Duration.minutes(15), memorySize: 1769, description: 'One pass over a failed __consumer_offsets partition: every group\'s offsets to S3, resumable' },
  'read-offsets': { kafkaFacing: true, timeout: Duration.minutes(5), memorySize: 512, description: 'One group\'s offsets from its shard scan in S3, with the completeness check' },
  'plan-target': { kafkaFacing: true, timeout: Duration.minutes(5), memorySize: 512, description: 'Choose target groups on healthy coordinators and write the plan' },
  'request-approval': { kafkaFacing: false, timeout: Duration.minutes(1), memorySize: 256, description: 'Publish the plan and the signed approval link' },
  'approval-endpoint': { kafkaFacing: false, timeout: Duration.seconds(30), memorySize: 256, description: 'Show the plan and take approve or reject by POST' },
  'seed-offsets': { kafkaFacing: true, timeout: Duration.minutes(5), memorySize: 512, description: 'Commit the approved offsets to the target groups' },
  verify: { kafkaFacing: true, timeout: Duration.minutes(5), memorySize: 512, description: 'Fetch the target groups\' offsets and compare them with the plan' },
  report: { kafkaFacing: false, timeout: Duration.minutes(1), memorySize: 256, description: 'Write and publish the recovery report' },
  'notify-failure': { kafkaFacing: false, timeout: Duration.seconds(30), memorySize: 256, description: 'Publish why the run failed' },
  'shard-canary': { kafkaFacing: true, timeout: Duration.seconds(50), memorySize: 256, description: 'Probe every __consumer_offsets shard and publish how many are FAILED' },
};

export interface KafkaNetwork {
  vpc: ec2.IVpc;
  subnets: ec2.ISubnet[];
  securityGroup: ec2.ISecurityGroup;
}

export interface RecoveryFunctionsProps {
  /** Where the Kafka-facing functions run; the others stay outside the VPC. */
  network: KafkaNetwork;
  /** Variables every function receives. */
  environment?: Record<string, string>;
  /** Variables for single functions, merged over `environment`. */
  functionEnvironment?: Partial<Record<HandlerName, Record<string, string>>>;
  logRetention?: logs.RetentionDays;
  /** Reserved concurrency per function (caps it and keeps that much for it); default none. */
  reservedConcurrency?: Partial<Record<HandlerName, number>>;
  /** Per-function overrides of timeout and memory. */
  sizing?: Partial<Record<HandlerName, Partial<Pick<HandlerSizing, 'timeout' | 'memorySize'>>>>;
  /** default: lambdas/handlers of this repository. */
  handlersDir?: string;
  /** default: this repository (package-lock.json is the dependency lock). */
  projectRoot?: string;
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLERS_DIR = fileURLToPath(new URL('../lambdas/handlers/', import.meta.url));

/**
 * kafkajs and some SDK internals call `require` at run time; an ESM bundle has no `require`
 * unless one is made from the module URL.
 */
const ESM_REQUIRE_BANNER = "import { createRequire as __recoveryCreateRequire } from 'node:module'; const require = __recoveryCreateRequire(import.meta.url);";

/** How every handler is bundled: local esbuild, one self-contained ESM file with a source map. */
export const RECOVERY_BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  sourceMap: true,
  sourcesContent: false,
  minify: true,
  keepNames: true,
  // The runtime's SDK is not on the ESM resolution path, and some dependencies need @aws-sdk packages it lacks.
  bundleAwsSDK: true,
};

/** The source file of one handler. */
export function handlerEntry(name: HandlerName, handlersDir: string = HANDLERS_DIR): string {
  return `${handlersDir}${handlersDir.endsWith('/') ? '' : '/'}${name}.ts`;
}

export class RecoveryFunctions extends Construct {
  readonly functions: Record<HandlerName, NodejsFunction>;
  readonly roles: Record<HandlerName, iam.Role>;

  constructor(scope: Construct, id: string, props: RecoveryFunctionsProps) {
    super(scope, id);
    const functions = {} as Record<HandlerName, NodejsFunction>;
    const roles = {} as Record<HandlerName, iam.Role>;
    const handlersDir = props.handlersDir ?? HANDLERS_DIR;
    const projectRoot = props.projectRoot ?? REPO_ROOT;

    for (const name of HANDLER_NAMES) {
      const sizing = { ...DEFAULT_SIZING[name], ...props.sizing?.[name] };
      const constructId = pascalCase(name);
      const logGroup = new logs.LogGroup(this, `${constructId}Logs`, {
        retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      const role = new iam.Role(this, `${constructId}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `coordinator-recovery ${name} Lambda`,
      });
      // Written out instead of AWSLambdaBasicExecutionRole so the function can write only to its own log group.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      const network = sizing.kafkaFacing ? props.network : undefined;
      if (network) {
        for (const statement of networkInterfaceStatements(this)) role.addToPrincipalPolicy(statement);
      }
      const fn = new NodejsFunction(this, constructId, {
        entry: handlerEntry(name, handlersDir),
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        description: sizing.description,
        timeout: sizing.timeout,
        memorySize: sizing.memorySize,
        role,
        logGroup,
        tracing: lambda.Tracing.ACTIVE,
        ...(props.reservedConcurrency?.[name] !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency[name] } : {}),
        projectRoot,
        depsLockFilePath: `${projectRoot}${projectRoot.endsWith('/') ? '' : '/'}package-lock.json`,
        environment: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'coordinator-recovery',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          RECOVERY_STEP: name,
          ...props.environment,
          ...props.functionEnvironment?.[name],
        },
        bundling: RECOVERY_BUNDLING,
        ...(network
          ? { vpc: network.vpc, vpcSubnets: { subnets: network.subnets }, securityGroups: [network.securityGroup] }
          : {}),
      });
      functions[name] = fn;
      roles[name] = role;
    }
    this.functions = functions;
    this.roles = roles;
  }

  /** The functions that run in the cluster's VPC and speak the Kafka protocol. */
  kafkaFacing(): NodejsFunction[] {
    return HANDLER_NAMES.filter((name) => DEFAULT_SIZING[name].kafkaFacing).map((name) => this.functions[name]);
  }
}

function pascalCase(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
