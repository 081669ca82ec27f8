/**
 * Signed approval links: HMAC-SHA256 over (execution, approval id, expiry) with a key only the
 * stack knows. A link approves or rejects once: the first use writes a consumed marker with a
 * conditional put, and every later use finds it. Expiry matches the AwaitApproval timeout.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RecoveryError, invalidInput } from '../errors.ts';

export interface ApprovalLink {
  executionArn: string;
  approvalId: string;
  expiresAt: number; // epoch seconds
}

const SIGNATURE_VERSION = 'v1';

function canonical(link: ApprovalLink): string {
  return [SIGNATURE_VERSION, link.executionArn, link.approvalId, String(link.expiresAt)].join('\n');
}

export function signApprovalLink(link: ApprovalLink, key: string): string {
  if (key.length < 32) throw new RecoveryError('CONFIGURATION', 'The approval signing key is shorter than 32 characters; store a long random value in the signing secret');
  return createHmac('sha256', key).update(canonical(link)).digest('base64url');
}

export function approvalUrl(endpoint: string, link: ApprovalLink, key: string): string {
  const url = new URL(endpoint);
  url.searchParams.set('execution', link.executionArn);
  url.searchParams.set('approval', link.approvalId);
  url.searchParams.set('expires', String(link.expiresAt));
  url.searchParams.set('signature', signApprovalLink(link, key));
  return url.toString();
}

/** Reads the link back from query parameters; each error names the parameter. */
export function parseApprovalLink(params: Record<string, string | undefined>): { link: ApprovalLink; signature: string } {
  const required = (name: string): string => {
    const value = params[name];
    if (value === undefined || value === '') throw invalidInput(name, 'is missing from the link', 'Open the complete link from the approval message');
    return value;
  };
  const expires = Number(required('expires'));
  if (!Number.isInteger(expires) || expires <= 0) throw invalidInput('expires', 'is not a time', 'Open the complete link from the approval message');
  return { link: { executionArn: required('execution'), approvalId: required('approval'), expiresAt: expires }, signature: required('signature') };
}

export type LinkProblem = 'BAD_SIGNATURE' | 'EXPIRED';

/** null when the link is authentic and unexpired. Constant-time comparison. */
export function checkApprovalLink(link: ApprovalLink, signature: string, key: string, nowSeconds: number): LinkProblem | null {
  const expected = Buffer.from(signApprovalLink(link, key));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'BAD_SIGNATURE';
  if (nowSeconds >= link.expiresAt) return 'EXPIRED';
  return null;
}

/** The first key (current, then previous) whose signature the link carries, or null. */
export function keySigning(link: ApprovalLink, signature: string, keys: readonly (string | null)[]): string | null {
  for (const key of keys) {
    if (key === null) continue;
    const expected = Buffer.from(signApprovalLink(link, key));
    const given = Buffer.from(signature);
    if (expected.length === given.length && timingSafeEqual(expected, given)) return key;
  }
  return null;
}

/** Where consumed markers live; the S3 implementation uses If-None-Match: *. */
export interface ApprovalMarkerStore {
  /** true when this call created the marker, false when it already existed. */
  createIfAbsent(link: ApprovalLink, record: unknown): Promise<boolean>;
  /** Gives the link back: its decision never reached Step Functions, so it may be used again. */
  release(link: ApprovalLink): Promise<void>;
}

export type ConsumeResult = { consumed: true } | { consumed: false; problem: LinkProblem | 'ALREADY_USED' };

/** Verifies the link, then claims it; only one caller can ever get consumed: true. */
export async function consumeApprovalLink(
  store: ApprovalMarkerStore,
  link: ApprovalLink,
  signature: string,
  key: string,
  nowSeconds: number,
  record: unknown,
): Promise<ConsumeResult> {
  const problem = checkApprovalLink(link, signature, key, nowSeconds);
  if (problem !== null) return { consumed: false, problem };
  return (await store.createIfAbsent(link, record)) ? { consumed: true } : { consumed: false, problem: 'ALREADY_USED' };
}
