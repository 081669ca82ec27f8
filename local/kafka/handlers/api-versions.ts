import { ErrorCode } from '../protocol/error-codes.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { DataPlaneApi } from './services.ts';

/**
 * ApiVersions v0-3 advertising exactly the registry. A request at a version we do not serve
 * gets UNSUPPORTED_VERSION with our list in a v0 body (the broker's server turns the body into
 * v0), which is how clients learn to retry at a version both sides know.
 */
export const apiVersionsApi: DataPlaneApi = {
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, request, { registry }) {
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
