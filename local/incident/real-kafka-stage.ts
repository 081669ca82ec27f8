/**
 * The incident's Kafka side on real Apache Kafka brokers (`local/real-kafka`): three KRaft nodes
 * on loopback, and the failure made as on a real cluster, an offset commit record the
 * coordinator cannot read appended to the shard, then its leader killed, so the next leader's
 * load stops at the record and the shard is FAILED with Kafka's own log line. The brokers' log
 * entries are copied into a BrokerLogSink, where the CloudWatch Logs stand-in serves them.
 */
import { execFileSync } from 'node:child_process';
import { RecoveryError } from '../../lambdas/core/errors.ts';
import { BrokerLogSink } from '../kafka/broker-log.ts';
import type { BrokerLogLevel } from '../kafka/broker-log.ts';
import type { RealBrokerLogEntry } from '../real-kafka/broker-log-file.ts';
import { cachedClasspath } from '../real-kafka/release-jars.ts';
import { startRealKafka, type RealKafka } from '../real-kafka/real-kafka.ts';
import { appendUnreplayableCommit } from '../real-kafka/unreplayable-record.ts';

/** The brokers an incident plays on, local or real: what the demo needs of them. */
export interface IncidentStage {
  /** e.g. "local cluster, Kafka 4.1 profile" or "Apache Kafka 4.4.0, real brokers" */
  label: string;
  /** brokers that are up now */
  brokers(): Array<{ brokerId: number; host: string; port: number }>;
  bootstrapServers(): string[];
  logs: BrokerLogSink;
  /** the local cluster's control endpoint; null on real brokers */
  controlUrl: string | null;
  /** makes the shard FAILED for `group`: every group call answers NOT_COORDINATOR */
  failCoordinator(partition: number, target: { group: string; topic: string; leader: number }): Promise<void>;
  stop(): Promise<void>;
}

/** A real broker's entry as a BrokerLogSink line: the message between the header and the logger, continuation lines kept. */
export function copyIntoSink(sink: BrokerLogSink, entry: RealBrokerLogEntry): void {
  const header = /^\[[^\]]+\] [A-Z]+ /;
  const lines = entry.text.split('\n');
  const first = lines[0]!.replace(header, '').replace(/ \([\w.$]+\)$/, '');
  const level: BrokerLogLevel = entry.level === 'FATAL' ? 'ERROR' : (entry.level as BrokerLogLevel);
  sink.write(entry.brokerId, level, [first, ...lines.slice(1)].join('\n'), entry.logger ?? 'kafka');
}

export function javaOnPath(): boolean {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** Why the demo cannot run on Apache Kafka `version` here, and the fix; null when it can. */
export function realKafkaProblem(version: string, javaFound: boolean): { problem: string; fix: string } | null {
  if (!javaFound) return { problem: 'needs a JDK 17 (`java` on the PATH), and there is none', fix: 'Install one (apt-get install openjdk-17-jre-headless), or omit --kafka to play on the local cluster' };
  if (cachedClasspath(version) === null) {
    return { problem: `needs the jars of Apache Kafka ${version}, which are not cached`, fix: `Fetch them once with \`npm run -s real-kafka -- fetch ${version}\` (Maven needed), or omit --kafka` };
  }
  if (/^3\./.test(version)) {
    return { problem: `plays a FAILED shard, which Kafka ${version}'s classic coordinator does not leave (it serves the shard with the offsets lost)`, fix: 'Use a 4.x release, e.g. --kafka real' };
  }
  return null;
}

export async function startRealKafkaStage(version: string, offsetsPartitions: number): Promise<IncidentStage & { real: RealKafka }> {
  // Leadership must stay where the failure left it: no preferred-leader election moves the shard back.
  const real = await startRealKafka({ version, brokers: 3, offsetsPartitions, transactionPartitions: 3, overrides: { 'auto.leader.rebalance.enable': false } });
  const logs = new BrokerLogSink();
  const copied = new Map<number, number>();
  const copyNewEntries = (): void => {
    for (const broker of real.brokers) {
      const entries = real.logEntries(broker.id);
      for (const entry of entries.slice(copied.get(broker.id) ?? 0)) copyIntoSink(logs, entry);
      copied.set(broker.id, entries.length);
    }
  };
  const timer = setInterval(copyNewEntries, 500);
  timer.unref();
  const live = (): RealKafka['brokers'] => real.brokers.filter((b) => b.running);
  return {
    real,
    label: `Apache Kafka ${version}, real brokers`,
    brokers: () => live().map((b) => ({ brokerId: b.id, host: b.host, port: b.port })),
    bootstrapServers: () => live().map((b) => `${b.host}:${b.port}`),
    logs,
    controlUrl: null,
    async failCoordinator(partition, target) {
      await appendUnreplayableCommit(live().map((b) => `${b.host}:${b.port}`), { group: target.group, topic: target.topic, partition: 0, offsetsPartition: partition });
      // The leader dies; another replica takes the shard over and its load stops at the record.
      await real.killBroker(target.leader);
      const line = await real.waitForLog(new RegExp(`Failed to load metadata from __consumer_offsets-${partition}\\b`), { timeoutMs: 60_000 });
      copyNewEntries();
      if (line.brokerId === target.leader) throw new RecoveryError('KAFKA_ERROR', `broker ${target.leader} was to be killed but printed the load failure`);
    },
    async stop() {
      clearInterval(timer);
      await real.stop();
    },
  };
}
