import { describe, expect, it } from 'vitest';
import { ELECT_LEADERS_API, decodeElectLeadersResponse } from '../../../lambdas/kafka/elect-leaders-codec.ts';
import { FETCH_API, decodeFetchResponse } from '../../../lambdas/kafka/fetch-codec.ts';
import { METADATA_API, decodeMetadataResponse } from '../../../lambdas/kafka/metadata-codec.ts';
import { OFFSET_COMMIT_API, decodeOffsetCommitResponse } from '../../../lambdas/kafka/offset-commit-codec.ts';
import { OFFSET_FETCH_API, decodeOffsetFetchResponse } from '../../../lambdas/kafka/offset-fetch-codec.ts';

const CODECS = [
  { api: ELECT_LEADERS_API, decode: decodeElectLeadersResponse, range: [0, 1] },
  { api: FETCH_API, decode: decodeFetchResponse, range: [4, 11] },
  { api: METADATA_API, decode: decodeMetadataResponse, range: [1, 8] },
  { api: OFFSET_COMMIT_API, decode: decodeOffsetCommitResponse, range: [2, 7] },
  { api: OFFSET_FETCH_API, decode: decodeOffsetFetchResponse, range: [1, 5] },
] as const;

describe('the hand-written codecs', () => {
  it.each(CODECS)('$api.name speaks exactly the versions its spec names, refusing others by name and range', ({ api, decode, range }) => {
    expect([api.min, api.max]).toEqual(range);
    for (const version of [api.min - 1, api.max + 1, 2.5]) {
      expect(() => decode(version, Buffer.alloc(0))).toThrow(new RangeError(`${api.name} version ${version} is outside ${api.min}-${api.max}`));
    }
  });
});
