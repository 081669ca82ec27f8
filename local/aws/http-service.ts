/**
 * The loopback HTTP server every stand-in runs on, and the error every stand-in throws. Each
 * protocol module renders a ServiceError the way its service does (JSON __type, XML <Error>,
 * x-amzn-errortype), so the SDK's own deserializers turn it into the modeled exception.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';

export class ServiceError extends Error {
  readonly code: string;
  readonly status: number;
  /** Sender (4xx) or Receiver (5xx), as awsQuery services report it. */
  readonly fault: 'Sender' | 'Receiver';
  readonly extra: Record<string, unknown>;
  constructor(code: string, status: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.fault = status >= 500 ? 'Receiver' : 'Sender';
    this.extra = extra;
  }
}

export interface StandinRequest {
  method: string;
  /** path without the query string, percent-decoding left to the protocol */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  requestId: string;
}

export interface StandinResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type StandinHandler = (request: StandinRequest) => Promise<StandinResponse> | StandinResponse;

/**
 * What a request must be signed for. Signatures are not verified (the credentials are dummies),
 * but an unsigned request, or one scoped to another region or service, is refused as AWS
 * refuses it: a client pointed at the wrong region fails here as it would on AWS.
 */
export interface SigningScope {
  region: string;
  /** the SigV4 service name: logs, kafka, s3, sns, states, secretsmanager */
  service: string;
  /** error codes the service uses: [unsigned, wrong scope] */
  errors?: { missing: [code: string, status: number]; scope: [code: string, status: number] };
}

const DEFAULT_SIGNING_ERRORS: Required<SigningScope>['errors'] = {
  missing: ['MissingAuthenticationTokenException', 403],
  scope: ['InvalidSignatureException', 403],
};

export function checkSignature(request: StandinRequest, scope: SigningScope): void {
  const errors = scope.errors ?? DEFAULT_SIGNING_ERRORS;
  const header = request.headers['authorization'];
  const credential =
    (typeof header === 'string' ? /^AWS4-HMAC-SHA256 Credential=([^,\s]+)/.exec(header)?.[1] : undefined) ?? request.query.get('X-Amz-Credential') ?? undefined;
  if (credential === undefined) {
    throw new ServiceError(errors.missing[0], errors.missing[1], 'Request is missing Authentication Token (a SigV4 Authorization header)');
  }
  const [, , region, service, terminator] = credential.split('/');
  if (region !== scope.region || service !== scope.service || terminator !== 'aws4_request') {
    throw new ServiceError(
      errors.scope[0],
      errors.scope[1],
      `Credential should be scoped to a valid region and service: expected ${scope.region}/${scope.service}, got ${region ?? '?'}/${service ?? '?'}`,
    );
  }
}

export interface RunningService {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Request bodies the runbook sends are small; anything larger is a bug or abuse. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ServiceError('RequestEntityTooLarge', 413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Starts a server on 127.0.0.1 with an OS-chosen port. `renderError` turns anything thrown by
 * the handler into the service's error format; errors that are not ServiceErrors become 500s.
 */
export async function startHttpService(
  handler: StandinHandler,
  renderError: (error: ServiceError, request: StandinRequest) => StandinResponse,
  signing?: SigningScope,
): Promise<RunningService> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void serve(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const request: StandinRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.alloc(0),
      requestId: randomUUID(),
    };
    let response: StandinResponse;
    try {
      request.body = await readBody(req);
      if (signing) checkSignature(request, signing);
      response = await handler(request);
    } catch (error) {
      const serviceError =
        error instanceof ServiceError ? error : new ServiceError('InternalFailure', 500, `stand-in failure: ${error instanceof Error ? error.message : String(error)}`);
      response = renderError(serviceError, request);
    }
    const body = response.body ?? '';
    const headers: Record<string, string> = {
      'x-amzn-requestid': request.requestId,
      'content-length': String(Buffer.byteLength(body)),
      ...response.headers,
    };
    res.writeHead(response.status, headers);
    // HEAD answers carry headers only, whatever length they announce.
    res.end(request.method === 'HEAD' ? undefined : body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; without this close() would wait for their idle timeout.
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

/** Escapes text for XML element content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
