import { ArnFormat, RemovalPolicy, Stack, type Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { blastRadiusPhase, type SegmentStorage } from './state-machine/blast-radius.ts';
import { diagnosePhase } from './state-machine/diagnose.ts';
import { FailurePath } from './state-machine/failure-path.ts';
import { planAndApprovePhase } from './state-machine/plan-and-approve.ts';
import { readOffsetsPhase } from './state-machine/read-offsets.ts';
import { reportPhase } from './state-machine/report.ts';
import { seedAndVerifyPhase } from './state-machine/seed-and-verify.ts';
import { STATE } from './state-machine/state-names.ts';

export { NOT_APPROVED_ERRORS } from './state-machine/failure-path.ts';
export { LAMBDA_TRANSIENT_ERRORS, STEP_TRANSIENT_ERRORS } from './state-machine/lambda-step.ts';
export { STATE } from './state-machine/state-names.ts';

export interface RecoveryStepFunctions {
  diagnose: lambda.IFunction;
  blastRadius: lambda.IFunction;
  readOffsets: lambda.IFunction;
  planTarget: lambda.IFunction;
  requestApproval: lambda.IFunction;
  seedOffsets: lambda.IFunction;
  verify: lambda.IFunction;
  report: lambda.IFunction;
  notifyFailure: lambda.IFunction;
}

export interface RecoveryStateMachineProps {
  functions: RecoveryStepFunctions;
  /** The Distributed Maps read their items from it and write their results to it. */
  artifactsBucket: s3.IBucket;
  /** Must be known at synth time: the approval Lambdas name this machine in their policies. */
  stateMachineName: string;
  /** How long the plan waits for a decision; default 24 hours. */
  approvalTimeout?: Duration;
  /** Optional heartbeat on the approval task; default none (a person does not heartbeat). */
  approvalHeartbeat?: Duration;
  /** Parallel shard scans; default 4 (each reads a whole __consumer_offsets partition). */
  shardConcurrency?: number;
  /** Where the shard segments' items and results live (the artifacts bucket). */
  segmentStorage: SegmentStorage;
  /** Parallel segment scans per shard; default 4. */
  segmentConcurrency?: number;
  /** Parallel group reads; default 4. */
  groupConcurrency?: number;
  logRetention?: logs.RetentionDays;
}

/**
 * The runbook: Diagnose -> BlastRadius (Map over failed shards) -> ReadOffsets (Map over groups)
 * -> PlanTarget -> AwaitApproval -> SeedOffsets -> Verify -> Report. Nothing before SeedOffsets
 * writes to Kafka; every failure, rejection and timeout is published by NotifyFailure before
 * the run ends. The state carries counts, ids and S3 keys only: every per-group list (the
 * groups, their offsets, the plan, the seed and verify results) is in the artifacts bucket.
 */
export class RecoveryStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  /** The ARN this machine will have, without a reference to the resource (no dependency cycle). */
  static arnForName(scope: Construct, stateMachineName: string): string {
    return Stack.of(scope).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  constructor(scope: Construct, id: string, props: RecoveryStateMachineProps) {
    super(scope, id);
    const fns = props.functions;

    // Built first: every phase's Catch points into it.
    const failure = new FailurePath(this, { notifyFailure: fns.notifyFailure });
    const diagnose = diagnosePhase(this, { diagnose: fns.diagnose, failure });
    const blastRadius = blastRadiusPhase(this, {
      blastRadius: fns.blastRadius,
      failure,
      storage: props.segmentStorage,
      concurrency: props.shardConcurrency,
      segmentConcurrency: props.segmentConcurrency,
    });
    const readOffsets = readOffsetsPhase(this, { readOffsets: fns.readOffsets, artifactsBucket: props.artifactsBucket, stateMachineName: props.stateMachineName, failure, concurrency: props.groupConcurrency });
    const planAndApprove = planAndApprovePhase(this, {
      planTarget: fns.planTarget,
      requestApproval: fns.requestApproval,
      failure,
      approvalTimeout: props.approvalTimeout,
      approvalHeartbeat: props.approvalHeartbeat,
    });
    const seedAndVerify = seedAndVerifyPhase(this, { seedOffsets: fns.seedOffsets, verify: fns.verify, failure });
    const report = reportPhase(this, { report: fns.report, failure });

    const definition = diagnose.next(
      new sfn.Choice(this, STATE.hasFailedShards)
        .when(sfn.Condition.isPresent('$.diagnosis.shards[0]'), blastRadius)
        .otherwise(report.nothingToRecover),
    );
    blastRadius.next(readOffsets).next(planAndApprove.plan).next(
      new sfn.Choice(this, STATE.hasPlannedGroups)
        .when(sfn.Condition.numberGreaterThan('$.plan.summary.groups', 0), planAndApprove.approval)
        .otherwise(report.nothingToApprove),
    );
    planAndApprove.approval.next(seedAndVerify).next(report.report);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: 'Kafka group coordinator recovery runbook',
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        // Execution data includes the approval task token, which is as good as an approval.
        includeExecutionData: false,
      },
    });
  }
}
