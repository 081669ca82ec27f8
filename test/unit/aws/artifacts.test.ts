import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  approvalConsumedKey,
  artifactKey,
  executionPrefix,
  getJson,
  getJsonIfExists,
  putJson,
  putJsonIfAbsent,
  resolveStored,
  sha256Hex,
  storeIfLarge,
} from '../../../lambdas/aws/artifacts.ts';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'us-east-1' });
const store = { s3, bucket: 'artifacts' };
afterEach(() => s3Mock.reset());

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:CoordinatorRecovery:alarm-2026-11-24T21-00';

/** What GetObject's streaming body offers the code under test. */
function body(text: string): never {
  return { transformToString: async () => text } as never;
}

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', message: name, $metadata: { httpStatusCode: status } });
}

describe('artifact keys', () => {
  it('groups every artifact of an execution under its state machine and name', () => {
    expect(executionPrefix(EXECUTION)).toBe('executions/CoordinatorRecovery/alarm-2026-11-24T21-00');
    expect(artifactKey(EXECUTION, 'plan.json')).toBe('executions/CoordinatorRecovery/alarm-2026-11-24T21-00/plan.json');
    expect(approvalConsumedKey(EXECUTION, 'a/b')).toBe('executions/CoordinatorRecovery/alarm-2026-11-24T21-00/approval-consumed/a_b.json');
  });
});

describe('putJson / getJson', () => {
  it('writes with SSE and returns a reference whose hash matches the bytes', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const ref = await putJson(store, 'k.json', { a: 1 });
    const input = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ Bucket: 'artifacts', Key: 'k.json', ServerSideEncryption: 'AES256', ContentType: 'application/json' });
    expect(ref).toEqual({ bucket: 'artifacts', key: 'k.json', bytes: Buffer.byteLength(input.Body as string), sha256: sha256Hex(input.Body as string) });
  });

  it('uses SSE-KMS when a key is configured', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    await putJson({ ...store, kmsKeyId: 'alias/recovery' }, 'k.json', {});
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/recovery' });
  });

  it('refuses an artifact whose bytes changed after it was referenced', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body('{"a":2}') });
    await expect(getJson(s3, { bucket: 'artifacts', key: 'k.json', sha256: sha256Hex('{"a":1}') })).rejects.toMatchObject({ code: 'CORRUPT_DATA' });
  });

  it('reads back a referenced artifact and reports a missing one', async () => {
    s3Mock.on(GetObjectCommand, { Key: 'k.json' }).resolves({ Body: body('{"a":1}') });
    s3Mock.on(GetObjectCommand, { Key: 'gone.json' }).rejects(s3Error('NoSuchKey', 404));
    expect(await getJson(s3, { bucket: 'artifacts', key: 'k.json', sha256: sha256Hex('{"a":1}') })).toEqual({ a: 1 });
    expect(await getJsonIfExists(s3, { bucket: 'artifacts', key: 'gone.json' })).toBeNull();
    await expect(getJson(s3, { bucket: 'artifacts', key: 'gone.json' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('putJsonIfAbsent', () => {
  it('sends If-None-Match and reports who won', async () => {
    s3Mock.on(PutObjectCommand).resolvesOnce({}).rejectsOnce(s3Error('PreconditionFailed', 412)).rejectsOnce(s3Error('ConditionalRequestConflict', 409));
    expect(await putJsonIfAbsent(store, 'm.json', { by: 'ann' })).not.toBeNull();
    expect(await putJsonIfAbsent(store, 'm.json', { by: 'bob' })).toBeNull();
    expect(await putJsonIfAbsent(store, 'm.json', { by: 'cid' })).toBeNull();
    expect(s3Mock.commandCalls(PutObjectCommand).every((c) => c.args[0].input.IfNoneMatch === '*')).toBe(true);
  });

  it('passes other failures on as AWS_ERROR', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
    await expect(putJsonIfAbsent(store, 'm.json', {})).rejects.toMatchObject({ code: 'AWS_ERROR', details: { awsErrorName: 'AccessDenied' } });
  });
});

describe('storeIfLarge / resolveStored', () => {
  it('keeps small documents inline and offloads large ones by reference', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const small = { n: 1 };
    expect(await storeIfLarge(store, 'small.json', small)).toBe(small);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);

    const large = { data: 'x'.repeat(300 * 1024) };
    const stored = await storeIfLarge(store, 'large.json', large);
    expect(stored).toEqual({ artifact: expect.objectContaining({ bucket: 'artifacts', key: 'large.json' }) });
    const written = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as string;
    s3Mock.on(GetObjectCommand).resolves({ Body: body(written) });
    expect(await resolveStored(s3, stored)).toEqual(large);
    expect(await resolveStored(s3, small)).toBe(small);
  });
});
