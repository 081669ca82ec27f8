import { Annotations, ArnFormat, CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV } from '../lambdas/handlers/env.ts';
import { AlarmTrigger } from './alarm-trigger.ts';
import { ApprovalChannel } from './approval-channel.ts';
import { brokerLogGroupVerdict, CLUSTER_BROKER_LOG_GROUP_CONTEXT } from './broker-log-check.ts';
import { artifactKeyPatterns, artifactStatements } from './artifact-access.ts';
import { ArtifactsBucket } from './artifacts-bucket.ts';
import { RunEndNotice } from './run-end-notice.ts';
import { resolveRecoveryConfig, type RecoveryConfig, type ResolvedRecoveryConfig } from './config.ts';
import { acknowledgeFindings } from './nag-acknowledgements.ts';
import { RecoveryObservability } from './observability.ts';
import { kafkaClusterStatements, mskControlPlaneStatement } from './recovery-permissions.ts';
import { DEFAULT_SIZING, HANDLER_NAMES, RecoveryFunctions, type HandlerName, type KafkaNetwork } from './recovery-functions.ts';
import { RecoveryStateMachine } from './recovery-state-machine.ts';
import { ShardCanary } from './shard-canary.ts';

export interface RecoveryStackProps extends StackProps {
  /** Values here win over `recovery:*` context; anything left out falls back to the example. */
  config?: Partial<RecoveryConfig>;
  /** default: lambdas/handlers of this repository. */
  handlersDir?: string;
  /** Heartbeat on the approval wait; default none (the approval timeout alone ends the wait). */
  approvalHeartbeat?: Duration;
}

/** The Lambdas the runbook's states invoke (the others: the approval endpoint, the canary). */
const RUNBOOK_STEP_FUNCTIONS = ['diagnose', 'blast-radius', 'read-offsets', 'plan-target', 'request-approval', 'seed-offsets', 'verify', 'report', 'notify-failure'] as const satisfies readonly HandlerName[];

/** Deploys the coordinator recovery runbook for one MSK cluster. */
export class RecoveryStack extends Stack {
  readonly settings: ResolvedRecoveryConfig;
  readonly functions: RecoveryFunctions;
  readonly runbook: RecoveryStateMachine;
  readonly approval: ApprovalChannel;
  readonly artifacts: ArtifactsBucket;
  readonly trigger: AlarmTrigger;
  readonly canary: ShardCanary;
  readonly observability: RecoveryObservability;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: RecoveryStackProps = {}) {
    const { config: configProps, handlersDir, approvalHeartbeat, ...stackProps } = props;
    const settings = resolveRecoveryConfig((key) => scope.node.tryGetContext(key), configProps);
    const { config, cluster } = settings;
    // The stack must live where the cluster is: the IAM ARNs and the log group are regional.
    super(scope, id, { env: { account: cluster.account, region: cluster.region }, ...stackProps });
    this.settings = settings;
    // S3 log delivery through a bucket policy instead of the legacy LogDeliveryWrite ACL.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    // Distributed Maps (shard segments, ReadOffsets) write their results with ResultWriterV2 (a JSONPath prefix per run).
    this.node.setContext('@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2', true);
    if (settings.exampleKeys.length > 0) {
      Annotations.of(this).addWarningV2(
        'coordinator-recovery:example-config',
        `Using example values for ${settings.exampleKeys.join(', ')}; set them before deploying (README "Deploy on AWS").`,
      );
    }

    const logCheck = brokerLogGroupVerdict(config, this.node.tryGetContext(CLUSTER_BROKER_LOG_GROUP_CONTEXT));
    if (logCheck.level === 'error') Annotations.of(this).addError(logCheck.message);
    else if (logCheck.level === 'warning') Annotations.of(this).addWarningV2('coordinator-recovery:broker-log-group', logCheck.message);

    const logRetention = config.logRetentionDays as logs.RetentionDays;
    const stateMachineName = `${this.stackName}-runbook`.slice(0, 80);
    const stateMachineArn = RecoveryStateMachine.arnForName(this, stateMachineName);

    this.key = new kms.Key(this, 'Key', {
      description: 'coordinator-recovery artifacts, approval topic and link signing key',
      enableKeyRotation: true,
    });
    this.artifacts = new ArtifactsBucket(this, 'Artifacts', { encryptionKey: this.key });

    const network = this.importNetwork(config);
    const approvalTimeout = Duration.hours(config.approvalTimeoutHours);
    this.functions = new RecoveryFunctions(this, 'Functions', {
      network,
      logRetention,
      ...(handlersDir ? { handlersDir } : {}),
      environment: { [ENV.CLUSTER_ARN]: config.clusterArn },
      functionEnvironment: this.kafkaEnvironment(config),
      // The public endpoint is the one thing anyone can call; capped, a flood cannot use up the
      // account's concurrency and starve the recovery functions.
      reservedConcurrency: { 'approval-endpoint': config.approvalEndpointConcurrency },
    });
    const fns = this.functions.functions;

    this.approval = new ApprovalChannel(this, 'Approval', {
      encryptionKey: this.key,
      approverEmail: config.approverEmail,
      endpointFunction: fns['approval-endpoint'],
      approvalMode: config.approvalMode,
    });

    const bucketName = this.artifacts.bucket.bucketName;
    for (const name of HANDLER_NAMES) {
      fns[name].addEnvironment(ENV.ARTIFACTS_BUCKET, bucketName);
      // Without it the handlers would ask for SSE-S3 and bypass the bucket's key.
      fns[name].addEnvironment(ENV.ARTIFACTS_KMS_KEY_ID, this.key.keyArn);
    }
    for (const name of ['request-approval', 'report', 'notify-failure'] as const) {
      fns[name].addEnvironment(ENV.APPROVAL_TOPIC_ARN, this.approval.topic.topicArn);
    }
    for (const name of ['request-approval', 'approval-endpoint'] as const) {
      fns[name].addEnvironment(ENV.STATE_MACHINE_ARN, stateMachineArn);
      fns[name].addEnvironment(ENV.APPROVAL_SIGNING_SECRET_ARN, this.approval.signingKey.secretArn);
    }
    for (const name of ['request-approval', 'approval-endpoint'] as const) {
      fns[name].addEnvironment(ENV.APPROVAL_MODE, config.approvalMode);
      fns[name].addEnvironment(ENV.APPROVALS_REQUIRED, String(config.approvalsRequired));
    }
    fns['request-approval'].addEnvironment(ENV.APPROVAL_ENDPOINT_URL, this.approval.endpointUrl.url);
    if (this.approval.iamEndpointUrl) fns['request-approval'].addEnvironment(ENV.APPROVAL_IAM_ENDPOINT_URL, this.approval.iamEndpointUrl.url);
    fns['request-approval'].addEnvironment(ENV.APPROVAL_LINK_TTL_SECONDS, String(approvalTimeout.toSeconds()));
    fns.diagnose.addEnvironment(ENV.DEFAULT_LOOKBACK_MINUTES, String(config.lookbackMinutes));
    fns.diagnose.addEnvironment(ENV.BROKER_LOG_GROUP, config.brokerLogGroupName);
    fns['blast-radius'].addEnvironment(ENV.SEGMENT_BYTES, String(config.segmentBytes));
    for (const name of ['diagnose', 'plan-target'] as const) fns[name].addEnvironment(ENV.TARGET_GROUP_PATTERN, config.targetGroupPattern);

    this.grantPermissions(settings, stateMachineArn, stateMachineName);

    this.runbook = new RecoveryStateMachine(this, 'Runbook', {
      stateMachineName,
      artifactsBucket: this.artifacts.bucket,
      approvalTimeout,
      ...(approvalHeartbeat ? { approvalHeartbeat } : {}),
      logRetention,
      segmentStorage: { bucket: this.artifacts.bucket, key: this.key, shardKeys: artifactKeyPatterns(stateMachineName, ['shards/*'])[0]! },
      functions: {
        diagnose: fns.diagnose,
        blastRadius: fns['blast-radius'],
        readOffsets: fns['read-offsets'],
        planTarget: fns['plan-target'],
        requestApproval: fns['request-approval'],
        seedOffsets: fns['seed-offsets'],
        verify: fns.verify,
        report: fns.report,
        notifyFailure: fns['notify-failure'],
      },
    });

    // The ReadOffsets Distributed Map writes its result files into the SSE-KMS bucket and its reader lists it.
    this.key.grant(this.runbook.stateMachine.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    // No run ends silently: failures the runbook cannot catch still reach the topic.
    new RunEndNotice(this, 'RunEndNotice', { stateMachine: this.runbook.stateMachine, topic: this.approval.topic });
    this.canary = new ShardCanary(this, 'ShardCanary', {
      canaryFunction: fns['shard-canary'],
      rateMinutes: config.canaryRate,
      clusterName: cluster.clusterName,
      alarmName: `${this.stackName}-failed-shards`,
    });

    this.trigger = new AlarmTrigger(this, 'AlarmTrigger', {
      otherAlarms: [this.canary.alarm],
      brokerLogGroupName: config.brokerLogGroupName,
      stateMachine: this.runbook.stateMachine,
      noticeTopic: this.approval.topic,
      noticeTopicKey: this.key,
      clusterArn: config.clusterArn,
      lookbackMinutes: config.lookbackMinutes,
      alarmName: `${this.stackName}-coordinator-load-failures`,
      logRetention,
    });

    this.observability = new RecoveryObservability(this, 'Observability', {
      stateMachine: this.runbook.stateMachine,
      stepFunctions: Object.fromEntries(RUNBOOK_STEP_FUNCTIONS.map((name) => [name, fns[name]])),
      canaryFunction: fns['shard-canary'],
      canaryAlarm: this.canary.alarm,
      clusterName: cluster.clusterName,
      topic: this.approval.topic,
      topicKey: this.key,
      namePrefix: this.stackName,
    });

    new CfnOutput(this, 'StateMachineArn', { value: this.runbook.stateMachine.stateMachineArn, description: 'Start recoveries here' });
    new CfnOutput(this, 'ArtifactsBucketName', { value: bucketName, description: 'Plans, approvals and reports (the audit trail)' });
    new CfnOutput(this, 'AlarmName', { value: this.trigger.alarm.alarmName });
    new CfnOutput(this, 'DashboardName', { value: this.observability.dashboard.dashboardName, description: 'CloudWatch dashboard of the runbook and the shard canary' });
    new CfnOutput(this, 'CanaryAlarmName', { value: this.canary.alarm.alarmName, description: 'Fires when the shard canary finds a FAILED coordinator shard' });

    acknowledgeFindings({
      stack: this,
      config,
      cluster,
      functions: fns,
      roles: this.functions.roles,
      artifactsBucket: this.artifacts.bucket,
      signingKey: this.approval.signingKey,
      stateMachineRole: this.runbook.stateMachine.role,
      stateMachine: this.runbook.stateMachine,
      stateMachineName,
      starterRole: this.trigger.starter.role,
    });
  }

  private importNetwork(config: RecoveryConfig): KafkaNetwork {
    const vpc = config.lookupVpc
      ? ec2.Vpc.fromLookup(this, 'ClusterVpc', { vpcId: config.vpcId })
      : ec2.Vpc.fromVpcAttributes(this, 'ClusterVpc', { vpcId: config.vpcId, availabilityZones: config.availabilityZones });
    const subnets = config.subnetIds.map((subnetId, index) => {
      const subnet = ec2.Subnet.fromSubnetId(this, `ClusterSubnet${index}`, subnetId);
      Validations.of(subnet).acknowledge({
        id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
        reason: 'The subnets are only handed to the Lambdas; nothing in the stack reads or changes their route tables.',
      });
      return subnet;
    });
    // Not mutable: the stack must never change the cluster's own security group.
    const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'ClusterSecurityGroup', config.securityGroupId, { mutable: false });
    return { vpc, subnets, securityGroup };
  }

  private kafkaEnvironment(config: RecoveryConfig): Partial<Record<HandlerName, Record<string, string>>> {
    const environment: Partial<Record<HandlerName, Record<string, string>>> = {};
    for (const name of HANDLER_NAMES) {
      if (!DEFAULT_SIZING[name].kafkaFacing) continue;
      environment[name] = {
        [ENV.AUTH_MODE]: config.authMode,
        ...(config.scramSecretArn ? { [ENV.SCRAM_SECRET_ARN]: config.scramSecretArn } : {}),
        ...(config.tlsClientCertificateSecretArn ? { [ENV.TLS_CLIENT_CERTIFICATE_SECRET_ARN]: config.tlsClientCertificateSecretArn } : {}),
      };
    }
    return environment;
  }

  private grantPermissions(settings: ResolvedRecoveryConfig, stateMachineArn: string, stateMachineName: string): void {
    const { config, cluster } = settings;
    const roles = this.functions.roles;

    for (const name of HANDLER_NAMES) {
      const role = roles[name];
      const policy = (statement: iam.PolicyStatement): void => {
        role.addToPrincipalPolicy(statement);
      };
      if (DEFAULT_SIZING[name].kafkaFacing) {
        // MSK authorizes kafka-cluster:* only for IAM-authenticated clients; SCRAM and TLS use Kafka ACLs.
        if (config.authMode === 'iam') {
          for (const statement of kafkaClusterStatements(name, cluster, config)) policy(statement);
        }
        policy(mskControlPlaneStatement(config.clusterArn));
        if (config.authMode === 'scram' && config.scramSecretArn) {
          policy(new iam.PolicyStatement({ sid: 'ReadTheScramSecret', actions: ['secretsmanager:GetSecretValue'], resources: [config.scramSecretArn] }));
          if (config.scramSecretKmsKeyArn) policy(new iam.PolicyStatement({ sid: 'DecryptTheScramSecret', actions: ['kms:Decrypt'], resources: [config.scramSecretKmsKeyArn] }));
        }
        if (config.authMode === 'tls' && config.tlsClientCertificateSecretArn) {
          policy(new iam.PolicyStatement({ sid: 'ReadTheClientCertificate', actions: ['secretsmanager:GetSecretValue'], resources: [config.tlsClientCertificateSecretArn] }));
          if (config.tlsClientCertificateSecretKmsKeyArn) {
            policy(new iam.PolicyStatement({ sid: 'DecryptTheClientCertificate', actions: ['kms:Decrypt'], resources: [config.tlsClientCertificateSecretKmsKeyArn] }));
          }
        }
      }
      for (const statement of artifactStatements(name, this.artifacts.bucket, stateMachineName)) policy(statement);
      // Artifacts, the encrypted topic and the signing key all use the stack key.
      policy(new iam.PolicyStatement({ sid: 'UseTheStackKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.key.keyArn] }));
    }

    roles.diagnose.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SearchTheBrokerLogs',
        actions: ['logs:FilterLogEvents'],
        resources: [this.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${config.brokerLogGroupName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    for (const name of ['request-approval', 'report', 'notify-failure'] as const) {
      roles[name].addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'PublishToTheApprovalTopic', actions: ['sns:Publish'], resources: [this.approval.topic.topicArn] }));
    }
    for (const name of ['request-approval', 'approval-endpoint'] as const) {
      roles[name].addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'ReadTheLinkSigningKey', actions: ['secretsmanager:GetSecretValue'], resources: [this.approval.signingKey.secretArn] }),
      );
    }
    roles['approval-endpoint'].addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'AnswerTheApprovalTask', actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [stateMachineArn] }),
    );
  }
}
