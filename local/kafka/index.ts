import { BrokerLogSink } from './broker-log.ts';
import { offsetsTopicCompression } from './offsets-compression.ts';
import { Cluster, CONSUMER_OFFSETS, TRANSACTION_STATE } from './cluster/cluster.ts';
import { registerDataPlaneApis } from './handlers/index.ts';
import { BrokerServer } from './server/broker-server.ts';
import { NetworkFaults } from './server/network-faults.ts';
import { ApiRegistry } from './server/registry.ts';
import { invalidInput } from '../../lambdas/core/errors.ts';
import type { CoordinatorPlugin, InstallCoordinator } from './plugin.ts';
import { ClusterFaults } from './faults.ts';
import { installCoordinator } from './coordinator/index.ts';
import { startControlServer } from './control-server.ts';
import { releaseProfile, type ReleaseProfile } from './profiles/release-profiles.ts';

export { BrokerLogSink, formatBrokerLogLine, type BrokerLogLine, type BrokerLogger } from './broker-log.ts';
export { Cluster, CONSUMER_OFFSETS, TRANSACTION_STATE, type LeadershipChange, type PartitionState, type TopicState } from './cluster/cluster.ts';
export { PartitionLog, type IsolationLevel, type ReadResult } from './log/partition-log.ts';
export type { ClusterFaults } from './faults.ts';
export type { BrokerServer } from './server/broker-server.ts';
export { ApiRegistry, NO_RESPONSE, type ApiHandler } from './server/registry.ts';
export type { RequestContext } from './server/context.ts';
export type { CoordinatorEnv, CoordinatorFaults, CoordinatorPlugin, InstallCoordinator } from './plugin.ts';
export { DEFAULT_KAFKA_RELEASE, KAFKA_RELEASES, releaseProfile, type KafkaRelease, type ReleaseProfile } from './profiles/release-profiles.ts';

export interface LocalClusterOptions {
  /** group.consumer.heartbeat.interval.ms for KIP-848 groups on 4.x profiles (Kafka's default 5000) */
  consumerGroupHeartbeatIntervalMs?: number;
  /** broker count, ids 1..N (default 3) */
  brokers?: number;
  /** broker n listens on basePort+n-1; 0 = ports chosen by the OS (default) */
  basePort?: number;
  /** partitions of __consumer_offsets (default 50) */
  offsetsPartitions?: number;
  /** partitions of __transaction_state (default 50) */
  transactionPartitions?: number;
  /** SASL users by mechanism; when any is set, clients must authenticate */
  sasl?: { plain?: Record<string, string>; scramSha512?: Record<string, string> };
  /**
   * The Apache Kafka release the cluster plays: '3.9', '4.0' or '4.1' (default, the newest):
   * its ApiVersions, the OffsetCommitValue versions it writes, what a failed shard load leaves.
   */
  kafkaVersion?: string;
  /** one OffsetCommitValue version for every commit, overriding the release's rule */
  offsetCommitValueVersion?: 1 | 3 | 4;
  /** the broker setting offsets.topic.compression.codec: none (default), gzip, snappy, lz4 or zstd */
  offsetsTopicCompressionCodec?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** directory for one log file per broker (broker-N.log) */
  logDir?: string;
  /** auto.leader.rebalance.enable: a restarted broker gets its preferred leadership back at the next check (default true) */
  autoLeaderRebalance?: boolean;
  /** leader.imbalance.check.interval.seconds in ms (default Kafka's 300 s; tests pass a short one) */
  leaderImbalanceCheckIntervalMs?: number;
  /** offsets.retention.ms: how long offsets outlive their group's members (default Kafka's 7 days) */
  offsetsRetentionMs?: number;
  /** offsets.retention.check.interval.ms (default Kafka's 600 s; tests of expiry pass a short one) */
  offsetsRetentionCheckIntervalMs?: number;
  /** the coordinator plug-in; default: local/kafka/coordinator; false = none (data plane only) */
  coordinator?: InstallCoordinator | false;
}

export interface LocalCluster {
  bootstrapServers: string[];
  brokers: BrokerServer[];
  cluster: Cluster;
  /** the release the cluster plays */
  profile: ReleaseProfile;
  faults: ClusterFaults;
  logs: BrokerLogSink;
  registry: ApiRegistry;
  /** the loopback HTTP control endpoint, e.g. http://127.0.0.1:40123 */
  controlUrl: string;
  coordinator: CoordinatorPlugin | null;
  stop(): Promise<void>;
}

function positiveInt(field: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalidInput(field, `expected an integer from 1 to ${max}, got ${String(value)}`, `Pass ${field} between 1 and ${max}.`);
  }
  return value;
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const brokerCount = positiveInt('brokers', options.brokers ?? 3, 64);
  const offsetsPartitions = positiveInt('offsetsPartitions', options.offsetsPartitions ?? 50, 1000);
  const transactionPartitions = positiveInt('transactionPartitions', options.transactionPartitions ?? 50, 1000);
  const basePort = options.basePort ?? 0;
  if (!Number.isInteger(basePort) || basePort < 0 || basePort + brokerCount - 1 > 65535) {
    throw invalidInput('basePort', `expected 0 or a port with room for ${brokerCount} brokers, got ${String(basePort)}`, 'Pass 0 to let the OS choose.');
  }
  const profile = releaseProfile(options.kafkaVersion, 'kafkaVersion');
  const logs = new BrokerLogSink(options.logDir === undefined ? {} : { logDir: options.logDir });
  const brokerIds = Array.from({ length: brokerCount }, (_, i) => i + 1);
  const cluster = new Cluster({
    brokerIds,
    logs,
    ...(options.autoLeaderRebalance === undefined ? {} : { autoLeaderRebalance: options.autoLeaderRebalance }),
    ...(options.leaderImbalanceCheckIntervalMs === undefined ? {} : { leaderImbalanceCheckIntervalMs: options.leaderImbalanceCheckIntervalMs }),
  });
  const registry = new ApiRegistry(profile.apiVersions);
  const network = new NetworkFaults();
  const saslUsers = options.sasl ?? {};
  const saslRequired = Object.keys(saslUsers.plain ?? {}).length > 0 || Object.keys(saslUsers.scramSha512 ?? {}).length > 0;
  const sasl = registerDataPlaneApis(registry, { offsetsPartitions, transactionPartitions, sasl: saslUsers });

  const brokers = brokerIds.map(
    (brokerId) =>
      new BrokerServer({
        brokerId,
        cluster,
        registry,
        faults: network,
        port: basePort === 0 ? 0 : basePort + brokerId - 1,
        saslRequired,
        rawSaslToken: sasl.rawToken,
      }),
  );
  const started: BrokerServer[] = [];
  try {
    for (const broker of brokers) {
      const port = await broker.start();
      started.push(broker);
      cluster.brokerStarted(broker.brokerId, port);
      logs.forBroker(broker.brokerId).info(`[KafkaServer id=${broker.brokerId}] started`, 'kafka.server.KafkaServer');
    }
  } catch (error) {
    await Promise.all(started.map((b) => b.stop()));
    throw error;
  }
  const replication = Math.min(3, brokerCount);
  cluster.createTopic(CONSUMER_OFFSETS, { partitions: offsetsPartitions, replicationFactor: replication, internal: true });
  cluster.createTopic(TRANSACTION_STATE, { partitions: transactionPartitions, replicationFactor: replication, internal: true });

  const coordinator = await loadCoordinator(options.coordinator, {
    cluster,
    registry,
    logs,
    offsetsPartitions,
    transactionPartitions,
    offsetCommitValueVersion: options.offsetCommitValueVersion ?? { plain: profile.plainOffsetCommitValueVersion },
    loadFailure: profile.loadFailure,
    ...(profile.consumerGroups === null
      ? {}
      : {
          consumerGroups: {
            ...profile.consumerGroups,
            ...(options.consumerGroupHeartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.consumerGroupHeartbeatIntervalMs }),
          },
        }),
    offsetsTopicCompression: await offsetsTopicCompression(options.offsetsTopicCompressionCodec),
    ...(options.offsetsRetentionMs === undefined ? {} : { offsetsRetentionMs: positiveInt('offsetsRetentionMs', options.offsetsRetentionMs, Number.MAX_SAFE_INTEGER) }),
    ...(options.offsetsRetentionCheckIntervalMs === undefined
      ? {}
      : { offsetsRetentionCheckIntervalMs: positiveInt('offsetsRetentionCheckIntervalMs', options.offsetsRetentionCheckIntervalMs, Number.MAX_SAFE_INTEGER) }),
  });
  const faults = new ClusterFaults({ cluster, brokers, network, coordinator });
  const control = await startControlServer({ cluster, faults, brokers, coordinator });

  let stopped = false;
  return {
    bootstrapServers: brokers.map((b) => `${b.host}:${b.port}`),
    brokers,
    cluster,
    profile,
    faults,
    logs,
    registry,
    controlUrl: control.url,
    coordinator,
    async stop() {
      if (stopped) return;
      stopped = true;
      cluster.close();
      await control.close();
      await coordinator?.stop?.();
      await Promise.all(brokers.map((b) => b.stop()));
    },
  };
}

async function loadCoordinator(
  install: InstallCoordinator | false | undefined,
  env: Parameters<InstallCoordinator>[0],
): Promise<CoordinatorPlugin | null> {
  if (install === false) return null;
  return (install ?? installCoordinator)(env);
}
