/**
 * The first-answer check on its own, over loopback sockets: a large Kafka frame with the right
 * correlation id passes (a Fetch is the first response on kafkajs's later connections), while
 * text or a wrong correlation id is judged "not Kafka" before anything else sees the bytes.
 */
import { connect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkingPeers, type NotKafkaVerdict } from '../../../lambdas/kafka/peer-check.ts';

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** Sends one request with correlation id 7 to a server that answers `reply(correlationId)`; resolves with what the client saw. */
async function exchange(reply: (correlationId: number) => Buffer): Promise<{ verdict: NotKafkaVerdict | undefined; delivered: Buffer }> {
  server = createServer((socket) => socket.once('data', (request: Buffer) => socket.write(reply(request.readInt32BE(8)))));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let verdict: NotKafkaVerdict | undefined;
  const factory = checkingPeers(({ host, port: p, onConnect }) => connect({ host, port: p }, onConnect), { answerTimeoutMs: 2000, onVerdict: (_h, _p, v) => (verdict = v) });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = factory({
      host: '127.0.0.1',
      port,
      ssl: undefined,
      onConnect: () => {
        const request = Buffer.alloc(16);
        request.writeInt32BE(12, 0);
        request.writeInt16BE(1, 4);
        request.writeInt16BE(11, 6);
        request.writeInt32BE(7, 8);
        socket.write(request);
      },
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ verdict, delivered: Buffer.concat(chunks) }));
  });
}

describe('checkingPeers', () => {
  it('passes a Kafka frame announcing 8 MiB with the request\'s correlation id on to the client', async () => {
    const { verdict, delivered } = await exchange((id) => {
      const header = Buffer.alloc(8);
      header.writeInt32BE(8 * 1024 * 1024, 0);
      header.writeInt32BE(id, 4);
      return header;
    });
    expect(verdict).toBeUndefined();
    expect(delivered.readInt32BE(4)).toBe(7);
  });

  it('judges an HTTP answer as not Kafka and keeps it from the client', async () => {
    const { verdict, delivered } = await exchange(() => Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'));
    expect(verdict).toEqual({ what: 'answered "HTTP/1.1 400 Bad Request"', certain: true });
    expect(delivered.length).toBe(0);
  });

  it('judges a frame with another correlation id as not Kafka', async () => {
    const { verdict } = await exchange(() => Buffer.from('0000000c0000002a', 'hex'));
    expect(verdict?.certain).toBe(true);
    expect(verdict?.what).toContain('bytes 0000000c0000002a');
  });
});
