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
import { createLocalRunbook, type LocalRunbook } from '../stepfunctions/index.ts';
import type { RecoveryConfig } from '../../lib/config.ts';

/** Kafka's default partition count for __consumer_offsets, so group -> shard hashing looks as on MSK. */
export const OFFSETS_PARTITIONS = 50;
export const CLUSTER_NAME = 'orders-local';

export interface IncidentEnvironment {
  local: LocalCluster;
  aws: AwsStandins;
  runbook: LocalRunbook;
  /** The application's client (producers, consumers, admin). */
  kafka: Kafka;
  /** The operator's read-only look, as the CLI and the Lambdas have it. */
  port: KafkaPort;
  /** Stops everything, clients first; safe to call twice. */
  stop(): Promise<void>;
}

export interface IncidentEnvironmentOptions {
  /** The release the local cluster plays (default its newest); 3.9 loses offsets on a failed load instead of failing the shard. */
  kafkaVersion?: KafkaRelease;
  /** Stack configuration over the example (e.g. a targetGroupPattern that lets groups be restored in place). */
  config?: Partial<RecoveryConfig>;
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
    });
    stops.push(() => runbook.close());
    const port = createKafkaPort({ brokers: local.bootstrapServers, clientId: 'incident-operator' });
    stops.push(() => port.close());
    const kafka = new Kafka({ clientId: 'orders-app', brokers: local.bootstrapServers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
    return { local, aws, runbook, kafka, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
