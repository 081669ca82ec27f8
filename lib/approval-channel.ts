import { CfnOutput } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface ApprovalChannelProps {
  /** Encrypts the topic and the link signing key. */
  encryptionKey: kms.IKey;
  /** Receives every plan with its approve and reject links and CLI commands. */
  approverEmail: string;
  /** The Lambda behind the approval link; it gets a function URL. */
  endpointFunction: lambda.IFunction;
}

/**
 * How a person learns about a plan and answers it: an encrypted topic with the approver's email
 * subscription, and an approval endpoint. The endpoint's URL takes no AWS credentials because
 * every link it serves is HMAC-signed with the key in the secret, bound to one task token and
 * plan hash, expires, and is accepted once; GET only shows the plan, only POST decides.
 */
export class ApprovalChannel extends Construct {
  readonly topic: sns.Topic;
  readonly signingKey: secretsmanager.Secret;
  readonly endpointUrl: lambda.FunctionUrl;

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

    new CfnOutput(this, 'ApprovalTopicArn', { value: this.topic.topicArn, description: 'SNS topic that carries approval requests and reports' });
    new CfnOutput(this, 'ApprovalEndpointUrl', { value: this.endpointUrl.url, description: 'Base URL of the signed approval links' });
  }
}
