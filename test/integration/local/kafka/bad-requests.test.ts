import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../../../../local/kafka/index.ts';
import { ApiKey } from '../../../../local/kafka/protocol/api-keys.ts';
import { decodeResponse, encodeRequest } from '../../../../local/kafka/protocol/codec.ts';
import { ErrorCode } from '../../../../local/kafka/protocol/error-codes.ts';
import { RawClient } from './helpers.ts';

describe('bad requests close only their connection', () => {
  let local: LocalCluster;
  const clients: RawClient[] = [];
  const open = async (): Promise<RawClient> => {
    const b = local.brokers[0]!;
    const c = await RawClient.open(b.host, b.port);
    clients.push(c);
    return c;
  };
  const metadataRequest = (correlationId: number): Buffer =>
    encodeRequest({ apiKey: ApiKey.Metadata, apiVersion: 9, correlationId, clientId: 'raw' }, { topics: null, allowAutoTopicCreation: false });

  /** The cluster still answers a well-formed request on a fresh connection. */
  const stillServing = async (): Promise<void> => {
    const c = await open();
    c.socket.write(metadataRequest(77));
    await c.until(() => c.frames.length === 1);
    const { correlationId, body } = decodeResponse(ApiKey.Metadata, 9, c.frames[0]!);
    expect(correlationId).toBe(77);
    expect((body['brokers'] as unknown[]).length).toBe(2);
  };

  beforeAll(async () => {
    local = await startLocalCluster({ brokers: 2, offsetsPartitions: 2, transactionPartitions: 1, coordinator: false });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await local?.stop();
  });

  const closeReasons = (): string[] => local.logs.lines(1).filter((l) => l.message.includes('Closing socket connection')).map((l) => l.message);

  it.each([
    ['a negative size', Buffer.from([0xff, 0xff, 0xff, 0x00]), /is negative/],
    ['an oversized size', Buffer.from([0x7f, 0x00, 0x00, 0x00]), /larger than the maximum/],
    ['a frame shorter than a header', Buffer.from([0, 0, 0, 3, 1, 2, 3]), /shorter than a request header/],
    ['an unknown API key', Buffer.from([0, 0, 0, 10, 0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff]), /unknown API key 999/],
    ['an unsupported Metadata version', Buffer.from([0, 0, 0, 10, 0, 3, 0, 99, 0, 0, 0, 1, 0xff, 0xff]), /Metadata version 99 is not supported/],
    ['a truncated body', Buffer.from([0, 0, 0, 11, 0, 3, 0, 4, 0, 0, 0, 1, 0xff, 0xff, 0]), /body is malformed/],
  ])('%s', async (_name, bytes, reason) => {
    const c = await open();
    c.socket.write(bytes);
    await c.until(() => c.closed);
    expect(c.frames).toEqual([]);
    expect(closeReasons().at(-1)).toMatch(reason);
    await stillServing();
  });

  it('answers pipelined requests in order', async () => {
    const c = await open();
    const apiVersions = encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'raw' }, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    c.socket.write(Buffer.concat([apiVersions, metadataRequest(2), metadataRequest(3)]));
    await c.until(() => c.frames.length === 3);
    expect(c.frames.map((f) => f.readInt32BE(0))).toEqual([1, 2, 3]);
    const versions = decodeResponse(ApiKey.ApiVersions, 3, c.frames[0]!).body;
    expect(versions['errorCode']).toBe(0);
    const advertised = (versions['apiKeys'] as Array<{ apiKey: number; maxVersion: number }>).map((k) => k.apiKey);
    expect(advertised).toEqual(local.registry.list().map((a) => a.apiKey));
  });

  it('answers ApiVersions at an unknown version with UNSUPPORTED_VERSION and its list in a v0 body', async () => {
    const c = await open();
    // ApiVersions v9: the body is unknown to the broker, so only the header is read
    c.socket.write(Buffer.from([0, 0, 0, 10, 0, 18, 0, 9, 0, 0, 0, 5, 0xff, 0xff]));
    await c.until(() => c.frames.length === 1);
    const { correlationId, body } = decodeResponse(ApiKey.ApiVersions, 0, c.frames[0]!);
    expect(correlationId).toBe(5);
    expect(body['errorCode']).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body['apiKeys']).toContainEqual({ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 });
    expect(c.closed).toBe(false);
  });

  describe('a handler that throws', () => {
    const boom = { minVersion: 0, maxVersion: 6, handle: (): never => { throw new TypeError('boom in the handler'); } };
    const errorLines = (): string[] => local.logs.lines(1).filter((l) => l.level === 'ERROR').map((l) => l.message);

    it('answers UNKNOWN_SERVER_ERROR when the response has a top-level error code, logs why, and keeps the connection', async () => {
      local.registry.registerApi(ApiKey.Heartbeat, boom);
      try {
        const c = await open();
        c.socket.write(encodeRequest({ apiKey: ApiKey.Heartbeat, apiVersion: 4, correlationId: 31, clientId: 'raw' }, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null }));
        await c.until(() => c.frames.length === 1 || c.closed);
        const { correlationId, body } = decodeResponse(ApiKey.Heartbeat, 4, c.frames[0]!);
        expect(correlationId).toBe(31);
        expect(body).toMatchObject({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, throttleTimeMs: 0 });
        expect(errorLines().at(-1)).toMatch(/Unexpected error handling request RequestHeader\(apiKey=HEARTBEAT, apiVersion=4, clientId=raw, correlationId=31\): TypeError: boom in the handler/);
        // The same connection still serves.
        c.socket.write(metadataRequest(32));
        await c.until(() => c.frames.length === 2 || c.closed);
        expect(c.frames[1]!.readInt32BE(0)).toBe(32);
      } finally {
        local.registry.unregisterApi(ApiKey.Heartbeat);
      }
    });

    it('closes the connection with the reason logged when the response has no top-level error code', async () => {
      const original = local.registry.get(ApiKey.DeleteTopics)!;
      local.registry.registerApi(ApiKey.DeleteTopics, boom);
      try {
        const c = await open();
        c.socket.write(encodeRequest({ apiKey: ApiKey.DeleteTopics, apiVersion: 4, correlationId: 41, clientId: 'raw' }, { topicNames: ['t'], timeoutMs: 1000 }));
        await c.until(() => c.closed);
        expect(c.frames).toEqual([]);
        expect(errorLines().at(-1)).toMatch(/apiKey=DELETE_TOPICS.*boom in the handler/);
        expect(closeReasons().at(-1)).toMatch(/DeleteTopics v4 failed unexpectedly and its response has no error code/);
        await stillServing();
      } finally {
        local.registry.registerApi(ApiKey.DeleteTopics, original);
      }
    });
  });
});
