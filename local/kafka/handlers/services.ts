import type { ApiDefinition, ApiRegistry } from '../server/registry.ts';
import type { FetchSessions } from './fetch-sessions.ts';

/** What the data-plane handlers reach besides the request context (which carries the cluster). */
export interface DataPlaneServices {
  /** the APIs the cluster serves, as ApiVersions advertises them */
  registry: ApiRegistry;
  /** Fetch sessions (v7+), kept per broker */
  fetchSessions: FetchSessions;
  /** the static broker configs DescribeConfigs answers */
  brokerConfigs(brokerId: number): Record<string, string>;
}

/** A data-plane API: each handler file declares its key, versions and answer. */
export type DataPlaneApi = ApiDefinition<DataPlaneServices>;
