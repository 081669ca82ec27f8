/**
 * A bootstrap address that is not a Kafka listener: an HTTP server, a socket that never answers,
 * one that answers garbage, one that hangs up. Each is named for what it is within a few
 * seconds, through the adapter and through the installed bin, instead of a 30 s timeout
 * reported as "unreachable". A refused connection stays "unreachable".
 */
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecoveryError } from '../../../lambdas/core/errors.ts';
import { createKafkaPort } from '../../../lambdas/kafka/index.ts';
import { BUILT_CLI } from '../../support/build-cli.ts';

const ANSWER_TIMEOUT_MS = 1_500;

const servers: Server[] = [];
const sockets: Socket[] = [];
const address: Record<'http' | 'silent' | 'garbage' | 'hangup', string> = { http: '', silent: '', garbage: '', hangup: '' };

async function listen(server: Server): Promise<string> {
  servers.push(server);
  server.on('connection', (socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

beforeAll(async () => {
  address.http = await listen(createHttpServer((_request, response) => response.end('hello')));
  address.silent = await listen(createServer(() => undefined));
  address.garbage = await listen(createServer((socket) => socket.once('data', () => socket.write(Buffer.from('ffffffff00000000deadbeef', 'hex')))));
  address.hangup = await listen(createServer((socket) => socket.once('data', () => socket.destroy())));
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function metadataFailure(bootstrap: string): Promise<{ error: RecoveryError; ms: number }> {
  const port = createKafkaPort({ brokers: [bootstrap], connectionTimeoutMs: ANSWER_TIMEOUT_MS });
  const started = Date.now();
  try {
    await port.metadata();
  } catch (error) {
    return { error: error as RecoveryError, ms: Date.now() - started };
  } finally {
    await port.close();
  }
  throw new Error(`${bootstrap} answered Metadata`);
}

describe('through the adapter', () => {
  it.each<[keyof typeof address, RegExp, number]>([
    ['http', /accepted the connection but did not answer as Kafka \(ApiVersions\): it answered "HTTP\/1\.1 400 Bad Request"/, 1_000],
    ['garbage', /did not answer as Kafka \(ApiVersions\): it answered bytes ffffffff00000000deadbeef/, 1_000],
    ['silent', /did not answer as Kafka \(ApiVersions\): it did not answer within 1\.5 s/, ANSWER_TIMEOUT_MS + 1_000],
    ['hangup', /did not answer as Kafka \(ApiVersions\): it closed the connection without answering/, 1_000],
  ])('%s: named for what it is, quickly', async (kind, message, withinMs) => {
    const { error, ms } = await metadataFailure(address[kind]);
    expect(error.code).toBe('KAFKA_UNAVAILABLE');
    expect(error.message).toContain(address[kind]);
    expect(error.message).toMatch(message);
    expect(error.message).toContain('is this the Kafka listener, and does it expect TLS (--tls)?');
    expect(error.message).not.toContain('unreachable');
    expect(ms).toBeLessThan(withinMs);
  });

  it('a refused connection is still "unreachable", not "not Kafka"', async () => {
    const { error } = await metadataFailure('127.0.0.1:1');
    expect(error.code).toBe('KAFKA_UNAVAILABLE');
    expect(error.message).not.toContain('did not answer as Kafka');
  });
});

describe('through the installed bin', () => {
  it('an HTTP server as bootstrap: exit 1 within a few seconds, one line naming it', async () => {
    const started = Date.now();
    const { code, err } = await new Promise<{ code: number | null; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BUILT_CLI, 'coordinator', 'billing', '--bootstrap', address.http], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, err: stderr }));
    });
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain(`${address.http} accepted the connection but did not answer as Kafka (ApiVersions)`);
  });
});
