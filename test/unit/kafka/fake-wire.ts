/** An in-memory KafkaWire: a small cluster whose answers and failures the test controls. */
import { RecoveryError } from '../../../lambdas/core/errors.ts';
import type { BrokerEndpoint } from '../../../lambdas/kafka/config.ts';
import type { FetchRequestBody, FetchResponseBody } from '../../../lambdas/kafka/fetch-codec.ts';
import type { OffsetCommitRequestBody, OffsetCommitResponseBody } from '../../../lambdas/kafka/offset-commit-codec.ts';
import { endpointKey, type KafkaWire, type WireCoordinator, type WireGroup, type WireMetadata, type WireOffsetFetch } from '../../../lambdas/kafka/wire.ts';

export interface FakePartition {
  leader: number;
  errorCode?: number;
  logStart: bigint;
  logEnd: bigint;
  /** first offset whose timestamp >= t, or -1 */
  offsetForTime?: (t: bigint) => bigint;
  records?: Buffer;
}

export interface Call {
  api: string;
  at: string;
  args: unknown;
}

export class FakeWire implements KafkaWire {
  brokers = [
    { nodeId: 2, host: 'b2', port: 9092, rack: 'az2' },
    { nodeId: 1, host: 'b1', port: 9092, rack: 'az1' },
  ];
  topics = new Map<string, FakePartition[]>();
  topicErrors = new Map<string, number>();
  down = new Set<string>();
  calls: Call[] = [];
  coordinator: WireCoordinator = { errorCode: 0, errorMessage: null, nodeId: 1, host: 'b1', port: 9092 };
  groups: WireGroup[] = [];
  committed: WireOffsetFetch = { errorCode: 0, topics: [] };
  commitErrors = new Map<string, number>();
  fetchPartitionError: number | null = null;
  listErrorOnce: number | null = null;
  closed = false;

  private enter(api: string, at: BrokerEndpoint, args: unknown): void {
    const key = endpointKey(at);
    this.calls.push({ api, at: key, args });
    if (this.down.has(key)) throw new RecoveryError('KAFKA_UNAVAILABLE', `${api}: ${key} refused`, { retryable: true });
  }

  callsTo(api: string): Call[] {
    return this.calls.filter((c) => c.api === api);
  }

  async metadata(at: BrokerEndpoint, topics: string[] | null): Promise<WireMetadata> {
    this.enter('metadata', at, topics);
    const names = topics ?? [...this.topics.keys()];
    return {
      clusterId: 'fake-cluster',
      controllerId: 1,
      brokers: this.brokers,
      topics: names.map((name) => {
        const partitions = this.topics.get(name);
        return {
          name,
          errorCode: this.topicErrors.get(name) ?? (partitions ? 0 : 3),
          isInternal: name.startsWith('__'),
          partitions: (partitions ?? []).map((p, partition) => ({ partition, errorCode: p.errorCode ?? 0, leader: p.leader, leaderEpoch: -1, replicas: [1, 2], isr: [1, 2] })).reverse(),
        };
      }),
    };
  }

  private partitionAt(topic: string, partition: number): FakePartition {
    const found = this.topics.get(topic)?.[partition];
    if (!found) throw new Error(`fake: no ${topic}-${partition}`);
    return found;
  }

  private leads(at: BrokerEndpoint, p: FakePartition): boolean {
    return this.brokers.find((b) => b.nodeId === p.leader)?.host === at.host;
  }

  async listOffsets(at: BrokerEndpoint, topic: string, partitions: { partition: number; timestamp: bigint }[], isolationLevel: 0 | 1) {
    this.enter('listOffsets', at, { topic, partitions, isolationLevel });
    const once = this.listErrorOnce;
    this.listErrorOnce = null;
    return partitions.map(({ partition, timestamp }) => {
      const p = this.partitionAt(topic, partition);
      const errorCode = once ?? (this.leads(at, p) ? 0 : 6);
      const offset = timestamp === -2n ? p.logStart : timestamp === -1n ? p.logEnd : (p.offsetForTime?.(timestamp) ?? -1n);
      return { partition, errorCode, offset: errorCode ? -1n : offset, timestamp: timestamp >= 0n && offset >= 0n ? timestamp : -1n };
    });
  }

  async fetch(at: BrokerEndpoint, body: FetchRequestBody): Promise<FetchResponseBody> {
    this.enter('fetch', at, body);
    const p = this.partitionAt(body.topic, body.partition);
    const errorCode = this.fetchPartitionError ?? (this.leads(at, p) ? 0 : 6);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      topics: [
        {
          topic: body.topic,
          partitions: [
            {
              partition: body.partition,
              errorCode,
              highWatermark: p.logEnd,
              lastStableOffset: p.logEnd,
              logStartOffset: p.logStart,
              abortedTransactions: [{ producerId: 2n ** 62n, firstOffset: 5n }],
              preferredReadReplica: -1,
              records: p.records ?? Buffer.alloc(0),
            },
          ],
        },
      ],
    };
  }

  async findCoordinator(at: BrokerEndpoint, groupId: string) {
    this.enter('findCoordinator', at, groupId);
    return this.coordinator;
  }

  async describeGroups(at: BrokerEndpoint, groupIds: string[]) {
    this.enter('describeGroups', at, groupIds);
    return this.groups;
  }

  async offsetFetch(at: BrokerEndpoint, groupId: string, topics: { topic: string; partitions: number[] }[] | null) {
    this.enter('offsetFetch', at, { groupId, topics });
    return this.committed;
  }

  async offsetCommit(at: BrokerEndpoint, body: OffsetCommitRequestBody): Promise<OffsetCommitResponseBody> {
    this.enter('offsetCommit', at, body);
    return {
      throttleTimeMs: 0,
      topics: body.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions
          .filter((p) => this.commitErrors.get(`${t.topic}-${p.partition}`) !== -999)
          .map((p) => ({ partition: p.partition, errorCode: this.commitErrors.get(`${t.topic}-${p.partition}`) ?? 0 })),
      })),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
