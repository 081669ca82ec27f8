import type { ApiDefinition, ProtocolValue } from '../../server/registry.ts';
import type { RequestContext } from '../../server/context.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { GroupCoordinator } from '../group-coordinator.ts';
import type { GroupShard } from '../group-shard.ts';
import type { TransactionCoordinator } from '../transaction-coordinator.ts';

/** What the coordinator's API handlers reach: the group shards and the transaction state. */
export interface CoordinatorServices {
  groups: GroupCoordinator;
  transactions: TransactionCoordinator;
}

/** A group or transaction API: each handler file declares its key, versions and answer. */
export type CoordinatorApi = ApiDefinition<CoordinatorServices>;

export type ShardFor = { ok: true; shard: GroupShard } | { ok: false; errorCode: number };

/**
 * The shard serving a named group on this broker, or the group-level error the membership and
 * commit APIs answer instead: INVALID_GROUP_ID for an empty id, else the shard's routing error
 * (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS).
 */
export function namedGroupShard(groups: GroupCoordinator, ctx: RequestContext, groupId: string): ShardFor {
  if (groupId === '') return { ok: false, errorCode: ErrorCode.INVALID_GROUP_ID };
  const found = groups.lookup(ctx.brokerId, groupId);
  return found.ok ? { ok: true, shard: found.slot.shard } : found;
}

/** The producer a transactional request names; AddPartitionsToTxn v0-3 prefixes the same fields. */
export function transactionalProducer(request: ProtocolValue, prefix: '' | 'v3AndBelow' = ''): { transactionalId: string; producerId: bigint; producerEpoch: number } {
  const field = (name: string): unknown => request[prefix === '' ? name : `${prefix}${name.charAt(0).toUpperCase()}${name.slice(1)}`];
  return { transactionalId: str(field('transactionalId')), producerId: long(field('producerId')), producerEpoch: int(field('producerEpoch'), -1) };
}

/** Per-partition items gathered per topic, topics in first-seen order (how responses nest them). */
export function groupByTopic<T extends { topic: string }, E>(items: T[], entry: (item: T) => E): Array<[topic: string, entries: E[]]> {
  const topics = new Map<string, E[]>();
  for (const item of items) {
    let entries = topics.get(item.topic);
    if (entries === undefined) topics.set(item.topic, (entries = []));
    entries.push(entry(item));
  }
  return [...topics];
}

/** Kafka prints client hosts with the leading slash of java.net.InetAddress.toString(). */
export function clientHost(ctx: RequestContext): string {
  return `/${ctx.connection.remoteAddress.replace(/^::ffff:/, '')}`;
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function nullableStr(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function int(value: unknown, fallback = 0): number {
  return typeof value === 'number' ? value : fallback;
}

export function long(value: unknown, fallback = -1n): bigint {
  return typeof value === 'bigint' ? value : typeof value === 'number' ? BigInt(value) : fallback;
}

export function list(value: unknown): ProtocolValue[] {
  return Array.isArray(value) ? (value as ProtocolValue[]) : [];
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function ints(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];
}

export function buffer(value: unknown): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.alloc(0);
}
