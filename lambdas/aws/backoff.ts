/** Exponential backoff with full jitter, for AWS APIs with low per-account request rates. */
export interface BackoffOptions {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number; // [0, 1)
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const DEFAULT_BACKOFF: BackoffOptions = {
  maxRetries: 8,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  sleep: defaultSleep,
  random: Math.random,
};

/** The delay before retry number `attempt` (0-based): uniform in [0, min(max, base * 2^attempt)). */
export function backoffDelay(attempt: number, options: Pick<BackoffOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.floor(options.random() * ceiling);
}

/**
 * Runs `call`, retrying while `shouldRetry(error)` holds, up to maxRetries times.
 * `onRetry` sees every retried error (callers count throttles with it).
 */
export async function withBackoff<T>(
  call: () => Promise<T>,
  shouldRetry: (error: unknown) => boolean,
  options: BackoffOptions = DEFAULT_BACKOFF,
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= options.maxRetries || !shouldRetry(error)) throw error;
      const delay = backoffDelay(attempt, options);
      onRetry?.(error, attempt, delay);
      await options.sleep(delay);
    }
  }
}
