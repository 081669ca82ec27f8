import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FailurePath } from './failure-path.ts';
import { lambdaStep } from './lambda-step.ts';
import { STATE } from './state-names.ts';

/** The bucket the segment items and results live in, and the run prefix the map run may touch. */
export interface SegmentStorage {
  bucket: s3.IBucket;
  /** The bucket's key: the map run reads and writes encrypted objects. */
  key: kms.IKey;
  /** Object key pattern of every run's shard scans, e.g. executions/<machine>/*\/shards/*. */
  shardKeys: string;
}

export interface BlastRadiusPhaseProps {
  blastRadius: lambda.IFunction;
  failure: FailurePath;
  storage: SegmentStorage;
  /** Parallel shard scans; default 4 (each reads a whole __consumer_offsets partition). */
  concurrency?: number;
  /** Parallel segment scans of one shard; default 4 (they all read from that shard's leader). */
  segmentConcurrency?: number;
}

/**
 * The Distributed Map's S3 access, scoped to the runs' shard-scan keys (CDK's own readers and
 * writers grant the whole bucket).
 */
class ShardSegmentItems extends sfn.S3JsonItemReader {
  constructor(private readonly storage: SegmentStorage) {
    super({ bucket: storage.bucket, key: sfn.JsonPath.stringAt('$.segments.items.key') });
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.storage.bucket.arnForObjects(this.storage.shardKeys)] })];
  }
}

class ShardSegmentResults extends sfn.ResultWriterV2 {
  constructor(private readonly storage: SegmentStorage) {
    super({ bucket: storage.bucket, prefix: sfn.JsonPath.stringAt('$.segments.results.prefix') });
  }

  override providePolicyStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [this.storage.bucket.arnForObjects(this.storage.shardKeys)],
      }),
      new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.storage.key.keyArn] }),
    ];
  }
}

/**
 * One pass per failed `__consumer_offsets` partition, split into contiguous segments scanned in
 * parallel and merged exactly; the shard summaries go to `$.blastRadius`, every group's offsets
 * to the artifacts bucket. Per shard: PlanSegments sizes the split (one segment for a small
 * shard) and writes the segments to the bucket; ScanSegments, a Distributed Map, reads them
 * there and runs one child execution per segment, whose MapShard returns CONTINUE with a
 * checkpoint at its Lambda's deadline and is invoked again from there (never a retry from the
 * start); the results go back to the bucket; MergeSegments merges the segment scans into the
 * shard's and stores every group, as one pass would have, returning CONTINUE (the merged scan in
 * the bucket) when storing them reaches its deadline, and MergeDone invokes it again from there.
 */
export function blastRadiusPhase(scope: Construct, props: BlastRadiusPhaseProps): sfn.Map {
  const plan = lambdaStep(scope, STATE.planSegments, {
    lambdaFunction: props.blastRadius,
    payload: { phase: 'plan', request: sfn.JsonPath.objectAt('$.request'), shard: sfn.JsonPath.objectAt('$.shard') },
    resultPath: '$.segments',
    timeout: Duration.minutes(16),
  });

  const segmentTask = lambdaStep(scope, STATE.blastRadiusShard, {
    lambdaFunction: props.blastRadius,
    payload: {
      request: sfn.JsonPath.objectAt('$.request'),
      shard: sfn.JsonPath.objectAt('$.shard'),
      segment: sfn.JsonPath.objectAt('$.segment'),
      scan: sfn.JsonPath.objectAt('$.scan'),
    },
    resultPath: '$.scan',
    timeout: Duration.minutes(16),
  });
  const scanUntilDone = untilDone(scope, segmentTask, { path: '$.scan', choice: STATE.shardScanDone, pass: STATE.shardScanned, comment: 'The segment summary is the child result' });
  const segments = new sfn.DistributedMap(scope, STATE.scanSegments, {
    comment: 'One child execution per segment of the shard, items and results in the artifacts bucket',
    label: 'ShardSegments',
    itemReader: new ShardSegmentItems(props.storage),
    itemSelector: {
      'request.$': '$.request',
      'shard.$': '$.shard',
      'segment.$': '$$.Map.Item.Value',
      scan: { continuations: 0 },
    },
    maxConcurrency: props.segmentConcurrency ?? 4,
    resultWriterV2: new ShardSegmentResults(props.storage),
    resultPath: '$.segmentResults',
  });
  segments.itemProcessor(scanUntilDone);

  const merge = lambdaStep(scope, STATE.mergeSegments, {
    lambdaFunction: props.blastRadius,
    payload: {
      phase: 'merge',
      request: sfn.JsonPath.objectAt('$.request'),
      shard: sfn.JsonPath.objectAt('$.shard'),
      segments: sfn.JsonPath.objectAt('$.segments'),
      results: sfn.JsonPath.objectAt('$.segmentResults'),
      merge: sfn.JsonPath.objectAt('$.merge'),
    },
    resultPath: '$.merge',
    timeout: Duration.minutes(16),
  });
  const mergeUntilDone = untilDone(scope, merge, { path: '$.merge', choice: STATE.mergeDone, pass: STATE.mergeStored, comment: 'The shard summary is the item result' });

  const blastRadius = new sfn.Map(scope, STATE.blastRadius, {
    comment: 'One pass per failed __consumer_offsets partition',
    itemsPath: '$.diagnosis.shards',
    itemSelector: { 'request.$': '$.request', 'shard.$': '$$.Map.Item.Value', merge: { continuations: 0 } },
    maxConcurrency: props.concurrency ?? 4,
    resultPath: '$.blastRadius',
  });
  blastRadius.itemProcessor(plan.next(segments).next(mergeUntilDone));
  props.failure.catch(blastRadius, STATE.blastRadius);
  return blastRadius;
}

/**
 * `task`, then a Choice that invokes it again while its result at `path` says CONTINUE (a
 * deadline reached, the work kept in the bucket), and a Pass that makes that result the output.
 */
function untilDone(scope: Construct, task: sfn.TaskStateBase, names: { path: string; choice: string; pass: string; comment: string }): sfn.Chain {
  const finished = new sfn.Pass(scope, names.pass, { comment: names.comment, outputPath: names.path });
  const again = new sfn.Choice(scope, names.choice)
    // isPresent first: a Choice on a missing path fails the run.
    .when(sfn.Condition.and(sfn.Condition.isPresent(`${names.path}.status`), sfn.Condition.stringEquals(`${names.path}.status`, 'CONTINUE')), task)
    .otherwise(finished);
  return task.next(again);
}
