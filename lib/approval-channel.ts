import { CfnOutput, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ApprovalMode } from '../lambdas/core/workflow/approval-quorum.ts';

export interface ApprovalChannelProps {
  /** Encrypts the topic and the link signing key. */
  encryptionKey: kms.IKey;
  /** Receives every plan with its approve and reject links and CLI commands. */
  approverEmail: string;
  /** The Lambda behind the approval link; it gets a function URL. */
  endpointFunction: lambda.Function;
  /** link (default): only the public URL; iam or both: also an AWS_IAM URL on the alias `iam`. */
  approvalMode?: ApprovalMode;
}

/**
 * How a person learns about a plan and answers it: an encrypted topic with the approver's email
 * subscription, and an approval endpoint. The endpoint's URL takes no AWS credentials because
 * every link it serves is HMAC-signed with the key in the secret, bound to one task token and
 * plan hash, expires, and is accepted once; GET only shows the plan, only POST decides.
 * With approvalMode iam or both, the same function also gets an AWS_IAM function URL (on its
 * alias `iam`, since a function has one URL per qualifier) that `coordinator-recovery
 * approve|reject` signs with SigV4; Lambda then names the verified caller in the event. The
 * approvers' managed policy grants calling it and nothing else.
 */
export class ApprovalChannel extends Construct {
  readonly topic: sns.Topic;
  readonly signingKey: secretsmanager.Secret;
  readonly endpointUrl: lambda.FunctionUrl;
  /** The AWS_IAM function URL (approvalMode iam or both). */
  readonly iamEndpointUrl?: lambda.FunctionUrl;
  /** Attach to the approvers' roles or permission sets (approvalMode iam or both). */
  readonly approversPolicy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ApprovalChannelProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Kafka coordinator recovery approvals',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.approverEmail));

    this.signingKey = new secretsmanager.Secret(this, 'LinkSigningKey', {
      description: 'HMAC key that signs coordinator-recovery approval links',
      encryptionKey: props.encryptionKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });

    this.endpointUrl = props.endpointFunction.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });

    if ((props.approvalMode ?? 'link') !== 'link') {
      const alias = new lambda.Alias(this, 'IamAlias', { aliasName: 'iam', version: props.endpointFunction.currentVersion });
      Validations.of(props.endpointFunction).acknowledge({
        id: 'Annotation::@aws-cdk/aws-lambda:addPermissionsToVersionOrAlias',
        reason: 'The only resource permission is the public URL\'s, and that URL is on the unqualified function; callers of the alias\'s AWS_IAM URL are authorized by their identity policy (the approvers\' policy below), not by a permission on the alias.',
      });
      const iamUrl = alias.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM, invokeMode: lambda.InvokeMode.BUFFERED });
      this.iamEndpointUrl = iamUrl;
      // Since October 2025 a function URL call needs both actions. InvokeFunction is held to calls
      // through a URL: a direct Invoke could hand the function a made-up authorizer identity.
      this.approversPolicy = new iam.ManagedPolicy(this, 'ApproversPolicy', {
        description: 'Lets an approver decide coordinator-recovery plans with coordinator-recovery approve|reject (the AWS_IAM approval URL only)',
        statements: [
          new iam.PolicyStatement({
            sid: 'CallTheApprovalUrl',
            actions: ['lambda:InvokeFunctionUrl'],
            resources: [alias.functionArn],
            conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
          }),
          new iam.PolicyStatement({
            sid: 'OnlyThroughTheUrl',
            actions: ['lambda:InvokeFunction'],
            resources: [alias.functionArn],
            conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
          }),
        ],
      });
      new CfnOutput(this, 'ApprovalIamEndpointUrl', { value: iamUrl.url, description: 'The AWS_IAM URL coordinator-recovery approve|reject --url signs requests to' });
      new CfnOutput(this, 'ApproversPolicyArn', { value: this.approversPolicy.managedPolicyArn, description: 'Attach to the approvers\' roles or permission sets' });
    }

    new CfnOutput(this, 'ApprovalTopicArn', { value: this.topic.topicArn, description: 'SNS topic that carries approval requests and reports' });
    new CfnOutput(this, 'ApprovalEndpointUrl', { value: this.endpointUrl.url, description: 'Base URL of the signed approval links' });
  }
}
