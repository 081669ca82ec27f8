/**
 * The incident's stage, started and stopped as one: the 3-broker local cluster, the AWS
 * stand-ins describing it, the synthesized runbook on the local runner, a kafkajs client for
 * the application side and the toolkit's Kafka port for the operator's look at a group. The
 * demo and the end-to-end tests both play on it, so they exercise the same thing.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaPort } from '../../lambdas/core/ports.ts';
import { createKafkaPort } from '../../lambdas/kafka/index.ts';
import { startAwsStandins, type AwsStandins } from '../aws/index.ts';
import { startLocalCluster, type LocalCluster } from '../kafka/index.ts';
import type { KafkaRelease } from '../kafka/profiles/release-profiles.ts';
import { createLocalRunbook, type LocalRunbook, type TestPrincipal } from '../stepfunctions/index.ts';
import type { RecoveryConfig } from '../../lib/config.ts';
import { startRealKafkaStage, type IncidentStage } from './real-kafka-stage.ts';

export type { IncidentStage };

/** Kafka's default partition count for __consumer_offsets, so group -> shard hashing looks as on MSK. */
export const OFFSETS_PARTITIONS = 50;
export const CLUSTER_NAME = 'orders-local';

/** What a story needs, on the local cluster or on real brokers. */
export interface IncidentStageEnvironment {
  stage: IncidentStage;
  aws: AwsStandins;
  runbook: LocalRunbook;
  /** The application's client (producers, consumers, admin). */
  kafka: Kafka;
  /** The operator's read-only look, as the CLI and the Lambdas have it. */
  port: KafkaPort;
  /** Stops everything, clients first; safe to call twice. */
  stop(): Promise<void>;
}

export interface IncidentEnvironment extends IncidentStageEnvironment {
  local: LocalCluster;
}

/** The local cluster as an incident stage: its fault injection makes the shard FAILED. */
function localStage(local: LocalCluster): IncidentStage {
  return {
    label: `local cluster, Kafka ${local.profile.release} profile`,
    brokers: () => local.brokers.map((b) => ({ brokerId: b.brokerId, host: b.host, port: b.port })),
    bootstrapServers: () => local.bootstrapServers,
    logs: local.logs,
    controlUrl: local.controlUrl,
    failCoordinator: (partition, target) => local.faults.failCoordinator(partition, { group: target.group }),
    stop: () => local.stop(),
  };
}

export interface IncidentEnvironmentOptions {
  /** The release the local cluster plays (default its newest); 3.9 loses offsets on a failed load instead of failing the shard. */
  kafkaVersion?: KafkaRelease;
  /** Stack configuration over the example (e.g. a targetGroupPattern that lets groups be restored in place). */
  config?: Partial<RecoveryConfig>;
  /** Who the AWS_IAM approval URL knows (test credentials and the principal ARN each stands for). */
  approvers?: readonly TestPrincipal[];
  /** Every Lambda's timeout in seconds instead of the synthesized ones (enforced by the runner). */
  lambdaTimeoutSeconds?: number;
}

export async function startIncidentEnvironment(options: IncidentEnvironmentOptions = {}): Promise<IncidentEnvironment> {
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    // Last started, first stopped: clients before the servers they talk to.
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const local = await startLocalCluster({ brokers: 3, offsetsPartitions: OFFSETS_PARTITIONS, transactionPartitions: 3, ...(options.kafkaVersion ? { kafkaVersion: options.kafkaVersion } : {}) });
    stops.push(() => local.stop());
    const aws = await startAwsStandins({ cluster: local, clusterName: CLUSTER_NAME });
    stops.push(() => aws.stop());
    const runbook = await createLocalRunbook({
      aws,
      ...(options.config ? { config: options.config } : {}),
      ...(options.lambdaTimeoutSeconds === undefined ? {} : { lambdaTimeoutSeconds: options.lambdaTimeoutSeconds }),
      ...(options.approvers ? { approvers: options.approvers } : {}),
    });
    stops.push(() => runbook.close());
    const port = createKafkaPort({ brokers: local.bootstrapServers, clientId: 'incident-operator' });
    stops.push(() => port.close());
    const kafka = new Kafka({ clientId: 'orders-app', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
    return { local, stage: localStage(local), aws, runbook, kafka, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The same stage on real Apache Kafka `version` (three KRaft nodes through `local/real-kafka`):
 * clients follow the brokers that are up, since the failure kills one.
 */
export async function startRealIncidentEnvironment(version: string, options: Pick<IncidentEnvironmentOptions, 'config'> = {}): Promise<IncidentStageEnvironment> {
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const stage = await startRealKafkaStage(version, OFFSETS_PARTITIONS);
    stops.push(() => stage.stop());
    const aws = await startAwsStandins({ cluster: { get brokers() { return stage.brokers(); }, logs: stage.logs }, clusterName: CLUSTER_NAME, kafkaVersion: version });
    stops.push(() => aws.stop());
    const runbook = await createLocalRunbook({ aws, ...(options.config ? { config: options.config } : {}) });
    stops.push(() => runbook.close());
    const port = followingPort(stage);
    stops.push(() => port.close());
    const kafka = new Kafka({ clientId: 'orders-app', brokers: () => stage.bootstrapServers(), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
    return { stage, aws, runbook, kafka, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The operator's port, re-created on the brokers that are up whenever that set changes. */
function followingPort(stage: IncidentStage): KafkaPort {
  let bootstrap = stage.bootstrapServers().join(',');
  let current = createKafkaPort({ brokers: stage.bootstrapServers(), clientId: 'incident-operator' });
  const now = (): KafkaPort => {
    const live = stage.bootstrapServers().join(',');
    if (live !== bootstrap) {
      void current.close().catch(() => undefined);
      bootstrap = live;
      current = createKafkaPort({ brokers: stage.bootstrapServers(), clientId: 'incident-operator' });
    }
    return current;
  };
  return new Proxy({} as KafkaPort, {
    get: (_target, key) => {
      const port = key === 'close' ? current : now();
      const value = (port as unknown as Record<PropertyKey, unknown>)[key];
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(port) : value;
    },
  });
}
