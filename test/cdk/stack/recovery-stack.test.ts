import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { EXAMPLE_CONFIG } from '../../../lib/config.ts';
import { COORDINATOR_FAILURE_PHRASES } from '../../../lambdas/core/workflow/log-phrases.ts';
import { DEFAULT_SIZING, HANDLER_NAMES } from '../../../lib/recovery-functions.ts';
import { matchesFilter, parseFilterPattern } from '../../../local/aws/filter-pattern.ts';
import { coordinatorLogLines } from '../../../local/kafka/coordinator/log-lines.ts';
import { resourcesOfType, synthesize, type Synthesized } from '../helpers.ts';

const CLUSTER = 'orders-prod/6e1f8c2a-0b7d-4a1e-9d3c-5f2b8e7a1c40-3';
const KAFKA_PREFIX = 'arn:aws:kafka:eu-west-1:123456789012:';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Sid?: string };

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
}, 120_000);
afterAll(() => synth?.dispose());

/** Lambda logical id by handler name, found through the RECOVERY_STEP variable each function carries. */
function functionsByStep(): Map<string, { id: string; props: Record<string, unknown> }> {
  const map = new Map<string, { id: string; props: Record<string, unknown> }>();
  for (const [id, props] of resourcesOfType(synth.json, 'AWS::Lambda::Function')) {
    const variables = (props['Environment'] as { Variables: Record<string, unknown> }).Variables;
    map.set(String(variables['RECOVERY_STEP']), { id, props });
  }
  return map;
}

/** Policy statements by the handler whose role they are attached to. */
function statementsByStep(): Map<string, Statement[]> {
  const roleToStep = new Map<string, string>();
  for (const [step, { props }] of functionsByStep()) {
    const role = props['Role'] as { 'Fn::GetAtt': [string, string] };
    roleToStep.set(role['Fn::GetAtt'][0], step);
  }
  const result = new Map<string, Statement[]>();
  for (const [, props] of resourcesOfType(synth.json, 'AWS::IAM::Policy')) {
    const roles = (props['Roles'] as { Ref: string }[]).map((role) => role.Ref);
    const step = roles.map((role) => roleToStep.get(role)).find((name) => name !== undefined);
    if (!step) continue;
    const statements = (props['PolicyDocument'] as { Statement: Statement[] }).Statement;
    result.set(step, [...(result.get(step) ?? []), ...statements]);
  }
  return result;
}

function allStatements(): Statement[] {
  return resourcesOfType(synth.json, 'AWS::IAM::Policy').flatMap(([, props]) => (props['PolicyDocument'] as { Statement: Statement[] }).Statement);
}

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe('Lambda functions', () => {
  it('has one function per handler, nodejs22.x on arm64 with active tracing', () => {
    const steps = functionsByStep();
    expect([...steps.keys()].sort()).toEqual([...HANDLER_NAMES].sort());
    for (const { props } of steps.values()) {
      expect(props['Runtime']).toBe('nodejs22.x');
      expect(props['Architectures']).toEqual(['arm64']);
      expect(props['Handler']).toBe('index.handler');
      expect(props['TracingConfig']).toEqual({ Mode: 'Active' });
    }
  });

  it('puts the Kafka-facing functions in the cluster subnets and security group, and the others outside the VPC', () => {
    const inVpc: string[] = [];
    for (const [step, { props }] of functionsByStep()) {
      const vpcConfig = props['VpcConfig'] as { SubnetIds: string[]; SecurityGroupIds: string[] } | undefined;
      if (vpcConfig) {
        inVpc.push(step);
        expect(vpcConfig.SubnetIds).toEqual(EXAMPLE_CONFIG.subnetIds);
        expect(vpcConfig.SecurityGroupIds).toEqual([EXAMPLE_CONFIG.securityGroupId]);
      }
    }
    expect(inVpc.sort()).toEqual(['blast-radius', 'diagnose', 'plan-target', 'read-offsets', 'seed-offsets', 'shard-canary', 'verify']);
    expect(inVpc.sort()).toEqual(HANDLER_NAMES.filter((name) => DEFAULT_SIZING[name].kafkaFacing).sort());
  });

  it('sizes the scans larger and longer than the notifications', () => {
    const steps = functionsByStep();
    expect(steps.get('blast-radius')!.props['Timeout']).toBe(900);
    // A full vCPU for the one-pass replay.
    expect(steps.get('blast-radius')!.props['MemorySize']).toBe(1769);
    expect(steps.get('read-offsets')!.props['MemorySize']).toBeGreaterThan(steps.get('report')!.props['MemorySize'] as number);
    expect(steps.get('notify-failure')!.props['Timeout']).toBeLessThanOrEqual(60);
  });

  it('gives each function the environment lambdas/handlers/env.ts documents', () => {
    const steps = functionsByStep();
    const env = (step: string): Record<string, unknown> => (steps.get(step)!.props['Environment'] as { Variables: Record<string, unknown> }).Variables;
    for (const step of HANDLER_NAMES) {
      expect(env(step)['CLUSTER_ARN']).toBe(EXAMPLE_CONFIG.clusterArn);
      expect(env(step)['ARTIFACTS_BUCKET']).toEqual({ Ref: expect.stringMatching(/^ArtifactsBucket/) });
      expect(env(step)['ARTIFACTS_KMS_KEY_ID']).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    }
    for (const step of ['diagnose', 'blast-radius', 'read-offsets', 'plan-target', 'seed-offsets', 'verify']) {
      expect(env(step)['AUTH_MODE']).toBe('iam');
    }
    expect(env('request-approval')).toMatchObject({
      APPROVAL_TOPIC_ARN: { Ref: expect.stringMatching(/^ApprovalTopic/) },
      APPROVAL_ENDPOINT_URL: { 'Fn::GetAtt': [expect.stringMatching(/^FunctionsApprovalEndpoint.*Url/), 'FunctionUrl'] },
      APPROVAL_LINK_TTL_SECONDS: '86400',
      STATE_MACHINE_ARN: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:eu-west-1:123456789012:stateMachine:CoordinatorRecovery-runbook']] },
      APPROVAL_SIGNING_SECRET_ARN: { Ref: expect.stringMatching(/^ApprovalLinkSigningKey/) },
    });
    expect(env('approval-endpoint')['STATE_MACHINE_ARN']).toEqual(env('request-approval')['STATE_MACHINE_ARN']);
    expect(env('diagnose')['DEFAULT_LOOKBACK_MINUTES']).toBe('120');
    // Diagnose searches the group its IAM statement names, not whatever the cluster reports.
    expect(env('diagnose')['BROKER_LOG_GROUP']).toBe(EXAMPLE_CONFIG.brokerLogGroupName);
    for (const step of ['diagnose', 'plan-target']) expect(env(step)['TARGET_GROUP_PATTERN']).toBe(EXAMPLE_CONFIG.targetGroupPattern);
    expect(env('report')['APPROVAL_TOPIC_ARN']).toBeDefined();
    expect(env('notify-failure')['APPROVAL_TOPIC_ARN']).toBeDefined();
  });

  it('serves the approval endpoint through a function URL on approval-endpoint only', () => {
    const urls = resourcesOfType(synth.json, 'AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    const [, url] = urls[0]!;
    expect(url['AuthType']).toBe('NONE');
    expect(url['TargetFunctionArn']).toEqual({ 'Fn::GetAtt': [functionsByStep().get('approval-endpoint')!.id, 'Arn'] });
    // approvalMode link (the default): no IAM URL, no alias, no approvers' policy.
    expect(resourcesOfType(synth.json, 'AWS::Lambda::Alias')).toEqual([]);
    expect(resourcesOfType(synth.json, 'AWS::IAM::ManagedPolicy').filter(([id]) => id.includes('ApproversPolicy'))).toEqual([]);
  });

  it('caps the public approval endpoint with reserved concurrency and no other function', () => {
    const capped = [...functionsByStep()].filter(([, { props }]) => props['ReservedConcurrentExecutions'] !== undefined);
    expect(capped.map(([step, { props }]) => [step, props['ReservedConcurrentExecutions']])).toEqual([['approval-endpoint', EXAMPLE_CONFIG.approvalEndpointConcurrency]]);
    expect(EXAMPLE_CONFIG.approvalEndpointConcurrency).toBe(5);
  });
});

describe('IAM', () => {
  it('grants no action with a wildcard in any identity policy', () => {
    const actions = allStatements().flatMap((statement) => asList(statement.Action));
    expect(actions.length, 'the walk sees the policies').toBeGreaterThan(50);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    // CDK can also inline policies into roles; there must be none that this test does not see.
    expect(resourcesOfType(synth.json, 'AWS::IAM::Role').filter(([, role]) => role['Policies'] !== undefined)).toEqual([]);
  });

  it('allows wildcard actions in resource policies only in the KMS key\'s own administration statements', () => {
    const wildcardAllows: Array<{ type: string; actions: string[]; condition: unknown }> = [];
    for (const [, resource] of Object.entries(synth.json.Resources)) {
      const document = (resource.Properties?.['KeyPolicy'] ?? (resource.Type === 'AWS::IAM::Policy' ? undefined : resource.Properties?.['PolicyDocument'])) as { Statement: Statement[] } | undefined;
      for (const statement of document?.Statement ?? []) {
        const actions = asList(statement.Action);
        // Deny statements (SSL-only) restrict; a wildcard there narrows access.
        if (statement.Effect === 'Allow' && actions.some((action) => action.includes('*'))) {
          wildcardAllows.push({ type: resource.Type, actions, condition: (statement as { Condition?: unknown }).Condition });
        }
      }
    }
    // The account's own administration of the key (without it the key cannot be managed),
    // Secrets Manager's use of it for the signing key, limited by kms:ViaService, and EventBridge
    // encrypting the run-end notices it publishes to the topic (CDK's SnsTopic target adds it), and
    // CloudWatch publishing the runbook's alarms to it.
    expect(wildcardAllows).toEqual([
      { type: 'AWS::KMS::Key', actions: ['kms:*'], condition: undefined },
      { type: 'AWS::KMS::Key', actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } } },
      { type: 'AWS::KMS::Key', actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], condition: undefined },
      // CloudWatch alarms of this account sending to the encrypted topic (lib/observability.ts).
      { type: 'AWS::KMS::Key', actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } },
    ]);
  });

  it('uses Resource "*" only for actions that have no resource-level permissions', () => {
    const allowed = new Set([
      // Lambda's network interfaces: Describe works only on "*", Create is checked when the function is created.
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ]);
    for (const statement of allStatements()) {
      if (!asList(statement.Resource).includes('*')) continue;
      for (const action of asList(statement.Action)) expect(allowed, `${action} on *`).toContain(action);
    }
  });

  it('scopes the MSK data-plane actions to the cluster, __consumer_offsets and the group patterns', () => {
    const byStep = statementsByStep();
    const kafka = (step: string): Array<{ action: string; resource: string }> =>
      (byStep.get(step) ?? []).flatMap((statement) =>
        asList(statement.Action)
          .filter((action) => action.startsWith('kafka-cluster:'))
          .flatMap((action) => asList(statement.Resource as string).map((resource) => ({ action, resource }))),
      );
    const cluster = `${KAFKA_PREFIX}cluster/${CLUSTER}`;
    const offsets = `${KAFKA_PREFIX}topic/${CLUSTER}/__consumer_offsets`;
    const topics = `${KAFKA_PREFIX}topic/${CLUSTER}/*`;
    const targets = `${KAFKA_PREFIX}group/${CLUSTER}/*-recovered-*`;
    const sources = `${KAFKA_PREFIX}group/${CLUSTER}/*`;

    for (const step of ['diagnose', 'blast-radius', 'read-offsets', 'plan-target', 'seed-offsets', 'verify']) {
      expect(kafka(step)).toContainEqual({ action: 'kafka-cluster:Connect', resource: cluster });
      for (const { resource } of kafka(step)) expect(resource.startsWith(KAFKA_PREFIX)).toBe(true);
    }
    for (const step of ['request-approval', 'approval-endpoint', 'report', 'notify-failure']) expect(kafka(step)).toEqual([]);

    expect(kafka('blast-radius')).toContainEqual({ action: 'kafka-cluster:ReadData', resource: offsets });
    // ReadOffsets reads the shard scan's result from S3, never __consumer_offsets itself.
    expect(kafka('read-offsets')).not.toContainEqual({ action: 'kafka-cluster:ReadData', resource: offsets });
    expect(kafka('diagnose')).toContainEqual({ action: 'kafka-cluster:DescribeGroup', resource: sources });
    expect(kafka('seed-offsets')).toContainEqual({ action: 'kafka-cluster:AlterGroup', resource: targets });
    expect(kafka('seed-offsets')).toContainEqual({ action: 'kafka-cluster:ReadData', resource: topics });

    // Only SeedOffsets writes, and only to groups with the target prefix.
    const alters = [...byStep.keys()].flatMap((step) => kafka(step).filter((grant) => grant.action === 'kafka-cluster:AlterGroup').map((grant) => ({ step, ...grant })));
    expect(alters).toEqual([{ step: 'seed-offsets', action: 'kafka-cluster:AlterGroup', resource: targets }]);
    // Nothing may read data from application topics before approval.
    const dataReads = [...byStep.keys()].flatMap((step) => kafka(step).filter((grant) => grant.action === 'kafka-cluster:ReadData' && grant.resource !== offsets).map(() => step));
    expect(dataReads).toEqual(['seed-offsets']);
  });

  it('scopes the MSK control plane, the broker logs, the topic, the secret and the task answers', () => {
    const byStep = statementsByStep();
    const find = (step: string, action: string): Statement | undefined => byStep.get(step)?.find((statement) => asList(statement.Action).includes(action));
    for (const step of ['diagnose', 'blast-radius', 'read-offsets', 'plan-target', 'seed-offsets', 'verify']) {
      expect(find(step, 'kafka:GetBootstrapBrokers')?.Resource).toBe(EXAMPLE_CONFIG.clusterArn);
      expect(asList(find(step, 'kafka:ListNodes')!.Action)).toEqual(['kafka:DescribeClusterV2', 'kafka:ListNodes', 'kafka:GetBootstrapBrokers']);
    }
    expect(find('report', 'kafka:GetBootstrapBrokers')).toBeUndefined();

    expect(find('diagnose', 'logs:FilterLogEvents')?.Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:/aws/msk/orders-prod/broker:*']],
    });
    for (const step of HANDLER_NAMES.filter((name) => name !== 'diagnose')) expect(find(step, 'logs:FilterLogEvents')).toBeUndefined();

    for (const step of ['request-approval', 'report', 'notify-failure']) {
      expect(find(step, 'sns:Publish')?.Resource).toEqual({ Ref: expect.stringMatching(/^ApprovalTopic/) });
    }
    expect(find('seed-offsets', 'sns:Publish')).toBeUndefined();

    const answer = find('approval-endpoint', 'states:SendTaskSuccess')!;
    expect(asList(answer.Action).sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess']);
    expect(answer.Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:eu-west-1:123456789012:stateMachine:CoordinatorRecovery-runbook']],
    });
    for (const step of HANDLER_NAMES.filter((name) => name !== 'approval-endpoint')) expect(find(step, 'states:SendTaskSuccess')).toBeUndefined();

    for (const step of HANDLER_NAMES) expect(find(step, 'kms:Decrypt')?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
  });

  it('lets the state machine write only the ReadOffsets result files of its own runs, and list the bucket for the items', () => {
    const runbookPolicies = resourcesOfType(synth.json, 'AWS::IAM::Policy').filter(([id]) => id.startsWith('RunbookStateMachine'));
    const statements = runbookPolicies.flatMap(([, props]) => (props['PolicyDocument'] as { Statement: Statement[] }).Statement);
    const mapRunKeys = (statement: Statement): boolean => JSON.stringify(statement.Resource).includes('/read-offsets/');
    const objectGrants = statements.filter((statement) => asList(statement.Action).some((action) => action.startsWith('s3:') && action !== 's3:ListBucket') && mapRunKeys(statement));
    expect(objectGrants).toHaveLength(1);
    const [bucket, key] = (objectGrants[0]!.Resource as { 'Fn::Join': [string, [{ 'Fn::GetAtt': [string, string] }, string]] })['Fn::Join'][1];
    expect(bucket['Fn::GetAtt'][0]).toMatch(/^ArtifactsBucket/);
    expect(key).toBe('/executions/CoordinatorRecovery-runbook/*/read-offsets/map-run/*');
    expect(asList(objectGrants[0]!.Action).sort()).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject']);
    const listing = statements.filter((statement) => asList(statement.Action).includes('s3:ListBucket'));
    expect(listing.map((statement) => (statement.Resource as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0])).toEqual([expect.stringMatching(/^ArtifactsBucket/)]);
  });

  it('gives each role its own artifact keys: a step reads, writes and deletes only the documents it uses', () => {
    const statements = statementsByStep();
    /** "Get plan.json" style lines for every S3 object grant of a step, keys relative to the run's prefix. */
    const s3Grants = (step: string): string[] =>
      (statements.get(step) ?? [])
        .filter((statement) => asList(statement.Action).some((action) => action.startsWith('s3:') && action !== 's3:ListBucket'))
        .flatMap((statement) =>
          asList(statement.Action).flatMap((action) =>
            asList(statement.Resource as unknown).map((resource) => {
              const [bucket, key] = (resource as { 'Fn::Join': [string, [{ 'Fn::GetAtt': [string, string] }, string]] })['Fn::Join'][1];
              expect(bucket['Fn::GetAtt'][0]).toMatch(/^ArtifactsBucket/);
              expect(key.startsWith('/executions/CoordinatorRecovery-runbook/*/'), `${step} ${action} ${key}`).toBe(true);
              return `${action.replace('s3:', '').replace('Object', '')} ${key.replace('/executions/CoordinatorRecovery-runbook/*/', '')}`;
            }),
          ),
        )
        .sort();
    expect(s3Grants('diagnose')).toEqual([]);
    expect(s3Grants('blast-radius')).toEqual(['Get shards/*', 'Put blast-radius/*', 'Put groups/*', 'Put shards/*']);
    expect(s3Grants('read-offsets')).toEqual(['Get groups/*', 'Put read-offsets/*']);
    expect(s3Grants('plan-target')).toEqual(['Get read-offsets/*', 'Put plan.json']);
    expect(s3Grants('request-approval')).toEqual(['Get blast-radius/*', 'Get plan.json', 'Put approval-request.json']);
    expect(s3Grants('approval-endpoint')).toEqual([
      'Delete approval-consumed/*',
      'Delete approvals/*',
      'Get approval-consumed/*',
      'Get approval-request.json',
      'Get approvals/*',
      'Get plan.json',
      'Put approval-consumed/*',
      'Put approval-decision-*',
      'Put approvals/*',
    ]);
    expect(s3Grants('seed-offsets')).toEqual(['Get approval.json', 'Get plan.json', 'Put approval.json', 'Put seed-result.json']);
    expect(s3Grants('verify')).toEqual(['Get plan.json', 'Put verify-result.json']);
    expect(s3Grants('report')).toEqual(['Get blast-radius/*', 'Get plan.json', 'Get seed-result.json', 'Get verify-result.json', 'Put result.json']);
    expect(s3Grants('notify-failure')).toEqual(['Put failure.json']);
    // Listing only where a missing key must read as 404, not 403.
    const listers = HANDLER_NAMES.filter((step) => (statements.get(step) ?? []).some((st) => asList(st.Action).includes('s3:ListBucket')));
    expect(listers).toEqual(['blast-radius', 'read-offsets', 'plan-target', 'request-approval', 'approval-endpoint', 'seed-offsets', 'verify', 'report']);
    const deletes = allStatements().filter((statement) => asList(statement.Action).some((action) => action.startsWith('s3:Delete')));
    expect(deletes.map((statement) => statement.Sid), 'only the approval endpoint deletes, and only its markers').toEqual(['ReopenUndeliveredApprovalLinks']);
  });

  it('scopes every kafka: action to the cluster and every logs: action of a function to its own log group or the broker logs', () => {
    for (const statement of allStatements()) {
      if (asList(statement.Action).some((action) => action.startsWith('kafka:'))) expect(statement.Resource).toBe(EXAMPLE_CONFIG.clusterArn);
    }
    const brokerLogs = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:/aws/msk/orders-prod/broker:*']] };
    for (const [step, { props }] of functionsByStep()) {
      const ownLogs = { 'Fn::GetAtt': [(props['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup.Ref, 'Arn'] };
      const logGrants = (statementsByStep().get(step) ?? []).filter((statement) => asList(statement.Action).some((action) => action.startsWith('logs:')));
      expect(logGrants.length, `${step} writes its logs`).toBeGreaterThan(0);
      for (const statement of logGrants) expect([ownLogs, brokerLogs], `${step} logs: resource`).toContainEqual(statement.Resource);
    }
  });

  it('lets the shard segments\' map run start children of this machine only and touch only the runs\' shard keys', () => {
    const [machineId] = resourcesOfType(synth.json, 'AWS::StepFunctions::StateMachine').find(([, props]) => props['StateMachineName'] === 'CoordinatorRecovery-runbook')!;
    const machineRole = (resourcesOfType(synth.json, 'AWS::StepFunctions::StateMachine').find(([id]) => id === machineId)![1]['RoleArn'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = resourcesOfType(synth.json, 'AWS::IAM::Policy')
      .filter(([, props]) => (props['Roles'] as { Ref: string }[]).some((role) => role.Ref === machineRole))
      .flatMap(([, props]) => (props['PolicyDocument'] as { Statement: Statement[] }).Statement);
    const start = statements.filter((statement) => asList(statement.Action).includes('states:StartExecution'));
    expect(start).toEqual([expect.objectContaining({ Resource: { Ref: machineId } })]);
    const s3 = statements.filter((statement) => asList(statement.Action).some((action) => action.startsWith('s3:')));
    expect(s3.length).toBeGreaterThan(0);
    const bucketId = resourcesOfType(synth.json, 'AWS::S3::Bucket').find(([id]) => id.startsWith('ArtifactsBucket'))![0];
    // Objects: the runs' shard keys (segments) and ReadOffsets' result files; listing the bucket: ReadOffsets' items.
    const runKeys = (folder: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/executions/CoordinatorRecovery-runbook/*/${folder}`]] });
    for (const statement of s3) {
      if (asList(statement.Action).includes('s3:ListBucket')) expect(statement).toMatchObject({ Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] } });
      else expect([runKeys('shards/*'), runKeys('read-offsets/map-run/*')]).toContainEqual(statement.Resource);
      expect(asList(statement.Action).every((action) => !action.includes('*'))).toBe(true);
    }
  });

  it('gives the VPC functions the ENI actions Lambda needs instead of AWSLambdaVPCAccessExecutionRole, and no role a managed policy', () => {
    expect(resourcesOfType(synth.json, 'AWS::IAM::Role').filter(([, role]) => role['ManagedPolicyArns'] !== undefined)).toEqual([]);
    const interfaces = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:123456789012:network-interface/*']] };
    for (const [step, statements] of statementsByStep()) {
      const ec2 = statements.filter((statement) => asList(statement.Action).some((action) => action.startsWith('ec2:')));
      if (!DEFAULT_SIZING[step as keyof typeof DEFAULT_SIZING].kafkaFacing) {
        expect(ec2, `${step} is outside the VPC`).toEqual([]);
        continue;
      }
      expect(ec2.map((statement) => ({ actions: asList(statement.Action).sort(), resource: statement.Resource })), step).toEqual([
        { actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces'], resource: '*' },
        { actions: ['ec2:AssignPrivateIpAddresses', 'ec2:DeleteNetworkInterface', 'ec2:UnassignPrivateIpAddresses'], resource: interfaces },
      ]);
    }
  });

  it('names the state machine the approval policy points at', () => {
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'CoordinatorRecovery-runbook' });
  });
});

describe('storage, approval channel and alarm trigger', () => {
  it('encrypts the artifacts bucket with the stack key, blocks public access, enforces SSL, versions, expires and logs access', () => {
    synth.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^ArtifactsAccessLogs') } },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 365 }, Status: 'Enabled' })]) },
    });
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^ArtifactsBucket') },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    synth.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    // Access logs arrive through a bucket policy for the logging service, not an ACL.
    const [logsId, logsBucket] = resourcesOfType(synth.json, 'AWS::S3::Bucket').find(([id]) => id.startsWith('ArtifactsAccessLogs'))!;
    expect(logsBucket['AccessControl']).toBeUndefined();
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logsId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' })]) },
    });
  });

  it('encrypts the approval topic, subscribes the approver and keeps the signing key in Secrets Manager', () => {
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
    synth.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: EXAMPLE_CONFIG.approverEmail });
    synth.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
  });

  it('counts both coordinator generations\' failure phrases on the broker log group and alarms on the first one', () => {
    const [, filter] = resourcesOfType(synth.json, 'AWS::Logs::MetricFilter')[0]!;
    expect(filter['LogGroupName']).toBe(EXAMPLE_CONFIG.brokerLogGroupName);
    for (const phrase of COORDINATOR_FAILURE_PHRASES) expect(filter['FilterPattern']).toContain(`"${phrase}"`);
    expect(filter['FilterPattern']).toBe(COORDINATOR_FAILURE_PHRASES.map((phrase) => `?"${phrase}"`).join(' '));
    // Evaluated as CloudWatch Logs does (the stand-in's matcher), on the lines brokers of both generations print.
    const pattern = parseFilterPattern(filter['FilterPattern'] as string);
    const conflict = { group: 'billing', topic: 'orders', partition: 0, offset: 10n, leaderEpoch: 3, metadata: '', commitTimestamp: 1n, logOffset: 7n, producerId: -1n, producerEpoch: -1 };
    const [replaying, failed] = coordinatorLogLines({ mode: 'epoch-conflict', brokerId: 2, partition: 7, epoch: 4, conflict });
    const [legacy] = coordinatorLogLines({ mode: 'legacy', brokerId: 2, partition: 7, epoch: 4, conflict: null });
    expect(matchesFilter(pattern, failed!.message)).toBe(true);
    expect(matchesFilter(pattern, legacy!.message)).toBe(true);
    // The replay line precedes the failure line; counting it too would double the alarm metric.
    expect(matchesFilter(pattern, replaying!.message)).toBe(false);
    expect(matchesFilter(pattern, '[GroupCoordinator id=2] Finished loading offsets and group metadata from __consumer_offsets-7 in 12 milliseconds')).toBe(false);
    const transformation = (filter['MetricTransformations'] as Record<string, unknown>[])[0]!;
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'CoordinatorRecovery-coordinator-load-failures',
      MetricName: transformation['MetricName'],
      Namespace: transformation['MetricNamespace'],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('publishes a notice to the topic for every run that ends FAILED, TIMED_OUT or ABORTED, whatever the runbook caught', () => {
    const [runbookId] = resourcesOfType(synth.json, 'AWS::StepFunctions::StateMachine').find(([, props]) => props['StateMachineName'] !== undefined)!;
    const [, rule] = resourcesOfType(synth.json, 'AWS::Events::Rule').find(([, props]) => (props['EventPattern'] as { source?: string[] } | undefined)?.source?.[0] === 'aws.states')!;
    expect(rule['EventPattern']).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [{ Ref: runbookId }], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
    const [target] = rule['Targets'] as Record<string, unknown>[];
    const [topicId] = resourcesOfType(synth.json, 'AWS::SNS::Topic')[0]!;
    expect(target!['Arn']).toEqual({ Ref: topicId });
    const transformer = target!['InputTransformer'] as { InputPathsMap: Record<string, string>; InputTemplate: string };
    expect(Object.values(transformer.InputPathsMap).sort()).toEqual(['$.detail.cause', '$.detail.error', '$.detail.executionArn', '$.detail.name', '$.detail.status']);
    expect(transformer.InputTemplate).toContain('ended <detail-status>');
    // EventBridge may publish to the topic and encrypt with its key.
    const [, topicPolicy] = resourcesOfType(synth.json, 'AWS::SNS::TopicPolicy')[0]!;
    expect(JSON.stringify(topicPolicy)).toContain('events.amazonaws.com');
    const [, key] = resourcesOfType(synth.json, 'AWS::KMS::Key')[0]!;
    const keyStatements = (key['KeyPolicy'] as { Statement: { Principal?: { Service?: string }; Action: string | string[] }[] }).Statement;
    expect(keyStatements.filter((st) => st.Principal?.Service === 'events.amazonaws.com').flatMap((st) => st.Action)).toEqual(expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt']));
  });

  it('lets the starter tell the encrypted approval topic that an alarm arrived during a run', () => {
    const [, policy] = resourcesOfType(synth.json, 'AWS::IAM::Policy').find(([id]) => id.startsWith('AlarmTriggerStarterRole'))!;
    const statements = (policy['PolicyDocument'] as { Statement: Statement[] }).Statement;
    const grantOf = (action: string) => statements.find((st) => asList(st.Action).includes(action));
    expect(grantOf('sns:Publish')?.Resource).toEqual({ Ref: expect.stringMatching(/^ApprovalTopic/) });
    expect(grantOf('kms:GenerateDataKey')?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    expect(asList(grantOf('kms:GenerateDataKey')!.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  it('starts the starter state machine on the ALARM state change of the log alarm or the canary alarm, with the window derived from the alarm time', () => {
    const [, rule] = resourcesOfType(synth.json, 'AWS::Events::Rule').find(([, props]) => (props['EventPattern'] as { source?: string[] } | undefined)?.source?.[0] === 'aws.cloudwatch')!;
    const alarmIds = Object.fromEntries(resourcesOfType(synth.json, 'AWS::CloudWatch::Alarm').map(([id, props]) => [props['AlarmName'], id]));
    expect(rule['EventPattern']).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      resources: [
        { 'Fn::GetAtt': [alarmIds['CoordinatorRecovery-coordinator-load-failures'], 'Arn'] },
        { 'Fn::GetAtt': [alarmIds['CoordinatorRecovery-failed-shards'], 'Arn'] },
      ],
      detail: { state: { value: ['ALARM'] } },
    });
    const [target] = rule['Targets'] as Record<string, unknown>[];
    const [starterId] = resourcesOfType(synth.json, 'AWS::StepFunctions::StateMachine').find(([, props]) => props['StateMachineName'] === undefined)!;
    expect(target!['Arn']).toEqual({ Ref: starterId });
    expect(target!['InputTransformer']).toEqual({
      InputPathsMap: { 'detail-alarmName': '$.detail.alarmName', 'detail-state-timestamp': '$.detail.state.timestamp', time: '$.time' },
      InputTemplate: '{"alarmName":<detail-alarmName>,"alarmTime":<detail-state-timestamp>,"eventTime":<time>}',
    });
  });

  it('runs the shard canary every minute and alarms on its first FAILED shard', () => {
    const steps = functionsByStep();
    const canary = steps.get('shard-canary')!;
    const [, schedule] = resourcesOfType(synth.json, 'AWS::Events::Rule').find(([, props]) => props['ScheduleExpression'] !== undefined)!;
    expect(schedule['ScheduleExpression']).toBe('rate(1 minute)');
    expect(schedule['Targets']).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [canary.id, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })]);
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'CoordinatorRecovery-failed-shards',
      Namespace: 'CoordinatorRecovery',
      MetricName: 'FailedShards',
      Dimensions: [{ Name: 'ClusterName', Value: 'orders-prod' }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    // Read-only on the cluster: describe the offsets topic and (probe) groups, nothing else.
    const actions = (statementsByStep().get('shard-canary') ?? []).flatMap((st) => asList(st.Action)).filter((a) => a.startsWith('kafka-cluster:')).sort();
    expect(actions).toEqual(['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:DescribeGroup', 'kafka-cluster:DescribeTopic']);
  });
});

describe('cdk-nag', () => {
  it('leaves no unacknowledged AwsSolutions finding', () => {
    const nag = synth.validationReport.pluginReports.find((report) => report.pluginName === 'AwsSolutions');
    expect(nag, 'the AwsSolutions pack ran').toBeDefined();
    expect(nag!.violations.map((violation) => `${violation.ruleName} ${violation.violatingConstructs.map((c) => c.constructPath).join(',')}`)).toEqual([]);
    expect(nag!.conclusion).toBe('success');
  });

  it('found real findings and accepted each with a reason, only of the reviewed kinds', () => {
    const suppressed = synth.validationReport.pluginReports.find((report) => report.pluginName === 'AwsSolutions')?.suppressedViolations ?? [];
    // The pack did look: a stack of ten Lambdas in a VPC always raises the accepted findings.
    expect(suppressed.length).toBeGreaterThan(10);
    for (const finding of suppressed) expect(finding.reason?.length ?? 0, `${finding.ruleName} has a reason`).toBeGreaterThan(40);
    const kinds = [...new Set(suppressed.map((finding) => /^AwsSolutions-[A-Z]+\d+/.exec(finding.ruleName)?.[0]))].sort();
    // No AwsSolutions-IAM4: no role has an AWS managed policy.
    expect(kinds).toEqual(['AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-SMG4']);
  });

  it('accepts Resource "*" on a role with a reason that names every action the role has on "*"', () => {
    const suppressed = synth.validationReport.pluginReports.find((report) => report.pluginName === 'AwsSolutions')?.suppressedViolations ?? [];
    const byStep = statementsByStep();
    for (const [step, { props }] of functionsByStep()) {
      const roleId = (props['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const onStar = (byStep.get(step) ?? []).filter((statement) => asList(statement.Resource).includes('*')).flatMap((statement) => asList(statement.Action));
      const finding = suppressed.find((f) => f.ruleName === 'AwsSolutions-IAM5[Resource::*]' && f.violatingConstructs.some((c) => c.constructPath.includes(`/Functions/${roleId.replace(/Role[0-9A-F]{8}$/, '').replace(/^Functions/, '')}Role`)));
      expect(finding, `${step}: its Resource "*" finding is acknowledged`).toBeDefined();
      for (const action of onStar) expect(finding!.reason, `${step}: the reason names ${action}`).toContain(action);
    }
  });

  it('reports the example values in use', () => {
    expect(synth.stack.settings.exampleKeys).toEqual(
      expect.arrayContaining(['recovery:clusterArn', 'recovery:vpcId', 'recovery:subnetIds', 'recovery:securityGroupId', 'recovery:brokerLogGroupName', 'recovery:approverEmail']),
    );
    expect(synth.stack.settings.exampleKeys).not.toContain('recovery:approvalTimeoutHours');
  });
});
