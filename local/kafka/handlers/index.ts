import { ApiKey } from '../protocol/api-keys.ts';
import type { ApiRegistry } from '../server/registry.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { metadataHandler } from './metadata.ts';
import { produceHandler } from './produce.ts';
import { fetchHandler } from './fetch.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { findCoordinatorHandler } from './find-coordinator.ts';
import { createTopicsHandler, deleteTopicsHandler, describeConfigsHandler } from './topics-admin.ts';
import { alterPartitionReassignmentsHandler, electLeadersHandler, listPartitionReassignmentsHandler } from './reassignments.ts';
import { saslHandlers, type RawSaslTokenHandler, type SaslUsers } from './sasl.ts';

export interface DataPlaneOptions {
  offsetsPartitions: number;
  transactionPartitions: number;
  sasl: SaslUsers;
}

/** Registers every data-plane API; the coordinator plug-in adds the group and transaction APIs. */
export function registerDataPlaneApis(registry: ApiRegistry, options: DataPlaneOptions): { rawToken: RawSaslTokenHandler | undefined } {
  registry.registerApi(ApiKey.ApiVersions, apiVersionsHandler(registry));
  registry.registerApi(ApiKey.Metadata, metadataHandler);
  registry.registerApi(ApiKey.Produce, produceHandler);
  registry.registerApi(ApiKey.Fetch, fetchHandler());
  registry.registerApi(ApiKey.ListOffsets, listOffsetsHandler);
  registry.registerApi(ApiKey.FindCoordinator, findCoordinatorHandler);
  registry.registerApi(ApiKey.CreateTopics, createTopicsHandler);
  registry.registerApi(ApiKey.DeleteTopics, deleteTopicsHandler);
  registry.registerApi(ApiKey.DescribeConfigs, describeConfigsHandler((id) => brokerConfigs(id, options)));
  registry.registerApi(ApiKey.AlterPartitionReassignments, alterPartitionReassignmentsHandler);
  registry.registerApi(ApiKey.ListPartitionReassignments, listPartitionReassignmentsHandler);
  registry.registerApi(ApiKey.ElectLeaders, electLeadersHandler);
  const sasl = saslHandlers(options.sasl);
  if (sasl === null) return { rawToken: undefined };
  registry.registerApi(ApiKey.SaslHandshake, sasl.handshake);
  registry.registerApi(ApiKey.SaslAuthenticate, sasl.authenticate);
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
  };
}
