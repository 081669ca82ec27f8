import { BrokerLogSink } from '../../../../../local/kafka/broker-log.ts';
import { Cluster, CONSUMER_OFFSETS, TRANSACTION_STATE } from '../../../../../local/kafka/cluster/cluster.ts';
import { installCoordinator } from '../../../../../local/kafka/coordinator/index.ts';
import { FetchSessions } from '../../../../../local/kafka/handlers/fetch-sessions.ts';
import { findCoordinatorApi } from '../../../../../local/kafka/handlers/find-coordinator.ts';
import type { CoordinatorEnv } from '../../../../../local/kafka/plugin.ts';
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse } from '../../../../../local/kafka/protocol/codec.ts';
import type { RequestContext } from '../../../../../local/kafka/server/context.ts';
import { ApiRegistry, type ProtocolValue } from '../../../../../local/kafka/server/registry.ts';
import { partitionForGroup } from '../../../../../lambdas/core/hash.ts';

/**
 * A 3-broker cluster model with the coordinator plug-in and no sockets: each call goes through
 * the real request and response codecs at the version under test, so a field a handler forgets
 * or fills with the wrong type fails here, not in a client.
 */
export interface WireHarness {
  cluster: Cluster;
  logs: BrokerLogSink;
  registry: ApiRegistry;
  plugin: ReturnType<typeof installCoordinator>;
  call(apiKey: number, version: number, body: ProtocolValue, brokerId?: number, clientId?: string): Promise<ProtocolValue>;
  leaderOf(groupId: string): number;
  stop(): void;
}

export interface WireHarnessOptions {
  /** Application topics to create, with their partition counts. */
  topics?: Record<string, number>;
  /** Also serve the data plane's FindCoordinator, through which clients reach the coordinator. */
  findCoordinator?: boolean;
}

export function wireHarness(offsetsPartitions: number, env: Partial<CoordinatorEnv> = {}, options: WireHarnessOptions = {}): WireHarness {
  const logs = new BrokerLogSink();
  const cluster = new Cluster({ brokerIds: [1, 2, 3], logs });
  [1, 2, 3].forEach((id) => cluster.brokerStarted(id, 9000 + id));
  cluster.createTopic(CONSUMER_OFFSETS, { partitions: offsetsPartitions, replicationFactor: 3 });
  cluster.createTopic(TRANSACTION_STATE, { partitions: 2, replicationFactor: 3 });
  for (const [topic, partitions] of Object.entries(options.topics ?? {})) cluster.createTopic(topic, { partitions, replicationFactor: 3 });
  const registry = new ApiRegistry();
  if (options.findCoordinator) registry.registerAll([findCoordinatorApi], { registry, fetchSessions: new FetchSessions(), brokerConfigs: () => ({}) });
  const plugin = installCoordinator(
    { cluster, registry, logs, offsetsPartitions, transactionPartitions: 2, offsetCommitValueVersion: { plain: 4 }, ...env },
    { retentionCheckIntervalMs: 0, initialRebalanceDelayMs: 0 },
  );
  let correlationId = 0;
  return {
    cluster,
    logs,
    registry,
    plugin,
    async call(apiKey, version, body, brokerId = 1, clientId = 'wire-test') {
      const frame = encodeRequest({ apiKey, apiVersion: version, correlationId: ++correlationId, clientId }, body);
      const { header, reader } = decodeRequestHeader(frame.subarray(4));
      const request = decodeRequestBody(header, reader);
      const ctx = {
        brokerId,
        cluster,
        apiKey,
        apiVersion: version,
        correlationId: header.correlationId,
        clientId: header.clientId,
        connection: { id: 'c', remoteAddress: '127.0.0.1', remotePort: 5000, sasl: { mechanism: null, principal: null, exchange: null, rawTokens: false } },
        log: logs.forBroker(brokerId),
        flexible: header.headerVersion >= 2,
        signal: new AbortController().signal,
        closeAfterResponse: () => undefined,
      } satisfies RequestContext;
      const response = await registry.get(apiKey)!.handle(ctx, request);
      const encoded = encodeResponse(apiKey, version, header.correlationId, response as ProtocolValue);
      return decodeResponse(apiKey, version, encoded.subarray(4)).body;
    },
    leaderOf: (groupId) => cluster.partition(CONSUMER_OFFSETS, partitionForGroup(groupId, offsetsPartitions))!.leader,
    stop: () => plugin.stop?.(),
  };
}
