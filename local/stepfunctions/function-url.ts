/**
 * A Lambda function URL on loopback: each HTTP request becomes the payload-2.0 event a function
 * URL delivers, and the handler's `{statusCode, headers, body}` becomes the HTTP answer. The
 * approval links in the local approval mail point here, so a browser or a test can open and
 * submit them as an approver would. With `auth: { type: 'AWS_IAM', ... }` it is the AWS_IAM URL:
 * every request must carry a valid SigV4 signature of a known test principal (else 403, as AWS
 * answers), and the event names the caller in requestContext.authorizer.iam.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { verifySignedRequest, type IamAuthorizer, type TestPrincipal } from './function-url-iam.ts';

export type FunctionUrlAuth = { type: 'NONE' } | { type: 'AWS_IAM'; region: string; principals: readonly TestPrincipal[] };

export interface FunctionUrlResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

export interface RunningFunctionUrl {
  /** with a trailing slash, as AWS prints function URLs */
  url: string;
  close(): Promise<void>;
}

const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/;

export async function toFunctionUrlEvent(request: IncomingMessage, body: Buffer, caller?: IamAuthorizer): Promise<LambdaFunctionURLEvent> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]),
  );
  const contentType = headers['content-type'] ?? '';
  // Function URLs pass text bodies as they are and base64-encode everything else.
  const textual = body.length === 0 || TEXT_TYPES.test(contentType);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !textual,
    requestContext: {
      accountId: caller ? caller.accountId : 'anonymous',
      ...(caller ? { authorizer: { iam: caller } } : {}),
      apiId: 'local',
      domainName: headers['host'] ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

export async function startFunctionUrl(handler: (event: LambdaFunctionURLEvent) => Promise<FunctionUrlResult>, auth: FunctionUrlAuth = { type: 'NONE' }): Promise<RunningFunctionUrl> {
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        let result: FunctionUrlResult;
        const body = Buffer.concat(chunks);
        try {
          let caller: IamAuthorizer | undefined;
          if (auth.type === 'AWS_IAM') {
            const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]));
            const verified = await verifySignedRequest({ method: request.method ?? 'GET', url: new URL(request.url ?? '/', `http://${headers['host'] ?? '127.0.0.1'}`), headers, body }, auth.principals, auth.region);
            caller = verified.ok ? verified.identity : undefined;
          }
          result =
            auth.type === 'AWS_IAM' && caller === undefined
              ? // The function never runs; AWS answers the caller with a bare 403.
                { statusCode: 403, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Message: 'Forbidden' }) }
              : await handler(await toFunctionUrlEvent(request, body, caller));
        } catch (error) {
          // What a function URL answers when the function itself throws.
          result = { statusCode: 502, headers: { 'content-type': 'text/plain' }, body: `Internal Server Error: ${error instanceof Error ? error.message : String(error)}` };
        }
        const answer = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
        response.writeHead(result.statusCode, { ...result.headers, 'content-length': String(answer.length) });
        response.end(answer);
      })();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
