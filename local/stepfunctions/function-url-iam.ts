/**
 * What a function URL with AWS_IAM auth does before the function runs: verify the SigV4
 * signature and name the caller. The local stand-in knows a table of test credentials (access
 * key -> secret key and principal ARN) and verifies by signing the same request again with the
 * SDK's own signer; the only crypto here is comparing the two signatures. Anything unsigned,
 * unknown, stale or tampered gets the 403 a function URL answers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface TestPrincipal {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** What Lambda reports as requestContext.authorizer.iam.userArn, e.g. arn:aws:sts::<account>:assumed-role/<role>/<session>. */
  principalArn: string;
}

export interface IamAuthorizer {
  accessKey: string;
  accountId: string;
  callerId: string;
  cognitoIdentity: null;
  principalOrgId: null;
  userArn: string;
  userId: string;
}

export interface SignedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

/** AWS accepts a signature made up to five minutes before or after it arrives. */
const MAX_SKEW_MS = 5 * 60_000;
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

export type Verification = { ok: true; identity: IamAuthorizer } | { ok: false; reason: string };

function signingDate(amzDate: string | undefined): Date | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate ?? '');
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

function identityOf(principal: TestPrincipal): IamAuthorizer {
  const id = `AROA${createHash('sha256').update(principal.principalArn).digest('hex').slice(0, 16).toUpperCase()}`;
  return {
    accessKey: principal.accessKeyId,
    accountId: principal.principalArn.split(':')[4] ?? '',
    callerId: id,
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: principal.principalArn,
    userId: id,
  };
}

export async function verifySignedRequest(request: SignedRequest, principals: readonly TestPrincipal[], region: string, now: Date = new Date()): Promise<Verification> {
  const header = request.headers['authorization'];
  const parsed = header === undefined ? null : AUTHORIZATION.exec(header);
  if (!parsed) return { ok: false, reason: 'no SigV4 Authorization header' };
  const [, accessKeyId, day, scopeRegion, service, signedHeaderList, signature] = parsed as unknown as [string, string, string, string, string, string, string];
  const principal = principals.find((p) => p.accessKeyId === accessKeyId);
  if (!principal) return { ok: false, reason: `unknown access key ${accessKeyId}` };
  if (scopeRegion !== region || service !== 'lambda') return { ok: false, reason: `signed for ${scopeRegion}/${service}, not ${region}/lambda` };
  const date = signingDate(request.headers['x-amz-date']);
  if (!date || date.toISOString().slice(0, 10).replace(/-/g, '') !== day) return { ok: false, reason: 'x-amz-date missing or not the credential scope\'s day' };
  if (Math.abs(now.getTime() - date.getTime()) > MAX_SKEW_MS) return { ok: false, reason: 'signature expired (more than five minutes of skew)' };
  if (principal.sessionToken !== undefined && request.headers['x-amz-security-token'] !== principal.sessionToken) return { ok: false, reason: 'session token missing or wrong' };

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return { ok: false, reason: 'host is not signed' };
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return { ok: false, reason: `signed header ${name} is missing` };
    headers[name] = value;
  }
  // The signer trusts a declared payload hash; the body that arrived is what must have been signed.
  if (headers['x-amz-content-sha256'] !== undefined) headers['x-amz-content-sha256'] = createHash('sha256').update(request.body).digest('hex');
  const signer = new SignatureV4({
    credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey, ...(principal.sessionToken ? { sessionToken: principal.sessionToken } : {}) },
    region,
    service: 'lambda',
    sha256: Hash.bind(null, 'sha256'),
  });
  const again = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      path: request.url.pathname,
      query: Object.fromEntries(request.url.searchParams),
      headers,
      body: request.body.length > 0 ? request.body.toString('utf8') : undefined,
    },
    { signingDate: date, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(again.headers['authorization']))?.[1] ?? '';
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(Buffer.from(expected), given)) return { ok: false, reason: 'signature does not match' };
  return { ok: true, identity: identityOf(principal) };
}
