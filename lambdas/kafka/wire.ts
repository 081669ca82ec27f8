/**
 * The request/response layer the port is built on: one method per Kafka API, addressed to one
 * broker, returning the broker's answer as data (error codes included, never thrown). Only
 * transport problems throw, as RecoveryError. kafkajs-internals.ts implements it over kafkajs;
 * unit tests implement it in memory.
 */
import type { BrokerInfo } from '../core/ports.ts';
import type { BrokerEndpoint } from './config.ts';
import type { FetchRequestBody, FetchResponseBody } from './fetch-codec.ts';
import type { OffsetCommitRequestBody, OffsetCommitResponseBody } from './offset-commit-codec.ts';

export interface WirePartitionMetadata {
  partition: number;
  errorCode: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface WireTopicMetadata {
  name: string;
  errorCode: number;
  isInternal: boolean;
  partitions: WirePartitionMetadata[];
}

export interface WireMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: WireTopicMetadata[];
}

export interface WireListedOffset {
  partition: number;
  errorCode: number;
  offset: bigint;
  timestamp: bigint;
}

export interface WireCoordinator {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export interface WireGroup {
  errorCode: number;
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; clientHost: string }[];
}

export interface WireOffsetFetch {
  errorCode: number;
  topics: { topic: string; partitions: { partition: number; offset: bigint; leaderEpoch: number; metadata: string | null; errorCode: number }[] }[];
}

/** ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;

export interface KafkaWire {
  /** `null` asks for every topic. */
  metadata(at: BrokerEndpoint, topics: string[] | null): Promise<WireMetadata>;
  listOffsets(
    at: BrokerEndpoint,
    topic: string,
    partitions: { partition: number; timestamp: bigint }[],
    isolationLevel: 0 | 1,
  ): Promise<WireListedOffset[]>;
  fetch(at: BrokerEndpoint, body: FetchRequestBody): Promise<FetchResponseBody>;
  findCoordinator(at: BrokerEndpoint, groupId: string): Promise<WireCoordinator>;
  describeGroups(at: BrokerEndpoint, groupIds: string[]): Promise<WireGroup[]>;
  /** `null` topics: every partition the group has offsets for. */
  offsetFetch(at: BrokerEndpoint, groupId: string, topics: { topic: string; partitions: number[] }[] | null): Promise<WireOffsetFetch>;
  offsetCommit(at: BrokerEndpoint, body: OffsetCommitRequestBody): Promise<OffsetCommitResponseBody>;
  close(): Promise<void>;
}

export interface WirePartitionOutcome {
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/** The playbook's admin APIs; a wire may lack them (the port then reports UNSUPPORTED). */
export interface KafkaAdminWire {
  alterPartitionReassignments(at: BrokerEndpoint, topic: string, assignments: { partition: number; replicas: number[] }[], timeoutMs: number): Promise<{ errorCode: number; errorMessage: string | null; partitions: WirePartitionOutcome[] }>;
  listPartitionReassignments(at: BrokerEndpoint, topic: string, partitions: number[], timeoutMs: number): Promise<{ errorCode: number; partitions: { partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[] }>;
  electLeaders(at: BrokerEndpoint, topic: string, partitions: number[], timeoutMs: number): Promise<{ errorCode: number; partitions: WirePartitionOutcome[] }>;
  deleteGroups(at: BrokerEndpoint, groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]>;
}

export interface KafkaErrorInfo {
  name: string;
  retryable: boolean;
  message: string;
}

export function endpointKey(endpoint: BrokerEndpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}
