/** The tests' bounded waits: polling until something holds, and retrying what Kafka refused cleanly. Each failure names what it waited for. */

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

/** Kafka's answers that say a request was refused before anything was written, and may succeed later. */
const REFUSALS = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS']);

/**
 * Runs `action` until it succeeds (or `timeoutMs` passes): right after a topic is created, the
 * other brokers of a real cluster may not know it yet and answer UNKNOWN_TOPIC_OR_PARTITION.
 */
export async function untilAccepted<T>(what: string, action: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      // Only clean refusals are retried: a write that may have landed must not be sent twice.
      const type = (error as { type?: string; cause?: { type?: string } }).type ?? (error as { cause?: { type?: string } }).cause?.type;
      if (type === undefined || !REFUSALS.has(type)) throw error;
      if (Date.now() > deadline) throw new Error(`${what} kept failing: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
