import * as iam from 'aws-cdk-lib/aws-iam';
import type { RecoveryConfig } from './config.ts';
import { mskClusterArn, mskGroupArn, mskTopicArn, type MskClusterArnParts } from './msk-arns.ts';
import type { HandlerName } from './recovery-functions.ts';

/** What each Kafka-facing step does on the cluster, in MSK IAM terms. */
interface KafkaAccess {
  /** Reads or describes __consumer_offsets (metadata, ListOffsets, Fetch). */
  offsetsTopic: 'none' | 'describe' | 'read';
  /** Describes or commits offsets for the groups' application topics. */
  dataTopics: 'none' | 'describe' | 'read';
  /** FindCoordinator / DescribeGroups on the stuck source groups. */
  sourceGroups: 'none' | 'describe';
  /** FindCoordinator / DescribeGroups / OffsetFetch or OffsetCommit on the target groups. */
  targetGroups: 'none' | 'describe' | 'alter';
}

/**
 * Least privilege per step. Kafka authorizes OffsetCommit with READ on the group and on each
 * topic, which MSK maps to kafka-cluster:AlterGroup and kafka-cluster:ReadData; OffsetFetch and
 * ListOffsets need only the Describe actions. Only SeedOffsets writes, and only to target groups.
 */
export const KAFKA_ACCESS: Partial<Record<HandlerName, KafkaAccess>> = {
  diagnose: { offsetsTopic: 'describe', dataTopics: 'none', sourceGroups: 'describe', targetGroups: 'none' },
  'blast-radius': { offsetsTopic: 'read', dataTopics: 'none', sourceGroups: 'none', targetGroups: 'none' },
  // Reads the group's offsets from its shard scan in S3; only the completeness check talks to Kafka.
  'read-offsets': { offsetsTopic: 'describe', dataTopics: 'describe', sourceGroups: 'none', targetGroups: 'none' },
  'plan-target': { offsetsTopic: 'describe', dataTopics: 'describe', sourceGroups: 'none', targetGroups: 'describe' },
  'seed-offsets': { offsetsTopic: 'describe', dataTopics: 'read', sourceGroups: 'none', targetGroups: 'alter' },
  verify: { offsetsTopic: 'describe', dataTopics: 'describe', sourceGroups: 'none', targetGroups: 'describe' },
  // Its probe groups (coordinator-recovery-probe-<n>) are described, never joined; sourceGroupPattern admits them by default.
  'shard-canary': { offsetsTopic: 'describe', dataTopics: 'none', sourceGroups: 'describe', targetGroups: 'none' },
};

/** MSK IAM data-plane statements for one step; empty for non-Kafka steps. */
export function kafkaClusterStatements(step: HandlerName, cluster: MskClusterArnParts, config: Pick<RecoveryConfig, 'targetGroupPattern' | 'sourceGroupPattern' | 'dataTopicPattern'>): iam.PolicyStatement[] {
  const access = KAFKA_ACCESS[step];
  if (!access) return [];
  const statements = [
    new iam.PolicyStatement({
      sid: 'ConnectToTheCluster',
      actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
      resources: [mskClusterArn(cluster)],
    }),
  ];
  const offsetsTopic = mskTopicArn(cluster, '__consumer_offsets');
  if (access.offsetsTopic !== 'none') {
    statements.push(
      new iam.PolicyStatement({
        sid: access.offsetsTopic === 'read' ? 'ReadTheOffsetsLog' : 'DescribeTheOffsetsLog',
        actions: access.offsetsTopic === 'read' ? ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'] : ['kafka-cluster:DescribeTopic'],
        resources: [offsetsTopic],
      }),
    );
  }
  if (access.dataTopics !== 'none') {
    statements.push(
      new iam.PolicyStatement({
        sid: access.dataTopics === 'read' ? 'CommitOffsetsForTopics' : 'DescribeTopics',
        actions: access.dataTopics === 'read' ? ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'] : ['kafka-cluster:DescribeTopic'],
        resources: [mskTopicArn(cluster, config.dataTopicPattern)],
      }),
    );
  }
  if (access.sourceGroups !== 'none') {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DescribeSourceGroups',
        actions: ['kafka-cluster:DescribeGroup'],
        resources: [mskGroupArn(cluster, config.sourceGroupPattern)],
      }),
    );
  }
  if (access.targetGroups !== 'none') {
    statements.push(
      new iam.PolicyStatement({
        sid: access.targetGroups === 'alter' ? 'SeedTargetGroups' : 'DescribeTargetGroups',
        actions: access.targetGroups === 'alter' ? ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'] : ['kafka-cluster:DescribeGroup'],
        resources: [mskGroupArn(cluster, config.targetGroupPattern)],
      }),
    );
  }
  return statements;
}

/** The MSK control plane: broker endpoints and the bootstrap string for the auth mode. */
export function mskControlPlaneStatement(clusterArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadTheClusterControlPlane',
    actions: ['kafka:DescribeClusterV2', 'kafka:ListNodes', 'kafka:GetBootstrapBrokers'],
    resources: [clusterArn],
  });
}
