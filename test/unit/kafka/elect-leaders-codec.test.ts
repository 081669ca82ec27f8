/** ElectLeaders v0-1 against the schema-driven codec of the local cluster (Kafka's own JSON schemas), not against itself. */
import { describe, expect, it } from 'vitest';
import { decodeElectLeadersResponse, encodeElectLeadersRequest } from '../../../lambdas/kafka/elect-leaders-codec.ts';
import { encodeRequest, encodeResponse } from '../../../local/kafka/protocol/codec.ts';

const API_KEY = 43;
const CLIENT_ID = 'cr';
/** size, apiKey, apiVersion, correlationId, clientId (int16 length + bytes): the classic request header v1. */
const REQUEST_HEADER_BYTES = 4 + 2 + 2 + 4 + 2 + CLIENT_ID.length;

describe('ElectLeaders codec', () => {
  it.each([0, 1])('encodes a v%i preferred election byte for byte as the schema does', (version) => {
    const ours = encodeElectLeadersRequest(version, { topics: [{ topic: '__consumer_offsets', partitions: [17, 3] }], timeoutMs: 30_000 });
    const schema = encodeRequest(
      { apiKey: API_KEY, apiVersion: version, correlationId: 7, clientId: CLIENT_ID },
      { electionType: 0, topicPartitions: [{ topic: '__consumer_offsets', partitions: [17, 3] }], timeoutMs: 30_000 },
    );
    expect(ours.toString('hex')).toBe(schema.subarray(REQUEST_HEADER_BYTES).toString('hex'));
  });

  it.each([0, 1])('decodes a v%i response with every partition outcome and message', (version) => {
    const frame = encodeResponse(API_KEY, version, 7, {
      throttleTimeMs: 5,
      errorCode: version >= 1 ? 41 : 0,
      replicaElectionResults: [
        {
          topic: '__consumer_offsets',
          partitionResult: [
            { partitionId: 17, errorCode: 0, errorMessage: null },
            { partitionId: 3, errorCode: 84, errorMessage: 'Leader election not needed for topic partition' },
          ],
        },
      ],
    });
    // Response frame: size, correlation id, then the body.
    expect(decodeElectLeadersResponse(version, frame.subarray(8))).toEqual({
      throttleTimeMs: 5,
      errorCode: version >= 1 ? 41 : 0,
      topics: [
        {
          topic: '__consumer_offsets',
          partitions: [
            { partition: 17, errorCode: 0, errorMessage: null },
            { partition: 3, errorCode: 84, errorMessage: 'Leader election not needed for topic partition' },
          ],
        },
      ],
    });
  });
});
