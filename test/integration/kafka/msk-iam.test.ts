/**
 * MSK IAM end to end at the socket: a scripted broker that speaks just enough protocol
 * (ApiVersions, SaslHandshake, SaslAuthenticate, Metadata) records what the adapter sends, so
 * the test sees the OAUTHBEARER token from the MSK signer (mocked at its module boundary) arrive
 * on the wire, over a socket the adapter asked to be TLS.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { ByteReader, ByteWriter } from '../../../lambdas/core/bytes/index.ts';

const generateAuthToken = vi.fn(async ({ region }: { region: string }) => ({ token: `msk-token-for-${region}`, expiryTime: Date.now() + 900_000 }));
vi.mock('aws-msk-iam-sasl-signer-js', () => ({ generateAuthToken }));

const { createKafkaPort } = await import('../../../lambdas/kafka/index.ts');

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const METADATA = 3;

let server: Server;
let port: number;
const sockets = new Set<Socket>();
const seen: { apiKey: number; apiVersion: number; detail: string }[] = [];

function str(w: ByteWriter, s: string | null): void {
  if (s === null) {
    w.writeInt16(-1);
    return;
  }
  const b = Buffer.from(s);
  w.writeInt16(b.length).writeBytes(b);
}

function readStr(r: ByteReader): string {
  const n = r.readInt16();
  return n < 0 ? '' : r.readUtf8(n);
}

/** The body of the answer to one request, in the version the client asked for. */
function answer(apiKey: number, apiVersion: number, body: ByteReader): Buffer {
  const w = new ByteWriter();
  switch (apiKey) {
    case API_VERSIONS: {
      seen.push({ apiKey, apiVersion, detail: '' });
      const apis: [number, number, number][] = [
        [API_VERSIONS, 0, 2],
        [SASL_HANDSHAKE, 0, 1],
        [SASL_AUTHENTICATE, 0, 1],
        [METADATA, 0, 1],
      ];
      w.writeInt16(0).writeInt32(apis.length);
      for (const [key, min, max] of apis) w.writeInt16(key).writeInt16(min).writeInt16(max);
      if (apiVersion >= 1) w.writeInt32(0);
      break;
    }
    case SASL_HANDSHAKE: {
      seen.push({ apiKey, apiVersion, detail: readStr(body) });
      w.writeInt16(0).writeInt32(1);
      str(w, 'OAUTHBEARER');
      break;
    }
    case SASL_AUTHENTICATE: {
      const auth = body.readBytes(body.readInt32()).toString('utf8');
      seen.push({ apiKey, apiVersion, detail: auth });
      w.writeInt16(0);
      str(w, null);
      w.writeInt32(0);
      if (apiVersion >= 1) w.writeInt64(3_600_000n);
      break;
    }
    case METADATA: {
      seen.push({ apiKey, apiVersion, detail: '' });
      w.writeInt32(1).writeInt32(1);
      str(w, '127.0.0.1');
      w.writeInt32(port);
      str(w, null); // rack (v1)
      w.writeInt32(1); // controller (v1)
      w.writeInt32(0); // no topics
      break;
    }
    default:
      throw new Error(`scripted broker: unexpected api ${apiKey}`);
  }
  return Buffer.from(w.toBuffer());
}

function serve(socket: Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const frame = pending.subarray(4, 4 + pending.readInt32BE(0));
      pending = pending.subarray(4 + frame.length);
      const r = new ByteReader(frame);
      const apiKey = r.readInt16();
      const apiVersion = r.readInt16();
      const correlationId = r.readInt32();
      readStr(r); // client id
      const body = answer(apiKey, apiVersion, r);
      const out = Buffer.alloc(8);
      out.writeInt32BE(body.length + 4, 0);
      out.writeInt32BE(correlationId, 4);
      socket.write(Buffer.concat([out, body]));
    }
  });
}

beforeAll(async () => {
  server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

it('authenticates with OAUTHBEARER carrying the token the MSK signer made, over TLS', async () => {
  const requestedTls: unknown[] = [];
  const kafka = createKafkaPort(
    { brokers: [`127.0.0.1:${port}`], sasl: { mechanism: 'aws-msk-iam', region: 'eu-north-1' } },
    {
      // The scripted broker speaks plaintext; the factory records that the adapter asked for TLS.
      socketFactory: ({ host, port: to, ssl, onConnect }: { host: string; port: number; ssl: unknown; onConnect: () => void }) => {
        requestedTls.push(ssl);
        return connect({ host, port: to }, onConnect);
      },
    },
  );
  try {
    const metadata = await kafka.metadata();
    expect(metadata.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port, rack: null }]);
  } finally {
    await kafka.close();
  }
  expect(generateAuthToken).toHaveBeenCalledWith({ region: 'eu-north-1' });
  expect(requestedTls.length).toBeGreaterThan(0);
  expect(requestedTls.every((ssl) => ssl === true)).toBe(true);
  expect(seen.find((s) => s.apiKey === SASL_HANDSHAKE)?.detail).toBe('OAUTHBEARER');
  const auth = seen.find((s) => s.apiKey === SASL_AUTHENTICATE)?.detail ?? '';
  expect(auth).toContain('auth=Bearer msk-token-for-eu-north-1');
  // Authentication happens before any other request.
  expect(seen.findIndex((s) => s.apiKey === SASL_AUTHENTICATE)).toBeLessThan(seen.findIndex((s) => s.apiKey === METADATA));
});
