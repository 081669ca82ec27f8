/** The one bounded wait of the tests that poll: what they wait for is named in the failure. */

/**
 * Polls `probe` until it returns something other than undefined (a condition reads
 * `() => condition || undefined`), backing off from 20 to 100 ms; fails naming `what` after
 * `timeoutMs`.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 100);
  }
}
