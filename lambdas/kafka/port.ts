/**
 * KafkaPort over a KafkaWire: routing (which broker leads a partition, which coordinates a
 * group), metadata caching, and turning broker error codes into RecoveryErrors.
 */
import { RecoveryError, invalidInput, isRecoveryError, kafkaError } from '../core/errors.ts';
import type {
  BrokerInfo,
  ClusterMetadata,
  CommittedOffsetEntry,
  FetchRequest,
  FetchResult,
  GroupDescription,
  KafkaAdminPort,
  KafkaPort,
  OngoingReassignment,
  PartitionAdminResult,
  ListedOffset,
  OffsetSpec,
  OffsetToCommit,
  PartitionCommitResult,
  TopicInfo,
} from '../core/ports.ts';
import type { BrokerEndpoint, ValidatedKafkaConfig } from './config.ts';
import { ISOLATION_READ_COMMITTED, ISOLATION_READ_UNCOMMITTED } from './fetch-codec.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, endpointKey, type KafkaAdminWire, type KafkaErrorInfo, type KafkaWire, type WireMetadata, type WirePartitionOutcome } from './wire.ts';

const NONE = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const LEADER_NOT_AVAILABLE = 5;
/** Errors that mean "your idea of who leads this partition is out of date". */
const STALE_LEADERSHIP = new Set([3, 5, 6, 74, 75]); // UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH
const INT32_MAX = 2_147_483_647;
const DEFAULT_FETCH_WAIT_MS = 500;
/** How long a broker that did not answer stays at the back of the list for cluster-wide calls. */
const UNREACHABLE_MEMORY_MS = 60_000;

export type DescribeErrorCode = (code: number) => KafkaErrorInfo;

/** How long the controller may take over a reassignment or an election before answering. */
const ADMIN_TIMEOUT_MS = 30_000;

export class WireKafkaPort implements KafkaPort, KafkaAdminPort {
  private readonly brokersById = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, TopicInfo>();
  /** endpoint key -> when it last failed to answer */
  private readonly unreachableAt = new Map<string, number>();

  constructor(
    private readonly config: ValidatedKafkaConfig,
    private readonly wire: KafkaWire & Partial<KafkaAdminWire>,
    private readonly describeError: DescribeErrorCode,
  ) {}

  // ---- routing ----

  /**
   * Known brokers first (they answered before), then the bootstrap list; the first that answers
   * wins. Brokers that just failed go to the back: in an incident one is often down, and a
   * silent one costs a connection timeout on every call.
   */
  private async onAnyBroker<T>(action: string, call: (at: BrokerEndpoint) => Promise<T>): Promise<T> {
    const candidates = new Map<string, BrokerEndpoint>();
    for (const broker of this.brokersById.values()) candidates.set(endpointKey(broker), { host: broker.host, port: broker.port });
    for (const endpoint of this.config.bootstrap) candidates.set(endpointKey(endpoint), endpoint);
    const now = Date.now();
    const recentlyFailed = (key: string) => now - (this.unreachableAt.get(key) ?? -Infinity) < UNREACHABLE_MEMORY_MS;
    const ordered = [...candidates].sort(([a], [b]) => Number(recentlyFailed(a)) - Number(recentlyFailed(b)));
    const failures: string[] = [];
    let lastError: RecoveryError | undefined;
    for (const [key, endpoint] of ordered) {
      try {
        const answer = await call(endpoint);
        this.unreachableAt.delete(key);
        return answer;
      } catch (error) {
        if (!isRecoveryError(error) || error.code !== 'KAFKA_UNAVAILABLE') throw error;
        this.unreachableAt.set(key, Date.now());
        lastError = error;
        failures.push(key);
      }
    }
    throw new RecoveryError('KAFKA_UNAVAILABLE', `no broker answered ${action} (tried ${failures.join(', ')})${lastError ? `; last error: ${lastError.message}` : ''}`, {
      retryable: true,
      cause: lastError,
      details: { tried: failures },
    });
  }

  private brokerError(code: number, action: string, details: Record<string, unknown>): RecoveryError {
    const info = this.describeError(code);
    return kafkaError(info.name, code, `${action}: ${info.name}: ${info.message}`, { retryable: info.retryable, details });
  }

  private remember(metadata: WireMetadata): void {
    for (const broker of metadata.brokers) this.brokersById.set(broker.nodeId, broker);
    for (const topic of toTopicInfos(metadata)) this.topics.set(topic.name, topic);
  }

  private async topicInfo(topic: string): Promise<TopicInfo> {
    const cached = this.topics.get(topic);
    if (cached) return cached;
    const metadata = await this.metadata([topic]);
    const found = metadata.topics.find((t) => t.name === topic);
    if (!found) throw new RecoveryError('NOT_FOUND', `topic ${topic} does not exist on this cluster`, { details: { topic } });
    return found;
  }

  private async leaderOf(topic: string, partition: number): Promise<{ nodeId: number; endpoint: BrokerEndpoint }> {
    const info = await this.topicInfo(topic);
    const found = info.partitions.find((p) => p.partition === partition);
    if (!found) {
      throw new RecoveryError('PARTITION_OUT_OF_RANGE', `partition ${partition} of ${topic} does not exist (it has partitions 0-${info.partitions.length - 1})`, {
        details: { topic, partition, partitions: info.partitions.length },
      });
    }
    if (found.leader < 0) {
      this.topics.delete(topic);
      throw this.brokerError(LEADER_NOT_AVAILABLE, `${topic}-${partition}`, { topic, partition });
    }
    return { nodeId: found.leader, endpoint: await this.endpointOf(found.leader) };
  }

  private async endpointOf(nodeId: number): Promise<BrokerEndpoint> {
    let broker = this.brokersById.get(nodeId);
    if (!broker) {
      await this.refreshMetadata();
      broker = this.brokersById.get(nodeId);
    }
    if (!broker) throw new RecoveryError('NOT_FOUND', `broker ${nodeId} is not in the cluster metadata`, { details: { brokerId: nodeId } });
    return { host: broker.host, port: broker.port };
  }

  private async coordinatorEndpoint(groupId: string): Promise<BrokerEndpoint> {
    const coordinator = await this.findCoordinator(groupId);
    return { host: coordinator.host, port: coordinator.port };
  }

  // ---- KafkaPort ----

  async metadata(topics?: string[]): Promise<ClusterMetadata> {
    if (topics !== undefined) topics.forEach((topic, i) => requireName(topic, `topics[${i}]`));
    const named = topics !== undefined && topics.length > 0 ? [...new Set(topics)] : null;
    const metadata = await this.onAnyBroker('Metadata', (at) => this.wire.metadata(at, named));
    const failed = metadata.topics.find((t) => t.errorCode !== NONE && t.errorCode !== UNKNOWN_TOPIC_OR_PARTITION && t.errorCode !== LEADER_NOT_AVAILABLE);
    if (failed) throw this.brokerError(failed.errorCode, `Metadata for ${failed.name}`, { topic: failed.name });
    this.remember(metadata);
    const wanted = named ? new Set(named) : null;
    return {
      clusterId: metadata.clusterId,
      controllerId: metadata.controllerId,
      brokers: [...metadata.brokers].sort((a, b) => a.nodeId - b.nodeId),
      // Unknown topics are left out rather than thrown: callers ask about topics that may be gone.
      topics: toTopicInfos(metadata).filter((t) => wanted === null || wanted.has(t.name)),
    };
  }

  async refreshMetadata(): Promise<void> {
    const known = [...this.topics.keys()];
    this.topics.clear();
    const metadata = await this.onAnyBroker('Metadata', (at) => this.wire.metadata(at, known.length > 0 ? known : null));
    this.brokersById.clear();
    this.remember(metadata);
  }

  async listOffsets(topic: string, partitions: number[], spec: OffsetSpec): Promise<ListedOffset[]> {
    requireName(topic, 'topic');
    requirePartitions(partitions);
    const timestamp = specTimestamp(spec);
    try {
      return await this.listOffsetsOnce(topic, partitions, timestamp);
    } catch (error) {
      if (!isStaleLeadership(error)) throw error;
      // One retry on fresh metadata covers a leader that moved since we last looked.
      await this.refreshMetadata();
      return this.listOffsetsOnce(topic, partitions, timestamp);
    }
  }

  private async listOffsetsOnce(topic: string, partitions: number[], timestamp: bigint): Promise<ListedOffset[]> {
    const byLeader = new Map<string, { endpoint: BrokerEndpoint; partitions: number[] }>();
    for (const partition of new Set(partitions)) {
      const { endpoint } = await this.leaderOf(topic, partition);
      const key = endpointKey(endpoint);
      const entry = byLeader.get(key) ?? { endpoint, partitions: [] };
      entry.partitions.push(partition);
      byLeader.set(key, entry);
    }
    const results: ListedOffset[] = [];
    for (const { endpoint, partitions: led } of byLeader.values()) {
      // read_uncommitted so that "latest" is the high watermark, as the port promises.
      const listed = await this.wire.listOffsets(endpoint, topic, led.map((partition) => ({ partition, timestamp })), ISOLATION_READ_UNCOMMITTED);
      const missingTail: number[] = [];
      for (const entry of listed) {
        if (entry.errorCode !== NONE) {
          if (STALE_LEADERSHIP.has(entry.errorCode)) this.topics.delete(topic);
          throw this.brokerError(entry.errorCode, `ListOffsets ${topic}-${entry.partition}`, { topic, partition: entry.partition });
        }
        // Kafka answers -1 when no record is at or after the timestamp: the scan then starts at the end.
        if (timestamp >= 0n && entry.offset < 0n) missingTail.push(entry.partition);
        else results.push({ partition: entry.partition, offset: entry.offset, timestamp: entry.timestamp });
      }
      if (missingTail.length > 0) {
        const ends = await this.wire.listOffsets(endpoint, topic, missingTail.map((partition) => ({ partition, timestamp: LATEST_TIMESTAMP })), ISOLATION_READ_UNCOMMITTED);
        for (const entry of ends) {
          if (entry.errorCode !== NONE) throw this.brokerError(entry.errorCode, `ListOffsets ${topic}-${entry.partition}`, { topic, partition: entry.partition });
          results.push({ partition: entry.partition, offset: entry.offset, timestamp: -1n });
        }
      }
      const answered = new Set(listed.map((entry) => entry.partition));
      const unanswered = led.find((partition) => !answered.has(partition));
      if (unanswered !== undefined) {
        throw new RecoveryError('CORRUPT_DATA', `ListOffsets: broker ${endpointKey(endpoint)} did not answer for ${topic}-${unanswered}`, { details: { topic, partition: unanswered } });
      }
    }
    return results.sort((a, b) => a.partition - b.partition);
  }

  async fetch(request: FetchRequest): Promise<FetchResult> {
    requireName(request.topic, 'topic');
    requirePartitions([request.partition]);
    if (typeof request.offset !== 'bigint' || request.offset < 0n) throw invalidInput('offset', `${String(request.offset)} is not a log offset`, 'Pass a bigint >= 0');
    if (!Number.isInteger(request.maxBytes) || request.maxBytes <= 0 || request.maxBytes > INT32_MAX) {
      throw invalidInput('maxBytes', `${String(request.maxBytes)} is not a positive byte count`, 'Pass e.g. 1048576');
    }
    const maxWaitMs = request.maxWaitMs ?? DEFAULT_FETCH_WAIT_MS;
    const { nodeId, endpoint } = await this.leaderOf(request.topic, request.partition);
    const response = await this.wire.fetch(endpoint, {
      maxWaitMs,
      minBytes: 1,
      maxBytes: request.maxBytes,
      isolationLevel: request.isolation === 'read_committed' ? ISOLATION_READ_COMMITTED : ISOLATION_READ_UNCOMMITTED,
      topic: request.topic,
      partition: request.partition,
      fetchOffset: request.offset,
      partitionMaxBytes: request.maxBytes,
    });
    const where = { topic: request.topic, partition: request.partition, offset: request.offset.toString(), brokerId: nodeId };
    if (response.errorCode !== NONE) throw this.brokerError(response.errorCode, `Fetch ${request.topic}-${request.partition}`, where);
    const data = response.topics.find((t) => t.topic === request.topic)?.partitions.find((p) => p.partition === request.partition);
    if (!data) throw new RecoveryError('CORRUPT_DATA', `Fetch: broker ${nodeId} answered without ${request.topic}-${request.partition}`, { details: where });
    if (data.errorCode !== NONE) {
      if (STALE_LEADERSHIP.has(data.errorCode)) this.topics.delete(request.topic);
      throw this.brokerError(data.errorCode, `Fetch ${request.topic}-${request.partition} at offset ${request.offset}`, where);
    }
    return {
      highWatermark: data.highWatermark,
      lastStableOffset: data.lastStableOffset,
      logStartOffset: data.logStartOffset,
      abortedTransactions: data.abortedTransactions.map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset })),
      records: data.records,
    };
  }

  async findCoordinator(groupId: string): Promise<BrokerInfo> {
    requireGroupId(groupId);
    const answer = await this.onAnyBroker('FindCoordinator', (at) => this.wire.findCoordinator(at, groupId));
    if (answer.errorCode !== NONE) throw this.brokerError(answer.errorCode, `FindCoordinator for group ${groupId}`, { groupId });
    return { nodeId: answer.nodeId, host: answer.host, port: answer.port, rack: this.brokersById.get(answer.nodeId)?.rack ?? null };
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const at = await this.coordinatorEndpoint(groupId);
    const groups = await this.wire.describeGroups(at, [groupId]);
    const group = groups.find((g) => g.groupId === groupId) ?? groups[0];
    if (!group) throw new RecoveryError('CORRUPT_DATA', `DescribeGroups: coordinator ${endpointKey(at)} returned no group`, { details: { groupId } });
    if (group.errorCode !== NONE) throw this.brokerError(group.errorCode, `DescribeGroups for group ${groupId}`, { groupId, coordinator: endpointKey(at) });
    return { groupId, state: group.state, protocolType: group.protocolType, protocol: group.protocol, members: group.members };
  }

  async fetchCommittedOffsets(groupId: string, topics?: string[]): Promise<CommittedOffsetEntry[]> {
    requireGroupId(groupId);
    let request: { topic: string; partitions: number[] }[] | null = null;
    if (topics !== undefined) {
      topics.forEach((topic, i) => requireName(topic, `topics[${i}]`));
      const metadata = topics.length > 0 ? await this.metadata(topics) : { topics: [] };
      request = metadata.topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }));
      if (request.length === 0) return [];
    }
    const at = await this.coordinatorEndpoint(groupId);
    const answer = await this.wire.offsetFetch(at, groupId, request);
    if (answer.errorCode !== NONE) throw this.brokerError(answer.errorCode, `OffsetFetch for group ${groupId}`, { groupId, coordinator: endpointKey(at) });
    const entries: CommittedOffsetEntry[] = [];
    for (const topic of answer.topics) {
      for (const p of topic.partitions) {
        if (p.errorCode !== NONE) {
          throw this.brokerError(p.errorCode, `OffsetFetch for group ${groupId} on ${topic.topic}-${p.partition}`, { groupId, topic: topic.topic, partition: p.partition });
        }
        entries.push({ topic: topic.topic, partition: p.partition, offset: p.offset, leaderEpoch: p.leaderEpoch, metadata: p.metadata });
      }
    }
    return entries.sort((a, b) => compareText(a.topic, b.topic) || a.partition - b.partition);
  }

  async commitOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<PartitionCommitResult[]> {
    requireGroupId(groupId);
    if (!Array.isArray(offsets) || offsets.length === 0) throw invalidInput('offsets', 'is empty', 'Pass at least one { topic, partition, offset }');
    const byTopic = new Map<string, { partition: number; offset: bigint; leaderEpoch: number; metadata: string | null }[]>();
    offsets.forEach((entry, i) => {
      requireName(entry.topic, `offsets[${i}].topic`);
      if (!Number.isInteger(entry.partition) || entry.partition < 0) throw invalidInput(`offsets[${i}].partition`, `${String(entry.partition)} is not a partition number`, 'Use an integer >= 0');
      if (typeof entry.offset !== 'bigint' || entry.offset < 0n) throw invalidInput(`offsets[${i}].offset`, `${String(entry.offset)} is not a committable offset`, 'Use a bigint >= 0');
      const list = byTopic.get(entry.topic) ?? [];
      if (list.some((p) => p.partition === entry.partition)) throw invalidInput(`offsets[${i}]`, `${entry.topic}-${entry.partition} appears twice`, 'Commit each partition once');
      list.push({ partition: entry.partition, offset: entry.offset, leaderEpoch: entry.leaderEpoch ?? -1, metadata: entry.metadata ?? '' });
      byTopic.set(entry.topic, list);
    });
    const at = await this.coordinatorEndpoint(groupId);
    // Generation -1 with no member id is Kafka's "standalone" commit: allowed only while the group has no members.
    const answer = await this.wire.offsetCommit(at, {
      groupId,
      generationId: -1,
      memberId: '',
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
    const outcome = new Map<string, number>();
    for (const topic of answer.topics) for (const p of topic.partitions) outcome.set(`${topic.topic}\u0000${p.partition}`, p.errorCode);
    return offsets
      .map((entry) => {
        const code = outcome.get(`${entry.topic}\u0000${entry.partition}`);
        // A partition the coordinator left out of its answer was not committed; say so instead of assuming success.
        const errorName = code === undefined ? 'NO_RESPONSE' : code === NONE ? null : this.describeError(code).name;
        return { topic: entry.topic, partition: entry.partition, errorName };
      })
      .sort((a, b) => compareText(a.topic, b.topic) || a.partition - b.partition);
  }

  // ---- KafkaAdminPort (the playbook's writes) ----

  private adminWire(api: keyof KafkaAdminWire): KafkaAdminWire {
    if (typeof this.wire[api] !== 'function') throw new RecoveryError('UNSUPPORTED', `${api} is not available on this Kafka connection`);
    return this.wire as KafkaAdminWire;
  }

  /** The controller takes reassignments and elections (KRaft brokers forward them, so any answers). */
  private async controllerEndpoint(topic: string): Promise<BrokerEndpoint> {
    const metadata = await this.metadata([topic]);
    if (!metadata.topics.some((t) => t.name === topic)) throw new RecoveryError('NOT_FOUND', `topic ${topic} does not exist on this cluster`, { details: { topic } });
    return this.endpointOf(metadata.controllerId >= 0 ? metadata.controllerId : (metadata.brokers[0]?.nodeId ?? -1));
  }

  private outcomes(topic: string, asked: number[], answered: WirePartitionOutcome[]): PartitionAdminResult[] {
    const byPartition = new Map(answered.map((p) => [p.partition, p]));
    return asked.map((partition) => {
      const answer = byPartition.get(partition);
      if (answer === undefined) return { topic, partition, errorName: 'NO_RESPONSE', errorMessage: 'the broker left this partition out of its answer' };
      return { topic, partition, errorName: answer.errorCode === NONE ? null : this.describeError(answer.errorCode).name, errorMessage: answer.errorMessage };
    });
  }

  async alterPartitionReassignments(topic: string, assignments: { partition: number; replicas: number[] }[]): Promise<PartitionAdminResult[]> {
    requireName(topic, 'topic');
    requirePartitions(assignments.map((a) => a.partition));
    const wire = this.adminWire('alterPartitionReassignments');
    const at = await this.controllerEndpoint(topic);
    const answer = await wire.alterPartitionReassignments(at, topic, assignments, ADMIN_TIMEOUT_MS);
    if (answer.errorCode !== NONE) throw this.brokerError(answer.errorCode, `AlterPartitionReassignments for ${topic}`, { topic });
    return this.outcomes(topic, assignments.map((a) => a.partition), answer.partitions);
  }

  async listPartitionReassignments(topic: string, partitions: number[]): Promise<OngoingReassignment[]> {
    requireName(topic, 'topic');
    requirePartitions(partitions);
    const wire = this.adminWire('listPartitionReassignments');
    const answer = await wire.listPartitionReassignments(await this.controllerEndpoint(topic), topic, partitions, ADMIN_TIMEOUT_MS);
    if (answer.errorCode !== NONE) throw this.brokerError(answer.errorCode, `ListPartitionReassignments for ${topic}`, { topic });
    return answer.partitions.map((p) => ({ topic, ...p }));
  }

  async electPreferredLeaders(topic: string, partitions: number[]): Promise<PartitionAdminResult[]> {
    requireName(topic, 'topic');
    requirePartitions(partitions);
    const wire = this.adminWire('electLeaders');
    const answer = await wire.electLeaders(await this.controllerEndpoint(topic), topic, partitions, ADMIN_TIMEOUT_MS);
    if (answer.errorCode !== NONE) throw this.brokerError(answer.errorCode, `ElectLeaders for ${topic}`, { topic });
    // Leadership moved: what the cache says about leaders is stale now.
    this.topics.delete(topic);
    return this.outcomes(topic, partitions, answer.partitions);
  }

  async deleteGroup(groupId: string): Promise<{ groupId: string; errorName: string | null }> {
    requireGroupId(groupId);
    const wire = this.adminWire('deleteGroups');
    const at = await this.coordinatorEndpoint(groupId);
    const results = await wire.deleteGroups(at, [groupId]);
    const result = results.find((r) => r.groupId === groupId);
    if (result === undefined) return { groupId, errorName: 'NO_RESPONSE' };
    return { groupId, errorName: result.errorCode === NONE ? null : this.describeError(result.errorCode).name };
  }

  async close(): Promise<void> {
    this.topics.clear();
    this.brokersById.clear();
    await this.wire.close();
  }
}

function toTopicInfos(metadata: WireMetadata): TopicInfo[] {
  return metadata.topics
    .filter((t) => t.errorCode !== UNKNOWN_TOPIC_OR_PARTITION)
    .map((t) => ({
      name: t.name,
      isInternal: t.isInternal,
      partitions: t.partitions
        .map((p) => ({
          partition: p.partition,
          // A partition whose leader is offline is reported with leader -1 whatever the broker put there.
          leader: p.errorCode === LEADER_NOT_AVAILABLE ? -1 : p.leader,
          leaderEpoch: p.leaderEpoch,
          replicas: [...p.replicas],
          isr: [...p.isr],
        }))
        .sort((a, b) => a.partition - b.partition),
    }))
    .sort((a, b) => compareText(a.name, b.name));
}

function specTimestamp(spec: OffsetSpec): bigint {
  switch (spec?.kind) {
    case 'earliest':
      return EARLIEST_TIMESTAMP;
    case 'latest':
      return LATEST_TIMESTAMP;
    case 'timestamp':
      if (typeof spec.timestamp !== 'bigint' || spec.timestamp < 0n) throw invalidInput('spec.timestamp', `${String(spec.timestamp)} is not an epoch-millisecond time`, 'Pass a bigint >= 0');
      return spec.timestamp;
    default:
      throw invalidInput('spec', 'has no known kind', "Use { kind: 'earliest' }, { kind: 'latest' } or { kind: 'timestamp', timestamp }");
  }
}

function isStaleLeadership(error: unknown): boolean {
  if (!isRecoveryError(error) || error.code !== 'KAFKA_ERROR') return false;
  const code = error.details['kafkaErrorCode'];
  return typeof code === 'number' && STALE_LEADERSHIP.has(code);
}

function requireName(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length === 0) throw invalidInput(field, 'is missing or empty', 'Pass a topic name');
}

function requireGroupId(groupId: unknown): void {
  if (typeof groupId !== 'string' || groupId.length === 0) throw invalidInput('groupId', 'is missing or empty', 'Pass the consumer group id');
}

function requirePartitions(partitions: unknown): void {
  if (!Array.isArray(partitions) || partitions.length === 0) throw invalidInput('partitions', 'is empty', 'Pass at least one partition number');
  partitions.forEach((p, i) => {
    if (!Number.isInteger(p) || (p as number) < 0 || (p as number) > INT32_MAX) throw invalidInput(`partitions[${i}]`, `${String(p)} is not a partition number`, 'Use an integer >= 0');
  });
}

/** Code-unit order, the same on every machine (localeCompare is not). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
