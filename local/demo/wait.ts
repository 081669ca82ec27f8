/** Bounded waits by condition that Ctrl-C (an AbortSignal) ends at once. */
import { RecoveryError } from '../../lambdas/core/errors.ts';

export function interrupted(): RecoveryError {
  return new RecoveryError('SCAN_INTERRUPTED', 'interrupted (Ctrl-C)', { details: { interrupted: true } });
}

export function isInterruption(error: unknown): boolean {
  return error instanceof RecoveryError && error.details['interrupted'] === true;
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw interrupted();
}

export function pause(ms: number, signal: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(interrupted());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls `probe` (backing off to 200 ms) until it returns a value; fails naming `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, signal: AbortSignal, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    throwIfAborted(signal);
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new RecoveryError('KAFKA_UNAVAILABLE', `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    }
    await pause(delay, signal);
    delay = Math.min(delay * 2, 200);
  }
}
