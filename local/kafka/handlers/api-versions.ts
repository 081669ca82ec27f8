import { ErrorCode } from '../protocol/error-codes.ts';
import type { ApiHandler, ApiRegistry, ProtocolValue } from '../server/registry.ts';
import type { RequestContext } from '../server/context.ts';

/**
 * ApiVersions v0-3 advertising exactly the registry. A request at a version we do not serve
 * gets UNSUPPORTED_VERSION with our list in a v0 body (the broker's server turns the body into
 * v0), which is how clients learn to retry at a version both sides know.
 */
export function apiVersionsHandler(registry: ApiRegistry): ApiHandler {
  return {
    minVersion: 0,
    maxVersion: 3,
    handle(ctx: RequestContext, request: ProtocolValue) {
      const apiKeys = registry.list().map((api) => ({ apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: api.maxVersion }));
      if (request['_unsupportedVersion'] === true || ctx.apiVersion > 3) {
        return { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys };
      }
      if (typeof request['clientSoftwareName'] === 'string') {
        ctx.connection.clientSoftwareName = request['clientSoftwareName'];
        ctx.connection.clientSoftwareVersion = String(request['clientSoftwareVersion'] ?? '');
      }
      return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 };
    },
  };
}
