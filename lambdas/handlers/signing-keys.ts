/**
 * The link signing key, kept across invocations of a warm container so that checking a link
 * costs no AWS call: a flood of forged links is answered from memory. The previous key version
 * (AWSPREVIOUS) is kept too, so links mailed just before a rotation still work. A link that
 * matches neither may have been signed after a rotation this container has not seen; the keys
 * are fetched again then, but at most once per REFRESH_AFTER_MISMATCH_MS.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getPreviousSecretString, getSecretString } from '../aws/secrets.ts';

export const KEY_TTL_MS = 5 * 60_000;
export const REFRESH_AFTER_MISMATCH_MS = 60_000;

export interface SigningKeys {
  current: string;
  previous: string | null;
}

export class SigningKeyCache {
  private keys: SigningKeys | null = null;
  private fetchedAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The keys, fetched when none are cached or the cached ones are older than KEY_TTL_MS. */
  async get(secrets: SecretsManagerClient, secretArn: string): Promise<SigningKeys> {
    if (this.keys === null || this.now() - this.fetchedAt >= KEY_TTL_MS) await this.fetch(secrets, secretArn);
    return this.keys!;
  }

  /**
   * After a link matched no cached key: fetches again if the last fetch is old enough and says
   * whether the keys changed (only then is a second check worth it).
   */
  async refreshAfterMismatch(secrets: SecretsManagerClient, secretArn: string): Promise<boolean> {
    if (this.keys !== null && this.now() - this.fetchedAt < REFRESH_AFTER_MISMATCH_MS) return false;
    const before = this.keys;
    await this.fetch(secrets, secretArn);
    return before === null || before.current !== this.keys!.current || before.previous !== this.keys!.previous;
  }

  private async fetch(secrets: SecretsManagerClient, secretArn: string): Promise<void> {
    const [current, previous] = await Promise.all([getSecretString(secrets, secretArn), getPreviousSecretString(secrets, secretArn)]);
    this.keys = { current, previous };
    this.fetchedAt = this.now();
  }
}
