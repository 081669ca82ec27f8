/**
 * Asks a broker which API versions it serves, with an ApiVersions v0 request on a raw socket
 * (the oldest form every release answers, with no client library's negotiation in between).
 */
import { Socket } from 'node:net';

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

function apiVersionsV0Request(correlationId: number, clientId: string): Buffer {
  const client = Buffer.from(clientId, 'utf8');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length);
  body.writeInt16BE(18, 0); // ApiVersions
  body.writeInt16BE(0, 2);
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(client.length, 8);
  client.copy(body, 10);
  const frame = Buffer.alloc(4);
  frame.writeInt32BE(body.length, 0);
  return Buffer.concat([frame, body]);
}

export function parseApiVersionsV0Response(body: Buffer): { correlationId: number; errorCode: number; apis: ApiVersionRange[] } {
  const correlationId = body.readInt32BE(0);
  const errorCode = body.readInt16BE(4);
  const count = body.readInt32BE(6);
  const apis: ApiVersionRange[] = [];
  for (let i = 0, at = 10; i < count; i++, at += 6) {
    apis.push({ apiKey: body.readInt16BE(at), minVersion: body.readInt16BE(at + 2), maxVersion: body.readInt16BE(at + 4) });
  }
  return { correlationId, errorCode, apis };
}

export async function fetchApiVersions(host: string, port: number, timeoutMs = 10_000): Promise<ApiVersionRange[]> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no ApiVersions answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      clearTimeout(timer);
      socket.destroy();
      const answer = parseApiVersionsV0Response(received.subarray(4, 4 + received.readInt32BE(0)));
      if (answer.errorCode !== 0) reject(new Error(`ApiVersions answered error ${answer.errorCode}`));
      else resolve(answer.apis.sort((a, b) => a.apiKey - b.apiKey));
    });
    socket.connect(port, host, () => socket.write(apiVersionsV0Request(1, 'coordinator-recovery-oracle')));
  });
}
