/**
 * Shared by the real-broker suites: whether a release can run here (a JDK and its cached jars),
 * and a describe() that, when it cannot, is skipped under a title that says why, so the run's
 * summary shows plainly that the suite did not run.
 */
import { execFileSync } from 'node:child_process';
import { describe } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { cachedClasspath } from '../../../../local/real-kafka/release-jars.ts';
import type { RealKafka } from '../../../../local/real-kafka/real-kafka.ts';

export const NOT_RUN_MARK = 'real Kafka suite not run';

let javaProblem: string | null | undefined;

function javaUnavailable(): string | null {
  if (javaProblem !== undefined) return javaProblem;
  try {
    const out = execFileSync('java', ['-version'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 20_000 });
    void out;
    javaProblem = null;
  } catch {
    javaProblem = 'no `java` on the PATH (install a JDK 17)';
  }
  return javaProblem;
}

/** Why Apache Kafka `version` cannot run in this checkout, or null when it can. */
export function realKafkaUnavailable(version: string): string | null {
  const java = javaUnavailable();
  if (java !== null) return java;
  if (cachedClasspath(version) === null) return `the jars of Apache Kafka ${version} are not cached (run \`npm run real-kafka -- fetch ${version}\`; .ci/run does)`;
  return null;
}

/** describe() for a suite that needs real brokers of `version`; skipped with the reason in its title when they cannot run. */
export function describeRealKafka(version: string, title: string, body: () => void): void {
  const reason = realKafkaUnavailable(version);
  if (reason === null) describe(`${title} (Apache Kafka ${version})`, body);
  else describe.skip(`${title} (Apache Kafka ${version}) [${NOT_RUN_MARK}: ${reason}]`, body);
}

export function clientFor(bootstrap: string[], clientId = 'oracle-it'): Kafka {
  return new Kafka({ clientId, brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

export function liveBootstrap(kafka: RealKafka): string[] {
  return kafka.brokers.filter((b) => b.running).map((b) => `${b.host}:${b.port}`);
}

/**
 * Runs `action` until it succeeds (or `timeoutMs` passes): right after a topic is created, the
 * other brokers of a real cluster may not know it yet and answer UNKNOWN_TOPIC_OR_PARTITION.
 */
const REFUSALS = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS']);

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

/** A real broker's entry as a BrokerLogSink line (the incident stage copies them the same way). */
export { copyIntoSink } from '../../../../local/incident/real-kafka-stage.ts';
