/**
 * The files a real broker starts from: server.properties for one combined broker+controller
 * node of a static KRaft quorum on loopback, and a logging configuration that writes the
 * broker's lines in Kafka's own layout (`[time] LEVEL message (logger)`) to one file.
 */
import { randomBytes } from 'node:crypto';
import type { ReleaseVersion } from './release-jars.ts';
import { loggingBackend } from './release-jars.ts';

export interface NodeAddress {
  id: number;
  brokerPort: number;
  controllerPort: number;
}

export interface BrokerConfigInput {
  node: NodeAddress;
  quorum: NodeAddress[];
  dataDir: string;
  offsetsPartitions: number;
  transactionPartitions: number;
  /** extra or overriding broker settings */
  overrides?: Record<string, string | number | boolean>;
}

export function serverProperties(input: BrokerConfigInput): string {
  const replication = Math.min(3, input.quorum.length);
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': input.node.id,
    'controller.quorum.voters': input.quorum.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${input.node.brokerPort},CONTROLLER://127.0.0.1:${input.node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${input.node.brokerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': input.dataDir,
    'num.partitions': 1,
    'default.replication.factor': replication,
    'min.insync.replicas': 1,
    'offsets.topic.num.partitions': input.offsetsPartitions,
    'offsets.topic.replication.factor': replication,
    'transaction.state.log.num.partitions': input.transactionPartitions,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': replication,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': false,
    // A small footprint: the machine is shared and the tests move a few thousand records.
    'num.network.threads': 2,
    'num.io.threads': 2,
    'background.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.threads': 1,
    'log.cleaner.dedupe.buffer.size': 8 * 1024 * 1024,
    'log.segment.bytes': 16 * 1024 * 1024,
    'offsets.load.buffer.size': 1024 * 1024,
    ...input.overrides,
  };
  return Object.entries(settings)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')
    .concat('\n');
}

/** Kafka's own console layout, so lines read exactly as on a broker (and in CloudWatch on MSK). */
export const BROKER_LOG_PATTERN = '[%d] %p %m (%c)%n';

export function loggingConfig(version: ReleaseVersion, logFile: string): { fileName: string; text: string; jvmFlag: string } {
  if (loggingBackend(version) === 'log4j2') {
    const text = [
      'status = warn',
      'appender.file.type = File',
      'appender.file.name = FILE',
      `appender.file.fileName = ${logFile}`,
      'appender.file.immediateFlush = true',
      'appender.file.layout.type = PatternLayout',
      `appender.file.layout.pattern = ${BROKER_LOG_PATTERN}`,
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.file.ref = FILE',
      '',
    ].join('\n');
    return { fileName: 'log4j2.properties', text, jvmFlag: '-Dlog4j2.configurationFile=' };
  }
  const text = [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.ImmediateFlush=true',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    `log4j.appender.file.layout.ConversionPattern=${BROKER_LOG_PATTERN}`,
    '',
  ].join('\n');
  return { fileName: 'log4j.properties', text, jvmFlag: '-Dlog4j.configuration=file:' };
}

/**
 * Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding. Like Kafka's own
 * Uuid.randomUuid, never one that starts with '-': kafka-storage's argument parser reads such an
 * id as an option and refuses the format (one id in 64 would fail the start).
 */
export function newClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
