import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import type { RecoveryConfig } from './config.ts';
import { artifactKeyPatterns, artifactResourcePatterns } from './artifact-access.ts';
import { readOffsetsResultKeys } from './state-machine/read-offsets.ts';
import { mskGroupArn, mskTopicArn, type MskClusterArnParts } from './msk-arns.ts';
import { DEFAULT_SIZING, HANDLER_NAMES, type HandlerName } from './recovery-functions.ts';
import { KAFKA_ACCESS } from './recovery-permissions.ts';

/** cdk-nag v3 names its findings `<pack>::<rule>[<finding>]`. */
const PACK = 'AwsSolutions::';

export interface NagSubjects {
  stack: Stack;
  config: RecoveryConfig;
  cluster: MskClusterArnParts;
  functions: Record<HandlerName, lambda.Function>;
  roles: Record<HandlerName, iam.Role>;
  artifactsBucket: s3.IBucket;
  signingKey: secretsmanager.ISecret;
  stateMachineRole: iam.IRole;
  /** The runbook: CDK attaches its Distributed Map policy (StartExecution on itself) to it. */
  stateMachine: sfn.StateMachine;
  stateMachineName: string;
  starterRole: iam.IRole;
}

/**
 * Every cdk-nag AwsSolutions finding this stack accepts, each on the narrowest construct and
 * with the reason it is acceptable. Anything not listed here fails synthesis.
 */
export function acknowledgeFindings(subjects: NagSubjects): void {
  const { stack, config, cluster, roles } = subjects;
  const ack = (scope: IConstruct, finding: string, reason: string): void => {
    Validations.of(scope).acknowledge({ id: PACK + finding, reason });
  };

  for (const name of HANDLER_NAMES) {
    const role = roles[name];
    ack(subjects.functions[name], 'AwsSolutions-L1',
      'nodejs22.x is the runtime the bundles target (esbuild target node22) and the toolkit is tested on; move to the next LTS runtime together with the test matrix.');
    const kafkaFacing = DEFAULT_SIZING[name].kafkaFacing;
    ack(role, 'AwsSolutions-IAM5[Resource::*]', kafkaFacing
      ? 'Resource "*" only where AWS allows nothing narrower: X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords), ec2:DescribeNetworkInterfaces, and ec2:CreateNetworkInterface, which Lambda checks against the role when it creates the function, before any interface exists; the actions that act on an interface are scoped to network interfaces.'
      : 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, AWS requires Resource "*".');
    for (const pattern of artifactResourcePatterns(name, subjects.stateMachineName)) {
      ack(role, `AwsSolutions-IAM5[Resource::<${logicalId(stack, subjects.artifactsBucket)}.Arn>/${pattern}]`,
        'A run\'s artifact keys start with its execution name, known only at run time; the pattern names this state machine and the one document (or folder) this step reads, writes or, for the approval marker only, deletes (lib/artifact-access.ts).');
    }
    if (kafkaFacing) {
      ack(role, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${cluster.region}:${cluster.account}:network-interface/*]`,
        'Lambda deletes and re-addresses the function\'s network interfaces with its role; their ids are Lambda\'s, not known at deploy time, so the grant covers network interfaces of this account and region only (no other EC2 resource).');
    }
    const access = KAFKA_ACCESS[name];
    if (access && access.dataTopics !== 'none' && config.dataTopicPattern.includes('*')) {
      ack(role, `AwsSolutions-IAM5[Resource::${mskTopicArn(cluster, config.dataTopicPattern)}]`,
        'The topics of the stuck groups are only known during an incident; the pattern stays inside this one cluster (recovery:dataTopicPattern narrows it).');
    }
    if (access && access.sourceGroups !== 'none' && config.sourceGroupPattern.includes('*')) {
      ack(role, `AwsSolutions-IAM5[Resource::${mskGroupArn(cluster, config.sourceGroupPattern)}]`,
        'Diagnose only describes groups (FindCoordinator, DescribeGroups); which groups are stuck is known only during an incident, and the pattern stays inside this cluster.');
    }
    if (access && access.targetGroups !== 'none' && config.targetGroupPattern.includes('*')) {
      ack(role, `AwsSolutions-IAM5[Resource::${mskGroupArn(cluster, config.targetGroupPattern)}]`,
        'Target groups are new groups named at run time (<source>-recovered-<n>); access is limited to names matching recovery:targetGroupPattern.');
    }
  }
  ack(roles.diagnose, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${cluster.region}:${cluster.account}:log-group:${config.brokerLogGroupName}:*]`,
    'FilterLogEvents is authorized on the log group ARN with its ":*" suffix; this is the broker log group of this cluster only.');

  for (const name of ['diagnose', 'blast-radius', 'read-offsets', 'plan-target', 'request-approval', 'seed-offsets', 'verify', 'report', 'notify-failure'] as const) {
    ack(subjects.stateMachineRole, `AwsSolutions-IAM5[Resource::<${logicalId(stack, subjects.functions[name])}.Arn>:*]`,
      'CDK grants lambda:InvokeFunction on the function and its versions (":*"); the state machine invokes only its own step functions.');
  }
  ack(subjects.stateMachineRole, `AwsSolutions-IAM5[Resource::<${logicalId(stack, subjects.artifactsBucket)}.Arn>/${artifactKeyPatterns(subjects.stateMachineName, ['shards/*'])[0]}]`,
    'The shard segments\' Distributed Map reads its items and writes its results under a run\'s shard-scan keys, named by the execution at run time; the pattern names this state machine and the shards/ folder only.');
  // CDK's own policy for a Distributed Map: StartExecution on this machine, Describe/Stop/Redrive on its executions.
  const mapRunPolicy = subjects.stateMachine.node.findChild('DistributedMapPolicy');
  const executions = `arn:<AWS::Partition>:states:${cluster.region}:${cluster.account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId(stack, subjects.stateMachine)}"}]}]}`;
  ack(mapRunPolicy, `AwsSolutions-IAM5[Resource::${executions}:*]`,
    'A map run describes and stops the child executions it started; their names are generated at run time, and the ARN pattern is this state machine\'s executions only.');
  ack(mapRunPolicy, `AwsSolutions-IAM5[Resource::${executions}/ShardSegments:*]`,
    'Redriving a map run restarts its own child executions (label ShardSegments) of this state machine only.');
  ack(subjects.stateMachineRole, 'AwsSolutions-IAM5[Resource::*]',
    'X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and related) support no resource-level permissions.');
  ack(subjects.stateMachineRole, `AwsSolutions-IAM5[Resource::<${logicalId(stack, subjects.artifactsBucket)}.Arn>/${readOffsetsResultKeys(subjects.stateMachineName)}]`,
    'The ReadOffsets Distributed Map writes its result files under the run\'s own prefix, whose execution name is known only at run time; the pattern names this state machine and the read-offsets/map-run folder only.');
  ack(mapRunPolicy, `AwsSolutions-IAM5[Resource::${executions}/*:*]`,
    'Redriving the ReadOffsets map run (no label) restarts its own child executions of this state machine only.');
  ack(subjects.starterRole, 'AwsSolutions-IAM5[Resource::*]',
    'X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and related) support no resource-level permissions.');

  ack(subjects.signingKey, 'AwsSolutions-SMG4',
    'Rotating the link signing key invalidates every outstanding approval link; rotate it by hand between incidents (README "Approve or reject").');
}

function logicalId(stack: Stack, construct: IConstruct): string {
  const element = construct.node.defaultChild as CfnElement;
  return stack.resolve(element.logicalId) as string;
}
