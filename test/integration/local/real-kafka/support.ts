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
