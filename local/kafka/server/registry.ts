import type { RequestContext } from './context.ts';
import { apiName } from '../protocol/api-keys.ts';

/**
 * A decoded request or response body: the schema engine's value (field names are the schema
 * names with the first letter lower-cased; int64 as bigint; records as Buffer).
 */
export type ProtocolValue = Record<string, unknown>;

/** Returned by a handler for requests Kafka does not answer (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no-response');
export type HandlerResult = ProtocolValue | typeof NO_RESPONSE;

export interface ApiHandler {
  /** lowest version served; clients below it get UNSUPPORTED_VERSION */
  minVersion: number;
  /** highest version served; ApiVersions advertises [minVersion, maxVersion] */
  maxVersion: number;
  /**
   * Answers one request. Requests of a connection are handled one at a time, in order (Kafka
   * mutes a channel until its response is sent), so a handler may wait (long polls, rebalances)
   * without reordering that connection. Throwing is an unexpected failure: it is logged and
   * answered UNKNOWN_SERVER_ERROR when the response has a top-level errorCode, otherwise the
   * connection is closed; errors a client should see belong in the returned body.
   */
  handle(ctx: RequestContext, request: ProtocolValue): HandlerResult | Promise<HandlerResult>;
}

export interface RegisteredApi extends ApiHandler {
  apiKey: number;
}

/**
 * One API as its handler file declares it: the key, the versions it serves and how it answers.
 * `deps` is what the answer needs beyond the request (the coordinator's shards, the fetch
 * sessions, the SASL users), handed in once by whoever registers the file's list.
 */
export interface ApiDefinition<Deps> {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
  handle(ctx: RequestContext, request: ProtocolValue, deps: Deps): HandlerResult | Promise<HandlerResult>;
}

/**
 * The APIs a cluster serves. The data plane registers its handlers at start; the coordinator
 * plug-in (local/kafka/coordinator) registers the group and transaction APIs. Registering a key
 * again replaces the handler, so a plug-in may take over an API the data plane serves.
 * ApiVersions advertises exactly what is registered here.
 */
export class ApiRegistry {
  private readonly handlers = new Map<number, RegisteredApi>();

  /**
   * @param releaseVersions the versions a Kafka release advertises (a release profile): each API
   * is served at the overlap of its handler's versions and the release's, and an API the release
   * lacks is not served at all. Without it, every handler's own range.
   */
  constructor(private readonly releaseVersions?: ReadonlyMap<number, { minVersion: number; maxVersion: number }>) {}

  registerApi(apiKey: number, handler: ApiHandler): void {
    if (!Number.isInteger(handler.minVersion) || !Number.isInteger(handler.maxVersion) || handler.minVersion > handler.maxVersion) {
      throw new RangeError(`${apiName(apiKey)}: minVersion ${handler.minVersion} must be an integer <= maxVersion ${handler.maxVersion}`);
    }
    if (this.releaseVersions === undefined) {
      this.handlers.set(apiKey, { apiKey, ...handler });
      return;
    }
    const release = this.releaseVersions.get(apiKey);
    const minVersion = Math.max(handler.minVersion, release?.minVersion ?? Infinity);
    const maxVersion = Math.min(handler.maxVersion, release?.maxVersion ?? -1);
    if (release === undefined || minVersion > maxVersion) {
      this.handlers.delete(apiKey);
      return;
    }
    this.handlers.set(apiKey, { apiKey, ...handler, minVersion, maxVersion });
  }

  /** Registers every API of a list, each answering with `deps`. */
  registerAll<Deps>(apis: readonly ApiDefinition<Deps>[], deps: Deps): void {
    for (const api of apis) {
      this.registerApi(api.apiKey, {
        minVersion: api.minVersion,
        maxVersion: api.maxVersion,
        handle: (ctx, request) => api.handle(ctx, request, deps),
      });
    }
  }

  unregisterApi(apiKey: number): void {
    this.handlers.delete(apiKey);
  }

  get(apiKey: number): RegisteredApi | undefined {
    return this.handlers.get(apiKey);
  }

  /** Registered APIs sorted by key, as ApiVersions lists them. */
  list(): RegisteredApi[] {
    return [...this.handlers.values()].sort((a, b) => a.apiKey - b.apiKey);
  }
}
