import { invalidInput } from '../lambdas/core/errors.ts';

/** The parts of an MSK provisioned cluster ARN that IAM resource ARNs for Kafka actions are built from. */
export interface MskClusterArnParts {
  partition: string;
  region: string;
  account: string;
  clusterName: string;
  clusterUuid: string;
}

// arn:aws:kafka:eu-west-1:123456789012:cluster/orders-prod/6e1f8c2a-0b7d-4a1e-9d3c-5f2b8e7a1c40-3
const CLUSTER_ARN = /^arn:(aws[a-z-]*):kafka:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):cluster\/([A-Za-z0-9-]{1,64})\/([A-Za-z0-9-]+)$/;

export function parseClusterArn(arn: string, field = 'clusterArn'): MskClusterArnParts {
  const match = CLUSTER_ARN.exec(arn);
  if (!match) {
    throw invalidInput(
      field,
      `"${arn}" is not an MSK cluster ARN`,
      'Copy the ARN from the MSK console or `aws kafka list-clusters-v2`; it looks like arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>',
    );
  }
  const [, partition, region, account, clusterName, clusterUuid] = match as unknown as [string, string, string, string, string, string];
  return { partition, region, account, clusterName, clusterUuid };
}

/**
 * MSK IAM access control names topics and groups with their own resource types under the
 * cluster's name and uuid; a trailing `*` in the name is how IAM expresses a name pattern.
 */
export function mskTopicArn(cluster: MskClusterArnParts, topicNameOrPattern: string): string {
  return mskResourceArn(cluster, 'topic', topicNameOrPattern);
}

export function mskGroupArn(cluster: MskClusterArnParts, groupNameOrPattern: string): string {
  return mskResourceArn(cluster, 'group', groupNameOrPattern);
}

export function mskClusterArn(cluster: MskClusterArnParts): string {
  return mskResourceArn(cluster, 'cluster', '').replace(/\/$/, '');
}

function mskResourceArn(cluster: MskClusterArnParts, type: 'topic' | 'group' | 'cluster', name: string): string {
  const { partition, region, account, clusterName, clusterUuid } = cluster;
  return `arn:${partition}:kafka:${region}:${account}:${type}/${clusterName}/${clusterUuid}/${name}`;
}
