import { describe, expect, it } from 'vitest';
import { isValidVersion } from '../../../../lambdas/core/schema/compile.ts';
import { COORDINATOR_APIS } from '../../../../local/kafka/coordinator/index.ts';
import { DATA_PLANE_APIS, SASL_APIS } from '../../../../local/kafka/handlers/index.ts';
import { apiName } from '../../../../local/kafka/protocol/api-keys.ts';
import { requestSchema, responseSchema } from '../../../../local/kafka/protocol/codec.ts';

const ALL = [...DATA_PLANE_APIS, ...SASL_APIS, ...COORDINATOR_APIS];

describe('the local cluster API lists', () => {
  it('declare each API key once, so no registration silently replaces another', () => {
    const keys = ALL.map((api) => apiName(api.apiKey));
    expect(keys.filter((name, i) => keys.indexOf(name) !== i)).toEqual([]);
    expect(ALL.length).toBeGreaterThan(25);
  });

  it('serve only versions the request and response schemas define', () => {
    for (const api of ALL) {
      const name = apiName(api.apiKey);
      const request = requestSchema(api.apiKey);
      const response = responseSchema(api.apiKey);
      expect(request, `${name} request schema`).toBeDefined();
      expect(response, `${name} response schema`).toBeDefined();
      expect(api.minVersion, name).toBeLessThanOrEqual(api.maxVersion);
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        expect(isValidVersion(request!, version) && isValidVersion(response!, version), `${name} v${version}`).toBe(true);
      }
    }
  });
});
