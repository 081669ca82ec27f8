import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FailurePath } from './failure-path.ts';
import { lambdaStep } from './lambda-step.ts';
import { STATE } from './state-names.ts';

export interface ReadOffsetsPhaseProps {
  readOffsets: lambda.IFunction;
  /** Where the shard scans stored the groups (the items) and where the item results go. */
  artifactsBucket: s3.IBucket;
  /** Scopes the ResultWriter's S3 access to this machine's runs. */
  stateMachineName: string;
  failure: FailurePath;
  /** Parallel group reads; default 4. */
  concurrency?: number;
}

/**
 * Every group the blast radius found, each a child execution of a Distributed Map: its offsets as
 * the shard's one pass stored them, checked for completeness. The items are the stored group
 * results themselves (ItemReader lists `$.diagnosis.artifactPrefixes.groupResults`, every failed
 * shard's groups), and every item's result goes to S3 (ResultWriter), so the state holds neither
 * list however many groups there are: `$.groups` is only where the results are.
 *
 * A group that cannot be read fails its own item only (ToleratedFailurePercentage 100): the run
 * goes on, and PlanTarget names the failed items' groups, with their errors, in the plan.
 * A group hashes to exactly one shard, so no group is read twice.
 */
/** Where every run of this machine's ReadOffsets ResultWriter writes (lambdas/aws/artifacts.ts readOffsetsResultsPrefix). */
export function readOffsetsResultKeys(stateMachineName: string): string {
  return `executions/${stateMachineName}/*/read-offsets/map-run/*`;
}

/** CDK's writer grants its S3 actions on the whole bucket; this one on the results folder of this machine's runs. */
class ScopedResultWriter extends sfn.ResultWriterV2 {
  constructor(
    props: sfn.ResultWriterV2Props,
    private readonly keys: string,
  ) {
    super(props);
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [this.bucket!.arnForObjects(this.keys)],
      }),
    ];
  }
}

export function readOffsetsPhase(scope: Construct, props: ReadOffsetsPhaseProps): sfn.DistributedMap {
  const groupTask = lambdaStep(scope, STATE.readGroupOffsets, {
    lambdaFunction: props.readOffsets,
    payload: { request: sfn.JsonPath.objectAt('$.request'), groupResultKey: sfn.JsonPath.stringAt('$.groupResultKey') },
    timeout: Duration.minutes(6),
  });
  const readOffsets = new sfn.DistributedMap(scope, STATE.readOffsets, {
    comment: 'Each group of every failed shard, listed from the shard scans stored in S3; results to S3',
    itemReader: new sfn.S3ObjectsItemReader({
      bucket: props.artifactsBucket,
      prefix: sfn.JsonPath.stringAt('$.diagnosis.artifactPrefixes.groupResults'),
    }),
    itemSelector: { 'request.$': '$.request', 'groupResultKey.$': '$$.Map.Item.Value.Key' },
    maxConcurrency: props.concurrency ?? 4,
    toleratedFailurePercentage: 100,
    resultWriterV2: new ScopedResultWriter(
      { bucket: props.artifactsBucket, prefix: sfn.JsonPath.stringAt('$.diagnosis.artifactPrefixes.readOffsetsResults') },
      readOffsetsResultKeys(props.stateMachineName),
    ),
    resultPath: '$.groups',
  });
  readOffsets.itemProcessor(groupTask);
  props.failure.catch(readOffsets, STATE.readOffsets);
  return readOffsets;
}
