import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut, TaskDoesNotExist, InvalidToken } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SNS_MESSAGE_LIMIT_BYTES, fitSnsMessage, publishNotification, snsSubject } from '../../../lambdas/aws/notifications.ts';
import { getSecretString, parseScramSecret } from '../../../lambdas/aws/secrets.ts';
import { sendTaskFailure, sendTaskSuccess } from '../../../lambdas/aws/step-functions.ts';

const sfnMock = mockClient(SFNClient);
const snsMock = mockClient(SNSClient);
const secretsMock = mockClient(SecretsManagerClient);
afterEach(() => {
  sfnMock.reset();
  snsMock.reset();
  secretsMock.reset();
});

describe('Step Functions task tokens', () => {
  const sfn = new SFNClient({ region: 'us-east-1' });

  it('sends the output as JSON and the failure with error and cause', async () => {
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    sfnMock.on(SendTaskFailureCommand).resolves({});
    await sendTaskSuccess(sfn, 'tok', { approved: true });
    await sendTaskFailure(sfn, 'tok', 'ApprovalRejected', 'x'.repeat(40_000));
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({ taskToken: 'tok', output: '{"approved":true}' });
    const failure = sfnMock.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(failure.error).toBe('ApprovalRejected');
    expect(failure.cause).toHaveLength(32_768);
  });

  it.each([
    [new TaskTimedOut({ message: 'timed out', $metadata: {} }), 'NOT_FOUND', /timed out/],
    [new TaskDoesNotExist({ message: 'gone', $metadata: {} }), 'NOT_FOUND', /no longer exists/],
    [new InvalidToken({ message: 'bad', $metadata: {} }), 'INVALID_INPUT', /^taskToken:/],
  ])('explains %s', async (error, code, message) => {
    sfnMock.on(SendTaskSuccessCommand).rejects(error);
    await expect(sendTaskSuccess(sfn, 'tok', {})).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });
});

describe('SNS', () => {
  const sns = new SNSClient({ region: 'us-east-1' });

  it('publishes with an ASCII subject of at most 100 characters', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const id = await publishNotification(sns, 'arn:aws:sns:us-east-1:123456789012:approvals', `Approve → ${'g'.repeat(200)}`, 'body');
    expect(id).toBe('m-1');
    const input = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.Subject).toMatch(/^Approve \? g+\.\.\.$/);
    expect(input.Subject).toHaveLength(100);
    expect(snsSubject('short')).toBe('short');
  });

  it('cuts a message over the SNS limit and says where the full text is', () => {
    const long = 'line\n'.repeat(100_000);
    const fitted = fitSnsMessage(long, 's3://artifacts/plan.json');
    expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(SNS_MESSAGE_LIMIT_BYTES);
    expect(fitted).toMatch(/full text is in s3:\/\/artifacts\/plan\.json/);
    expect(fitSnsMessage('short', 'x')).toBe('short');
  });

  it('wraps publish failures as AWS_ERROR', async () => {
    snsMock.on(PublishCommand).rejects(Object.assign(new Error('denied'), { name: 'AuthorizationErrorException' }));
    await expect(publishNotification(sns, 'arn:aws:sns:us-east-1:1:t', 's', 'm')).rejects.toMatchObject({ code: 'AWS_ERROR', details: { awsErrorName: 'AuthorizationErrorException' } });
  });
});

describe('Secrets Manager', () => {
  const secrets = new SecretsManagerClient({ region: 'us-east-1' });

  it('reads a SCRAM secret and checks its shape', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"recovery","password":"s3cret"}' });
    const text = await getSecretString(secrets, 'arn:secret:AmazonMSK_recovery');
    expect(parseScramSecret('arn:secret:AmazonMSK_recovery', text)).toEqual({ username: 'recovery', password: 's3cret' });
    expect(() => parseScramSecret('arn:secret:x', '{"user":"a"}')).toThrow(/"username".*"password"/);
    expect(() => parseScramSecret('arn:secret:x', 'not json')).toThrow(/not an MSK SCRAM secret/);
  });

  it('names the secret when it does not exist', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'nope', $metadata: {} }));
    await expect(getSecretString(secrets, 'arn:secret:missing')).rejects.toMatchObject({ code: 'CONFIGURATION', message: expect.stringContaining('arn:secret:missing') });
  });
});
