import { ErrorCode } from '../protocol/error-codes.ts';
import { KNOWN_TOPIC_CONFIGS, isDefaultConfig } from '../cluster/topic-configs.ts';
import type { Cluster } from '../cluster/cluster.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { ProtocolValue } from '../server/registry.ts';
import type { DataPlaneApi } from './services.ts';
import type { RequestContext } from '../server/context.ts';
import { errorCodeOf, errorMessageOf, ZERO_UUID } from './common.ts';

const CONFIG_SOURCE_TOPIC = 1; // DYNAMIC_TOPIC_CONFIG
const CONFIG_SOURCE_STATIC_BROKER = 4;
const CONFIG_SOURCE_DEFAULT = 5;
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;

interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

/** CreateTopics v2-7: -1 partitions means num.partitions (1), -1 replication means min(3, brokers). */
export const createTopicsApi: DataPlaneApi = {
  apiKey: ApiKey.CreateTopics,
  minVersion: 2,
  maxVersion: 7,
  handle(ctx: RequestContext, request: ProtocolValue) {
    const validateOnly = request['validateOnly'] === true;
    const topics = request['topics'] as CreatableTopic[];
    return {
      throttleTimeMs: 0,
      topics: topics.map((t) => {
        try {
          const configs = Object.fromEntries(t.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value as string]));
          for (const name of Object.keys(configs)) {
            if (!KNOWN_TOPIC_CONFIGS.includes(name)) return failure(t, ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
          }
          const assignment =
            t.assignments.length > 0
              ? [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds)
              : ctx.cluster.spreadReplicas(t.numPartitions === -1 ? 1 : t.numPartitions, t.replicationFactor === -1 ? Math.min(3, ctx.cluster.brokers.size) : t.replicationFactor);
          if (validateOnly) {
            if (ctx.cluster.topic(t.name) !== undefined) return failure(t, ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
            return success(t.name, ZERO_UUID, assignment.length, assignment[0]!.length, configs);
          }
          const created = ctx.cluster.createTopic(t.name, { partitions: assignment.length, assignment, configs });
          ctx.log.info(`[Controller id=${ctx.cluster.controllerId}] CreateTopics result(s): CreatableTopic(name='${t.name}', numPartitions=${assignment.length}): SUCCESS`, 'kafka.controller.ReplicationControlManager');
          return success(created.name, created.topicId, created.partitions.length, assignment[0]!.length, created.configs);
        } catch (error) {
          return failure(t, errorCodeOf(error), errorMessageOf(error));
        }
      }),
    };
  },
};

function success(name: string, topicId: string, numPartitions: number, replicationFactor: number, configs: Record<string, string>): ProtocolValue {
  return {
    name,
    topicId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    numPartitions,
    replicationFactor,
    configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v, readOnly: false, configSource: CONFIG_SOURCE_DEFAULT, isSensitive: false })),
  };
}

function failure(t: CreatableTopic, errorCode: number, errorMessage: string): ProtocolValue {
  return { name: t.name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null };
}

/** DeleteTopics v1-6, by name or (v6) by topic id; internal topics cannot be deleted. */
export const deleteTopicsApi: DataPlaneApi = {
  apiKey: ApiKey.DeleteTopics,
  minVersion: 1,
  maxVersion: 6,
  handle(ctx: RequestContext, request: ProtocolValue) {
    const named = (request['topicNames'] as string[] | undefined) ?? [];
    const entries = ctx.apiVersion >= 6 ? (request['topics'] as Array<{ name: string | null; topicId: string }>) : named.map((name) => ({ name, topicId: ZERO_UUID }));
    return {
      throttleTimeMs: 0,
      responses: entries.map((e) => deleteOne(ctx.cluster, e.name, e.topicId)),
    };
  },
};

function deleteOne(cluster: Cluster, name: string | null, topicId: string): ProtocolValue {
  const topic = name !== null ? cluster.topic(name) : [...cluster.topics.values()].find((t) => t.topicId === topicId);
  if (topic === undefined) {
    return { name, topicId, errorCode: name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic.' };
  }
  if (topic.internal) return { name: topic.name, topicId: topic.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `Internal topic ${topic.name} cannot be deleted` };
  cluster.deleteTopic(topic.name);
  return { name: topic.name, topicId: topic.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
}

/** DescribeConfigs v1-4 for topics (their configs and Kafka's defaults) and brokers. */
export const describeConfigsApi: DataPlaneApi = {
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 1,
  maxVersion: 4,
  handle(ctx: RequestContext, request: ProtocolValue, { brokerConfigs }) {
    const resources = request['resources'] as Array<{ resourceType: number; resourceName: string; configurationKeys: string[] | null }>;
    return {
      throttleTimeMs: 0,
      results: resources.map((r) => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        let entries: Array<{ name: string; value: string; source: number }>;
        if (r.resourceType === RESOURCE_TOPIC) {
          const topic = ctx.cluster.topic(r.resourceName);
          if (topic === undefined) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic '${r.resourceName}' does not exist.`, configs: [] };
          entries = Object.entries(topic.configs).map(([name, value]) => ({
            name,
            value,
            source: isDefaultConfig(topic.name, name, value) ? CONFIG_SOURCE_DEFAULT : CONFIG_SOURCE_TOPIC,
          }));
        } else if (r.resourceType === RESOURCE_BROKER) {
          const id = Number(r.resourceName);
          if (!ctx.cluster.brokers.has(id)) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `no broker ${r.resourceName}`, configs: [] };
          entries = Object.entries(brokerConfigs(id)).map(([name, value]) => ({ name, value, source: CONFIG_SOURCE_STATIC_BROKER }));
        } else {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${r.resourceType} is not supported`, configs: [] };
        }
        const wanted = r.configurationKeys;
        return {
          ...base,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          configs: entries
            .filter((e) => wanted === null || wanted.includes(e.name))
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((e) => ({ name: e.name, value: e.value, readOnly: false, configSource: e.source, isSensitive: false, synonyms: [], configType: 0, documentation: null })),
        };
      }),
    };
  },
};
