import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../../lambdas/core/bytes/index.ts';
import { ApiKey } from '../../../local/kafka/protocol/api-keys.ts';
import {
  decodeRequestBody,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../../local/kafka/protocol/codec.ts';

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
});
