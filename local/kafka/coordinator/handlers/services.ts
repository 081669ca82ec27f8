import type { ApiHandler, ProtocolValue } from '../../server/registry.ts';
import type { RequestContext } from '../../server/context.ts';
import type { GroupCoordinator } from '../group-coordinator.ts';
import type { TransactionCoordinator } from '../transaction-coordinator.ts';

/** What the coordinator's API handlers reach: the group shards and the transaction state. */
export interface CoordinatorServices {
  groups: GroupCoordinator;
  transactions: TransactionCoordinator;
}

export type CoordinatorHandler = (
  services: CoordinatorServices,
  ctx: RequestContext,
  request: ProtocolValue,
) => ProtocolValue | Promise<ProtocolValue>;

export interface CoordinatorApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
  handle: CoordinatorHandler;
}

export function bindApi(api: CoordinatorApi, services: CoordinatorServices): ApiHandler {
  return {
    minVersion: api.minVersion,
    maxVersion: api.maxVersion,
    handle: (ctx, request) => api.handle(services, ctx, request),
  };
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
