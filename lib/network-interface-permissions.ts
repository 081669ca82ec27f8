import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** The ENI actions Lambda performs with a VPC function's role, instead of AWSLambdaVPCAccessExecutionRole (which also grants log writes on every log group). */
export const NETWORK_INTERFACE_ACTIONS = {
  /** DescribeNetworkInterfaces works only on "*"; Lambda checks CreateNetworkInterface against the role when the function is created, before any interface exists. */
  unscoped: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces'],
  /** On an existing interface: scoped to the network interfaces of this account and region. */
  onInterfaces: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
} as const;

export function networkInterfaceStatements(scope: Construct): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ sid: 'CreateAndDescribeTheFunctionsNetworkInterfaces', actions: [...NETWORK_INTERFACE_ACTIONS.unscoped], resources: ['*'] }),
    new iam.PolicyStatement({
      sid: 'ManageTheFunctionsNetworkInterfaces',
      actions: [...NETWORK_INTERFACE_ACTIONS.onInterfaces],
      resources: [Stack.of(scope).formatArn({ service: 'ec2', resource: 'network-interface', resourceName: '*' })],
    }),
  ];
}
