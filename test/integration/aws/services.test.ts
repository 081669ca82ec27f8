/**
 * The runbook's other AWS calls against the stand-ins with the real SDK clients: S3 artifacts
 * (conditional put, missing keys), SNS Publish, Step Functions task tokens, Secrets Manager.
 * The clients are the handlers' own (lambdas/aws/clients.ts, built with only a region): they
 * find the stand-ins through the SDK's native AWS_ENDPOINT_URL_<SERVICE> variables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendTaskHeartbeatCommand } from '@aws-sdk/client-sfn';
import { awsClients } from '../../../lambdas/aws/clients.ts';
import { deleteObject, getJson, getJsonIfExists, putJson, putJsonIfAbsent, type ArtifactStore } from '../../../lambdas/aws/artifacts.ts';
import { publishNotification } from '../../../lambdas/aws/notifications.ts';
import { getPreviousSecretString, getSecretString, parseScramSecret } from '../../../lambdas/aws/secrets.ts';
import { sendTaskFailure, sendTaskSuccess } from '../../../lambdas/aws/step-functions.ts';
import { startAwsStandins, type AwsStandins } from '../../../local/aws/index.ts';
import { BrokerLogSink } from '../../../local/kafka/broker-log.ts';

const BUCKET = 'recovery-artifacts';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:approvals';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_recovery-a1B2c3';

let aws: AwsStandins;
const saved: Record<string, string | undefined> = {};
let store: ArtifactStore;

beforeAll(async () => {
  aws = await startAwsStandins({
    cluster: { brokers: [], logs: new BrokerLogSink() },
    buckets: [BUCKET],
    topics: [TOPIC],
    secrets: { [SECRET]: '{"username":"recovery","password":"pw"}' },
  });
  // This worker's environment only (vitest runs each file in its own process); restored below.
  for (const [name, value] of Object.entries(aws.environment())) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  store = { s3: awsClients.s3(), bucket: BUCKET, kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/local' };
});

afterAll(async () => {
  for (const client of [awsClients.s3(), awsClients.sns(), awsClients.sfn(), awsClients.secrets()]) client.destroy();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await aws?.stop();
});

describe('S3 artifacts', () => {
  it('stores and reads JSON with its hash; SSE headers are kept', async () => {
    const ref = await putJson(store, 'executions/m/run 1/plan.json', { groups: ['billing'] });
    expect(await getJson(awsClients.s3(), ref)).toEqual({ groups: ['billing'] });
    expect(aws.s3.keys(BUCKET)).toContain('executions/m/run 1/plan.json');
    expect(aws.s3.object(BUCKET, 'executions/m/run 1/plan.json')).toMatchObject({ serverSideEncryption: 'aws:kms', kmsKeyId: store.kmsKeyId, contentType: 'application/json' });
    const head = await awsClients.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'executions/m/run 1/plan.json' }));
    expect(head.ContentLength).toBe(ref.bytes);
  });

  it('a conditional put wins once: the second writer gets 412 PreconditionFailed (null)', async () => {
    expect(await putJsonIfAbsent(store, 'claims/a.json', { by: 'first' })).not.toBeNull();
    expect(await putJsonIfAbsent(store, 'claims/a.json', { by: 'second' })).toBeNull();
    expect(JSON.parse(aws.s3.readText(BUCKET, 'claims/a.json')!)).toEqual({ by: 'first' });
    await expect(awsClients.s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'claims/a.json', Body: 'x', IfNoneMatch: '*' }))).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
  });

  it('a deleted claim can be claimed again (the approval link given back), and deleting a missing key succeeds', async () => {
    expect(await putJsonIfAbsent(store, 'claims/b.json', { by: 'first' })).not.toBeNull();
    await deleteObject(store, 'claims/b.json');
    expect(aws.s3.keys(BUCKET)).not.toContain('claims/b.json');
    expect(await putJsonIfAbsent(store, 'claims/b.json', { by: 'again' })).not.toBeNull();
    await deleteObject(store, 'claims/never-there.json');
  });

  it('missing keys and buckets answer as S3 does', async () => {
    expect(await getJsonIfExists(awsClients.s3(), { bucket: BUCKET, key: 'nope.json' })).toBeNull();
    await expect(awsClients.s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'nope.json' }))).rejects.toMatchObject({ name: 'NotFound' });
    await expect(awsClients.s3().send(new GetObjectCommand({ Bucket: 'other-bucket', Key: 'x' }))).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('a body whose CRC32 does not match is refused with BadDigest', async () => {
    const put = new PutObjectCommand({ Bucket: BUCKET, Key: 'digest.txt', Body: 'hello', ChecksumCRC32: 'AAAAAA==' });
    await expect(awsClients.s3().send(put)).rejects.toMatchObject({ name: 'BadDigest' });
  });
});

describe('SNS, Step Functions task tokens and Secrets Manager', () => {
  it('publishes to a known topic and keeps the message; an unknown topic is NotFound', async () => {
    const id = await publishNotification(awsClients.sns(), TOPIC, 'Plan ready', 'approve here');
    expect(aws.sns.messages.at(-1)).toMatchObject({ messageId: id, topicArn: TOPIC, subject: 'Plan ready', message: 'approve here' });
    await expect(publishNotification(awsClients.sns(), `${TOPIC}-x`, 's', 'm')).rejects.toMatchObject({ code: 'AWS_ERROR', details: { awsErrorName: 'NotFoundException' } });
  });

  it('a waiting task gets the approver\'s output once; later or unknown tokens fail as Step Functions says', async () => {
    const waiting = aws.sfn.waitForTask('token-a');
    await awsClients.sfn().send(new SendTaskHeartbeatCommand({ taskToken: 'token-a' }));
    await sendTaskSuccess(awsClients.sfn(), 'token-a', { approved: true, approvedBy: 'alice' });
    expect(await waiting).toEqual({ status: 'SUCCEEDED', output: { approved: true, approvedBy: 'alice' } });
    await expect(sendTaskSuccess(awsClients.sfn(), 'token-a', {})).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no longer exists') });
    await expect(sendTaskFailure(awsClients.sfn(), 'token-never-issued', 'ApprovalRejected', 'x')).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'taskToken' } });

    const rejected = aws.sfn.waitForTask('token-b');
    await sendTaskFailure(awsClients.sfn(), 'token-b', 'ApprovalRejected', 'Rejected by bob');
    expect(await rejected).toEqual({ status: 'FAILED', error: 'ApprovalRejected', cause: 'Rejected by bob' });

    const expired = aws.sfn.waitForTask('token-c', { timeoutMs: 1 });
    expect(await expired).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    await expect(sendTaskSuccess(awsClients.sfn(), 'token-c', {})).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('timed out') });
  });

  it('reads a secret by ARN or name; an unknown one is a configuration error', async () => {
    const text = await getSecretString(awsClients.secrets(), SECRET);
    expect(parseScramSecret(SECRET, text)).toEqual({ username: 'recovery', password: 'pw' });
    expect(await getSecretString(awsClients.secrets(), 'AmazonMSK_recovery')).toBe(text);
    await expect(getSecretString(awsClients.secrets(), 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:missing-abcdef')).rejects.toMatchObject({ code: 'CONFIGURATION' });
    // A secret never rotated has no AWSPREVIOUS version: the service answers ResourceNotFoundException, read as "none".
    expect(await getPreviousSecretString(awsClients.secrets(), SECRET)).toBeNull();
  });

  it('a never-rotated secret has no AWSPREVIOUS version, as Secrets Manager answers it (the link signing key\'s fallback)', async () => {
    expect(await getPreviousSecretString(awsClients.secrets(), SECRET)).toBeNull();
  });
});
