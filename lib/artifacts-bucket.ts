import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface ArtifactsBucketProps {
  /** Encrypts the artifacts (plans, approvals, reports). */
  encryptionKey: kms.IKey;
  /** Noncurrent versions are kept this long for the audit trail; default 365 days. */
  noncurrentVersionRetention?: Duration;
  /** Current objects expire after this long; default never (the audit trail stays). */
  expiration?: Duration;
  /** Access logs are kept this long; default 365 days. */
  accessLogRetention?: Duration;
  /** default RETAIN: the bucket is the audit trail of every approved write. */
  removalPolicy?: RemovalPolicy;
}

/**
 * The encrypted store for step outputs too large for a Step Functions state (256 KiB) and for
 * each run's plan, approval and result, which together are the audit trail.
 */
export class ArtifactsBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArtifactsBucketProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // S3 log delivery cannot write to SSE-KMS buckets, so the log bucket uses S3-managed keys.
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: props.accessLogRetention ?? Duration.days(365),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
      removalPolicy,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'artifacts/',
      lifecycleRules: [
        {
          id: 'audit-trail-versions',
          noncurrentVersionExpiration: props.noncurrentVersionRetention ?? Duration.days(365),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          ...(props.expiration ? { expiration: props.expiration } : {}),
        },
      ],
      removalPolicy,
    });
  }
}
