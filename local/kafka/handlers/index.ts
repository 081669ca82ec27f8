import { ApiKey } from '../protocol/api-keys.ts';
import type { ApiRegistry } from '../server/registry.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { metadataHandler } from './metadata.ts';
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
  const sasl = saslHandlers(options.sasl);
  if (sasl === null) return { rawToken: undefined };
  registry.registerApi(ApiKey.SaslHandshake, sasl.handshake);
  registry.registerApi(ApiKey.SaslAuthenticate, sasl.authenticate);
  return { rawToken: sasl.rawToken };
}
