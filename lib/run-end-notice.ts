import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Execution statuses that end a run without the runbook's own Report or NotifyFailure having run for sure. */
export const RUN_END_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export interface RunEndNoticeProps {
  stateMachine: sfn.IStateMachine;
  /** CDK's target lets EventBridge publish to it and, when the topic is encrypted, use its key. */
  topic: sns.ITopic;
}

/**
 * A notice on the topic for every execution that ends FAILED, TIMED_OUT or ABORTED, from
 * EventBridge rather than from the runbook: a failure the state machine cannot catch
 * (States.DataLimitExceeded, States.Runtime, a stop from the console) still tells someone.
 */
export class RunEndNotice extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: RunEndNoticeProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'Coordinator recovery runs that end FAILED, TIMED_OUT or ABORTED',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [props.stateMachine.stateMachineArn], status: [...RUN_END_STATUSES] },
      },
    });
    this.rule.addTarget(
      new targets.SnsTopic(props.topic, {
        message: events.RuleTargetInput.fromText(
          `Coordinator recovery run ${events.EventField.fromPath('$.detail.name')} ended ${events.EventField.fromPath('$.detail.status')} ` +
            `(${events.EventField.fromPath('$.detail.error')}: ${events.EventField.fromPath('$.detail.cause')}). ` +
            `Execution: ${events.EventField.fromPath('$.detail.executionArn')}. Nothing is written to Kafka before approval; ` +
            'see the execution history and the artifacts bucket for how far it got.',
        ),
      }),
    );
  }
}
