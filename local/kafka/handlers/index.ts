import type { ApiRegistry } from '../server/registry.ts';
import { apiVersionsApi } from './api-versions.ts';
import { fetchApi } from './fetch.ts';
import { FetchSessions } from './fetch-sessions.ts';
import { findCoordinatorApi } from './find-coordinator.ts';
import { listOffsetsApi } from './list-offsets.ts';
import { metadataApi } from './metadata.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, produceApi } from './produce.ts';
import { alterPartitionReassignmentsApi, electLeadersApi, listPartitionReassignmentsApi } from './reassignments.ts';
import { createSaslServer, saslAuthenticateApi, saslHandshakeApi, type RawSaslTokenHandler, type SaslApi, type SaslUsers } from './sasl.ts';
import type { DataPlaneApi } from './services.ts';
import { createTopicsApi, deleteTopicsApi, describeConfigsApi } from './topics-admin.ts';

/** Every data-plane API; the coordinator plug-in adds the group and transaction APIs. */
export const DATA_PLANE_APIS: readonly DataPlaneApi[] = [
  apiVersionsApi,
  metadataApi,
  produceApi,
  fetchApi,
  listOffsetsApi,
  findCoordinatorApi,
  createTopicsApi,
  deleteTopicsApi,
  describeConfigsApi,
  alterPartitionReassignmentsApi,
  listPartitionReassignmentsApi,
  electLeadersApi,
];

/** Served when the cluster has SASL users. */
export const SASL_APIS: readonly SaslApi[] = [saslHandshakeApi, saslAuthenticateApi];

export interface DataPlaneOptions {
  offsetsPartitions: number;
  transactionPartitions: number;
  sasl: SaslUsers;
}

/** Registers the data-plane APIs (and SASL's when there are users); hands back the raw-token path. */
export function registerDataPlaneApis(registry: ApiRegistry, options: DataPlaneOptions): { rawToken: RawSaslTokenHandler | undefined } {
  registry.registerAll(DATA_PLANE_APIS, {
    registry,
    fetchSessions: new FetchSessions(),
    brokerConfigs: (brokerId) => brokerConfigs(brokerId, options),
  });
  const sasl = createSaslServer(options.sasl);
  if (sasl === null) return { rawToken: undefined };
  registry.registerAll(SASL_APIS, sasl);
  return { rawToken: sasl.rawToken };
}

function brokerConfigs(brokerId: number, options: DataPlaneOptions): Record<string, string> {
  return {
    'broker.id': String(brokerId),
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
    'offsets.topic.num.partitions': String(options.offsetsPartitions),
    'transaction.state.log.num.partitions': String(options.transactionPartitions),
    'group.initial.rebalance.delay.ms': '0',
    'socket.request.max.bytes': '104857600',
    'message.max.bytes': String(DEFAULT_MAX_MESSAGE_BYTES),
  };
}
