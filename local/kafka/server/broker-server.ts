import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerLogger } from '../broker-log.ts';
import type { Cluster } from '../cluster/cluster.ts';
import { ApiKey, apiName } from '../protocol/api-keys.ts';
import { decodeRequestBody, decodeRequestHeader, encodeResponse, requestSchema, responseSchema, type RequestHeader } from '../protocol/codec.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { FrameDecoder, frame as sizePrefixed } from '../protocol/frame.ts';
import { RecoveryError } from '../../../lambdas/core/errors.ts';
import { inRange, isValidVersion, type MessageSchema } from '../../../lambdas/core/schema/index.ts';
import type { ConnectionInfo, RequestContext } from './context.ts';
import type { NetworkFaults } from './network-faults.ts';
import { NO_RESPONSE, type ApiRegistry, type HandlerResult, type ProtocolValue } from './registry.ts';

const SOCKET_SERVER = 'kafka.network.SocketServer';
const KAFKA_APIS = 'kafka.server.KafkaApis';
const PROCESSOR = 'kafka.network.Processor';

/** APIs a client may call before it has authenticated (Kafka's SaslServerAuthenticator rules). */
const PRE_AUTH_APIS = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export interface BrokerServerOptions {
  brokerId: number;
  cluster: Cluster;
  registry: ApiRegistry;
  faults: NetworkFaults;
  host?: string;
  /** 0 = chosen by the OS on first start; later starts reuse the bound port */
  port?: number;
  maxFrameBytes?: number;
  /** when true, only ApiVersions/SaslHandshake/SaslAuthenticate are served before authentication */
  saslRequired?: boolean;
  /** answers a raw SASL token (after SaslHandshake v0); returns the raw response token */
  rawSaslToken?: (connection: ConnectionInfo, token: Buffer) => Buffer | Promise<Buffer>;
}

/** Thrown to close a connection with a reason that goes to the broker log. */
class CloseConnection extends Error {}

interface ServeResult {
  /** the response frame; null when there is none to send */
  bytes: Buffer | null;
  /** cut this Fetch response in the middle (a network fault) */
  cutFetch: boolean;
  /** close the connection once the response is sent, for this reason */
  closeReason: string | null;
}

/**
 * One broker's listener. Frames are handled one at a time per connection, so pipelined
 * requests are answered in order; a bad frame or an unknown API or version closes that
 * connection only, with the reason in the broker log. A handler that throws is answered
 * UNKNOWN_SERVER_ERROR where the response can carry it, else its connection is closed.
 */
export class BrokerServer {
  readonly brokerId: number;
  private readonly options: BrokerServerOptions;
  private readonly log: BrokerLogger;
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private boundPort: number;
  private connectionCounter = 0;
  private everBound = false;

  constructor(options: BrokerServerOptions) {
    this.options = options;
    this.brokerId = options.brokerId;
    this.boundPort = options.port ?? 0;
    this.log = options.cluster.logs.forBroker(options.brokerId);
  }

  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get running(): boolean {
    return this.server !== null;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async start(): Promise<number> {
    if (this.server !== null) return this.boundPort;
    const server = createServer((socket) => this.accept(socket));
    const restart = this.everBound;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException): void => {
        // An OS-chosen port is free for any socket on the machine while its broker is stopped.
        if (restart && error.code === 'EADDRINUSE') {
          reject(new RecoveryError('CONFIGURATION', `broker ${this.brokerId} cannot listen on ${this.host}:${this.boundPort} again: another socket took the port while the broker was stopped`, { cause: error }));
        } else reject(error);
      };
      server.once('error', failed);
      server.listen({ host: this.host, port: this.boundPort, exclusive: true }, () => {
        server.off('error', failed);
        resolve();
      });
    });
    this.everBound = true;
    server.on('error', (error) => this.log.error(`[SocketServer nodeId=${this.brokerId}] listener error: ${error.message}`, SOCKET_SERVER));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('listener has no TCP address');
    this.boundPort = address.port;
    this.server = server;
    this.log.info(`[SocketServer listenerType=BROKER, nodeId=${this.brokerId}] Created data-plane acceptor and processors for endpoint : ListenerName(PLAINTEXT) ${this.host}:${this.boundPort}`, SOCKET_SERVER);
    return this.boundPort;
  }

  /** Closes the listener and every connection; new connections are refused until start(). */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const connection of [...this.connections]) connection.destroy();
    await closed;
    this.log.info(`[SocketServer listenerType=BROKER, nodeId=${this.brokerId}] Shutdown completed`, SOCKET_SERVER);
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const id = `${socket.localAddress}:${socket.localPort}-${socket.remoteAddress}:${socket.remotePort}-${this.connectionCounter++}`;
    const connection = new Connection(this, socket, id, this.options.maxFrameBytes);
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }

  /** @internal used by Connection */
  closeWithReason(connection: Connection, reason: string): void {
    this.log.warn(
      `[SocketServer listenerType=BROKER, nodeId=${this.brokerId}] Closing socket connection to /${connection.info.remoteAddress} (channelId=${connection.info.id}) due to invalid request: ${reason}`,
      PROCESSOR,
    );
    connection.destroy();
  }

  /** @internal used by Connection: a handler asked to close after its response */
  closeAfterResponse(connection: Connection, reason: string): void {
    this.log.info(
      `[SocketServer listenerType=BROKER, nodeId=${this.brokerId}] Closing socket connection to /${connection.info.remoteAddress} (channelId=${connection.info.id}) after its response: ${reason}`,
      PROCESSOR,
    );
  }

  /** @internal the whole life of one request; returns the bytes to send (null = nothing) */
  async serve(connection: Connection, frame: Buffer): Promise<ServeResult> {
    const { cluster, registry, faults } = this.options;
    const sasl = connection.info.sasl;
    if (sasl.rawTokens) {
      const handler = this.options.rawSaslToken;
      if (handler === undefined) throw new CloseConnection('raw SASL token received but SASL is not configured');
      sasl.rawTokens = false;
      const answer = await handler(connection.info, frame);
      return { bytes: sizePrefixed(answer), cutFetch: false, closeReason: null };
    }
    const { header, reader } = decodeRequestHeader(frame);
    const api = registry.get(header.apiKey);
    const schema = requestSchema(header.apiKey);
    if (api === undefined || schema === undefined) {
      throw new CloseConnection(`unknown API key ${header.apiKey} (correlationId ${header.correlationId}, clientId ${header.clientId})`);
    }
    const supported = header.apiVersion >= api.minVersion && header.apiVersion <= api.maxVersion;
    if (!supported && header.apiKey !== ApiKey.ApiVersions) {
      throw new CloseConnection(`${apiName(header.apiKey)} version ${header.apiVersion} is not supported (${api.minVersion}-${api.maxVersion})`);
    }
    if (this.options.saslRequired === true && sasl.principal === null && !PRE_AUTH_APIS.has(header.apiKey)) {
      throw new CloseConnection(`${apiName(header.apiKey)} received before SASL authentication completed`);
    }
    // An ApiVersions request at a version we do not know cannot be parsed; Kafka answers it anyway.
    const request: ProtocolValue =
      supported && isValidVersion(schema, header.apiVersion) ? decodeRequestBody(header, reader) : { _unsupportedVersion: true };
    const controller = connection.abort;
    let closeReason: string | null = null;
    const ctx: RequestContext = {
      brokerId: this.brokerId,
      cluster,
      apiKey: header.apiKey,
      apiVersion: header.apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId,
      connection: connection.info,
      log: this.log,
      flexible: header.headerVersion >= 2,
      signal: controller.signal,
      closeAfterResponse: (reason) => {
        closeReason = reason;
      },
    };
    let response: HandlerResult;
    try {
      response = await api.handle(ctx, request);
    } catch (error) {
      response = this.unexpectedError(header, error);
    }
    const delay = faults.responseDelayMs(this.brokerId, header.apiKey);
    if (delay > 0) await sleep(delay, undefined, { signal: controller.signal }).catch(() => undefined);
    if (response === NO_RESPONSE) return { bytes: null, cutFetch: false, closeReason };
    // An ApiVersions answer to a version we do not serve is a v0 body (the client can read it).
    const responseVersion = header.apiKey === ApiKey.ApiVersions && !supported ? 0 : header.apiVersion;
    const withData = header.apiKey === ApiKey.Fetch ? partitionsWithData(response) : [];
    const recordBytes = withData.reduce((n, p) => n + p.bytes, 0);
    const bytes = encodeResponse(header.apiKey, responseVersion, header.correlationId, response, recordBytes);
    const cutFetch = withData.length > 0 && faults.takeDropFetch(this.brokerId, withData);
    return { bytes, cutFetch, closeReason };
  }

  /**
   * A handler failed in a way it did not answer itself. As Kafka's request handler does, the
   * failure goes to the broker log and the client gets UNKNOWN_SERVER_ERROR when the response
   * has a top-level error code at this version; otherwise the connection is closed.
   */
  private unexpectedError(header: RequestHeader, error: unknown): ProtocolValue {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.log.error(
      `[KafkaApi-${this.brokerId}] Unexpected error handling request RequestHeader(apiKey=${constantName(apiName(header.apiKey))}, apiVersion=${header.apiVersion}, clientId=${header.clientId}, correlationId=${header.correlationId}): ${reason}`,
      KAFKA_APIS,
    );
    if (!hasTopLevelErrorCode(responseSchema(header.apiKey), header.apiVersion)) {
      throw new CloseConnection(`${apiName(header.apiKey)} v${header.apiVersion} failed unexpectedly and its response has no error code to carry it (${reason})`);
    }
    // Every other field takes its schema default.
    return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
  }
}

/** Kafka's ApiKeys constant for an API name: OffsetCommit -> OFFSET_COMMIT. */
function constantName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function hasTopLevelErrorCode(schema: MessageSchema | undefined, version: number): boolean {
  return schema?.root.fields.some((f) => f.name === 'errorCode' && !f.isArray && inRange(f.versions, version)) ?? false;
}

function partitionsWithData(response: ProtocolValue): Array<{ topic: string; partition: number; bytes: number }> {
  const out: Array<{ topic: string; partition: number; bytes: number }> = [];
  for (const topic of (response['responses'] as Array<{ topic?: string; partitions: Array<{ partitionIndex: number; records: Buffer | null }> }>) ?? []) {
    for (const p of topic.partitions) {
      if (p.records !== null && p.records.length > 0) out.push({ topic: topic.topic ?? '', partition: p.partitionIndex, bytes: p.records.length });
    }
  }
  return out;
}

class Connection {
  readonly info: ConnectionInfo;
  readonly abort = new AbortController();
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private draining = false;
  private closed = false;

  constructor(
    private readonly broker: BrokerServer,
    private readonly socket: Socket,
    id: string,
    maxFrameBytes: number | undefined,
  ) {
    this.info = {
      id,
      remoteAddress: socket.remoteAddress ?? 'unknown',
      remotePort: socket.remotePort ?? 0,
      sasl: { mechanism: null, principal: null, exchange: null, rawTokens: false },
    };
    this.decoder = new FrameDecoder(maxFrameBytes);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.broker.closeWithReason(this, (error as Error).message);
      return;
    }
    if (frames.length === 0) return;
    this.queue.push(...frames);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const frame = this.queue.shift()!;
        let result: ServeResult;
        try {
          result = await this.broker.serve(this, frame);
        } catch (error) {
          const reason = error instanceof CloseConnection ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
          if (!this.closed) this.broker.closeWithReason(this, reason);
          return;
        }
        if (this.closed) return;
        if (result.closeReason !== null) {
          this.broker.closeAfterResponse(this, result.closeReason);
          const close = (): void => this.destroy();
          if (result.bytes === null) close();
          else this.socket.end(result.bytes, close);
          this.closed = true;
          this.abort.abort();
          return;
        }
        if (result.bytes === null) continue;
        if (result.cutFetch) {
          this.socket.end(result.bytes.subarray(0, Math.max(1, result.bytes.length >>> 1)), () => this.destroy());
          this.closed = true;
          this.abort.abort();
          return;
        }
        this.socket.write(result.bytes);
      }
    } finally {
      this.draining = false;
    }
  }

  destroy(): void {
    if (!this.abort.signal.aborted) this.abort.abort();
    this.closed = true;
    this.socket.destroy();
  }
}
