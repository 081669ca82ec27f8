import { afterEach, describe, expect, it, vi } from 'vitest';

const generateAuthToken = vi.fn(async ({ region }: { region: string }) => ({ token: `signed-for-${region}`, expiryTime: Date.now() + 900_000 }));
vi.mock('aws-msk-iam-sasl-signer-js', () => ({ generateAuthToken }));

const { toKafkajsSasl } = await import('../../../lambdas/kafka/auth.ts');

afterEach(() => generateAuthToken.mockClear());

describe('toKafkajsSasl', () => {
  it('wires MSK IAM as OAUTHBEARER with a token from the MSK signer', async () => {
    const sasl = toKafkajsSasl({ mechanism: 'aws-msk-iam', region: 'eu-central-1' });
    expect(sasl?.mechanism).toBe('oauthbearer');
    if (sasl?.mechanism !== 'oauthbearer') throw new Error('unreachable');
    await expect(sasl.oauthBearerProvider()).resolves.toEqual({ value: 'signed-for-eu-central-1' });
    expect(generateAuthToken).toHaveBeenCalledWith({ region: 'eu-central-1' });
  });

  it('asks the signer again for every authentication, so expired tokens are replaced', async () => {
    const sasl = toKafkajsSasl({ mechanism: 'aws-msk-iam', region: 'us-east-1' });
    if (sasl?.mechanism !== 'oauthbearer') throw new Error('unreachable');
    await sasl.oauthBearerProvider();
    await sasl.oauthBearerProvider();
    expect(generateAuthToken).toHaveBeenCalledTimes(2);
  });

  it('reports a signing failure as a configuration problem naming the region', async () => {
    generateAuthToken.mockRejectedValueOnce(new Error('Could not load credentials from any providers'));
    const sasl = toKafkajsSasl({ mechanism: 'aws-msk-iam', region: 'ap-south-1' });
    if (sasl?.mechanism !== 'oauthbearer') throw new Error('unreachable');
    await expect(sasl.oauthBearerProvider()).rejects.toMatchObject({ code: 'CONFIGURATION', message: expect.stringContaining('ap-south-1') });
  });

  it('passes SCRAM and PLAIN credentials through and leaves plaintext alone', () => {
    expect(toKafkajsSasl({ mechanism: 'scram-sha-512', username: 'u', password: 'p' })).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(toKafkajsSasl({ mechanism: 'plain', username: 'u', password: 'p' })).toEqual({ mechanism: 'plain', username: 'u', password: 'p' });
    expect(toKafkajsSasl(undefined)).toBeUndefined();
    expect(generateAuthToken).not.toHaveBeenCalled();
  });
});
