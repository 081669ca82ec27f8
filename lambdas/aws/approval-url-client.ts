/**
 * The approver's side of the IAM approval path: one POST to the stack's AWS_IAM function URL,
 * signed with SigV4 by the AWS SDK's own signer and the approver's credentials (the default
 * chain: environment, SSO, profile, instance role). Lambda verifies the signature and hands the
 * endpoint the caller's ARN.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { RecoveryError, invalidInput } from '../core/errors.ts';

/** Function URLs are signed for the service `lambda` in the function's region. */
export const FUNCTION_URL_SIGNING_SERVICE = 'lambda';

export interface SignedDecision {
  decision: 'approve' | 'reject';
  executionArn: string;
  planSha256: string;
  reason: string | null;
}

export interface SendDecisionOptions {
  url: string;
  region: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  fetch?: typeof fetch;
}

export interface DecisionAnswer {
  httpStatus: number;
  body: { status?: string; message?: string; field?: string; principalArn?: string; approvers?: Array<{ principalArn: string; at: string }> } | null;
  text: string;
}

/** The region of a function URL host (`<id>.lambda-url.<region>.on.aws`), or null for any other host. */
export function functionUrlRegion(url: URL): string | null {
  return /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname)?.[1] ?? null;
}

export function parseApprovalUrl(text: string, flag: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidInput(flag, `"${text}" is not a URL`, 'Copy --url from the approval message (the stack output ApprovalIamEndpointUrl)');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))) {
    throw invalidInput(flag, `"${text}" is not https`, 'Copy --url from the approval message (the stack output ApprovalIamEndpointUrl)');
  }
  return url;
}

export async function sendSignedDecision(decision: SignedDecision, options: SendDecisionOptions): Promise<DecisionAnswer> {
  const url = parseApprovalUrl(options.url, '--url');
  const body = JSON.stringify(decision);
  const signer = new SignatureV4({
    credentials: options.credentials ?? defaultProvider(),
    region: options.region,
    service: FUNCTION_URL_SIGNING_SERVICE,
    sha256: Hash.bind(null, 'sha256'),
  });
  let signed;
  try {
    signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    });
  } catch (error) {
    throw new RecoveryError('CONFIGURATION', `No AWS credentials to sign the decision with (${error instanceof Error ? error.message : String(error)}). Log in first (aws sso login, or AWS_PROFILE / AWS_ACCESS_KEY_ID).`, { cause: error });
  }
  const send = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await send(url, { method: 'POST', headers: signed.headers as Record<string, string>, body });
  } catch (error) {
    throw new RecoveryError('AWS_ERROR', `The approval URL ${url.origin} did not answer: ${error instanceof Error ? error.message : String(error)}. Check --url and your network, then run the same command again.`, {
      retryable: true,
      cause: error,
    });
  }
  const text = await response.text();
  let parsed: DecisionAnswer['body'];
  try {
    parsed = JSON.parse(text) as DecisionAnswer['body'];
  } catch {
    parsed = null; // AWS's own refusals (403 Forbidden) may not be JSON
  }
  return { httpStatus: response.status, body: parsed, text };
}
