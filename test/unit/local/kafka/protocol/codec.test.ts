import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../../../../lambdas/core/bytes/index.ts';
import { ApiKey } from '../../../../../local/kafka/protocol/api-keys.ts';
import {
  decodeRequestBody,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  requestHeaderVersion,
  protocolSchema,
  requestSchema,
  responseHeaderVersion,
} from '../../../../../local/kafka/protocol/codec.ts';
import { protocolSchemas } from '../../../../../local/kafka/protocol/protocol-schemas.generated.ts';
import { supplementarySchemas } from '../../../../../local/kafka/protocol/supplementary-schemas.ts';

describe('protocol codec', () => {
  it('chooses header versions by flexibility, ApiVersions responses always v0', () => {
    expect(requestHeaderVersion(ApiKey.Metadata, 8)).toBe(1);
    expect(requestHeaderVersion(ApiKey.Metadata, 9)).toBe(2);
    expect(responseHeaderVersion(ApiKey.Metadata, 8)).toBe(0);
    expect(responseHeaderVersion(ApiKey.Metadata, 9)).toBe(1);
    expect(requestHeaderVersion(ApiKey.ApiVersions, 3)).toBe(2);
    expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
    expect(requestHeaderVersion(999, 0)).toBe(1);
  });

  it.each([4, 9, 12])('round-trips a Metadata v%i request through header and body', (version) => {
    const bytes = encodeRequest(
      { apiKey: ApiKey.Metadata, apiVersion: version, correlationId: 42, clientId: 'tester' },
      { topics: [{ name: 'orders', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false },
    );
    expect(bytes.readInt32BE(0)).toBe(bytes.length - 4);
    const { header, reader } = decodeRequestHeader(bytes.subarray(4));
    expect(header).toEqual({ apiKey: ApiKey.Metadata, apiVersion: version, correlationId: 42, clientId: 'tester', headerVersion: version >= 9 ? 2 : 1 });
    const body = decodeRequestBody(header, reader);
    expect((body['topics'] as Array<{ name: string }>)[0]!.name).toBe('orders');
    expect(reader.remaining).toBe(0);
  });

  it('encodes a flexible response with header v1 and decodes it back', () => {
    const body = { throttleTimeMs: 0, brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }], clusterId: 'c', controllerId: 1, topics: [] };
    const bytes = encodeResponse(ApiKey.Metadata, 12, 7, body);
    // size, correlation id, then the empty tagged-field section of header v1
    expect(bytes.readInt32BE(4)).toBe(7);
    expect(bytes[8]).toBe(0);
    const decoded = decodeResponse(ApiKey.Metadata, 12, bytes.subarray(4));
    expect(decoded.correlationId).toBe(7);
    expect(decoded.body['brokers']).toEqual([{ nodeId: 1, host: '127.0.0.1', port: 9092, rack: null }]);
  });

  it('reports a truncated body as a RequestDecodeError carrying the correlation id', () => {
    const bytes = encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 4, correlationId: 9, clientId: null }, { topics: null, allowAutoTopicCreation: true });
    const cut = bytes.subarray(4, bytes.length - 1);
    const { header, reader } = decodeRequestHeader(cut);
    expect(header.clientId).toBeNull();
    expect(() => decodeRequestBody(header, reader)).toThrow(/Metadata v4 body is malformed/);
    expect(() => decodeRequestHeader(Buffer.alloc(5))).toThrow(/shorter than a request header/);
    expect(new ByteReader(cut).readInt16()).toBe(ApiKey.Metadata);
  });

  describe('AddPartitionsToTxn v0-3, from the supplement', () => {
    const request = {
      v3AndBelowTransactionalId: 'tx',
      v3AndBelowProducerId: 7n,
      v3AndBelowProducerEpoch: 2,
      v3AndBelowTopics: [{ name: 'ab', partitions: [0, 3] }],
    };

    it('is found by the codec while the generated registry stays as generated', () => {
      expect(protocolSchemas['AddPartitionsToTxnRequest']).toBeUndefined();
      expect(requestSchema(ApiKey.AddPartitionsToTxn)?.name).toBe('AddPartitionsToTxnRequest');
      expect(protocolSchema('AddPartitionsToTxnResponse')).toBe(supplementarySchemas['AddPartitionsToTxnResponse']);
      expect(protocolSchema('FetchRequest')).toBe(protocolSchemas['FetchRequest']);
    });

    it('writes the v0 request body in the classic layout', () => {
      const frame = encodeRequest({ apiKey: ApiKey.AddPartitionsToTxn, apiVersion: 0, correlationId: 1, clientId: null }, request);
      // size, key 24, version 0, correlation 1, null client id, then the body
      const body = frame.subarray(4 + 2 + 2 + 4 + 2);
      expect(body.toString('hex')).toBe(
        [
          '0002', '7478', // transactional_id "tx"
          '0000000000000007', // producer_id
          '0002', // producer_epoch
          '00000001', '0002', '6162', // one topic "ab"
          '00000002', '00000000', '00000003', // partitions [0, 3]
        ].join(''),
      );
    });

    it('round-trips v3 (flexible) requests and responses', () => {
      const frame = encodeRequest({ apiKey: ApiKey.AddPartitionsToTxn, apiVersion: 3, correlationId: 9, clientId: 'c' }, request);
      const { header, reader } = decodeRequestHeader(frame.subarray(4));
      expect(header.headerVersion).toBe(2);
      expect(decodeRequestBody(header, reader)).toMatchObject(request);
      const response = { throttleTimeMs: 0, resultsByTopicV3AndBelow: [{ name: 'ab', resultsByPartition: [{ partitionIndex: 3, partitionErrorCode: 51 }] }] };
      const encoded = encodeResponse(ApiKey.AddPartitionsToTxn, 3, 9, response);
      expect(decodeResponse(ApiKey.AddPartitionsToTxn, 3, encoded.subarray(4)).body).toMatchObject(response);
    });
  });
});
