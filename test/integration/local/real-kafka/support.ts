/**
 * Shared by the real-broker suites: whether a release can run here (a JDK and its cached jars),
 * and a describe() that, when it cannot, is skipped under a title that says why, so the run's
 * summary shows plainly that the suite did not run.
 */
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
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

/** Where `.ci/run` installs confluent-kafka (a virtualenv in the ignored cache), or CONFLUENT_KAFKA_PYTHON. */
const CONFLUENT_PYTHON = process.env['CONFLUENT_KAFKA_PYTHON'] ?? fileURLToPath(new URL('../../../../.cache/py/bin/python', import.meta.url));

let confluentProblem: string | null | undefined;

/** Why the confluent-kafka Python client cannot run here, or null when it can. */
export function confluentKafkaUnavailable(): string | null {
  if (confluentProblem !== undefined) return confluentProblem;
  try {
    execFileSync(CONFLUENT_PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore', timeout: 20_000 });
    confluentProblem = null;
  } catch {
    confluentProblem = 'confluent-kafka is not installed in .cache/py (`.ci/run` installs it: python3 -m venv .cache/py && .cache/py/bin/pip install confluent-kafka)';
  }
  return confluentProblem;
}

/** The Python that has confluent-kafka (check confluentKafkaUnavailable() first). */
export function confluentKafkaPython(): string {
  return CONFLUENT_PYTHON;
}

/**
 * describe() for a suite that needs real brokers of `version` (and, with `needsConfluentKafka`,
 * the confluent-kafka client); skipped with the reason in its title when they cannot run.
 */
export function describeRealKafka(version: string, title: string, body: () => void, options: { needsConfluentKafka?: boolean } = {}): void {
  const reason = realKafkaUnavailable(version) ?? (options.needsConfluentKafka === true ? confluentKafkaUnavailable() : null);
  if (reason === null) describe(`${title} (Apache Kafka ${version})`, body);
  else describe.skip(`${title} (Apache Kafka ${version}) [${NOT_RUN_MARK}: ${reason}]`, body);
}

export function clientFor(bootstrap: string[], clientId = 'oracle-it'): Kafka {
  return new Kafka({ clientId, brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

export function liveBootstrap(kafka: RealKafka): string[] {
  return kafka.brokers.filter((b) => b.running).map((b) => `${b.host}:${b.port}`);
}

// The retry of clean refusals, shared with the other tests that produce (test/support/wait.ts).
export { untilAccepted } from '../../../support/wait.ts';

/** A real broker's entry as a BrokerLogSink line (the incident stage copies them the same way). */
export { copyIntoSink } from '../../../../local/incident/real-kafka-stage.ts';
