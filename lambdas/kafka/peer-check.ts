/**
 * Tells a Kafka listener from something else on the port. The first bytes back on a connection
 * must be a Kafka response frame (a plausible size) carrying the first request's correlation id
 * (kafkajs's first request to a broker is ApiVersions, before SASL and anything else). An HTTP server, a
 * proxy, garbage or silence is named as such at once (or after the connection timeout) instead
 * of after a 30 s request timeout reported as "unreachable".
 */
import type { Socket } from 'node:net';

export interface SocketFactoryArgs {
  host: string;
  port: number;
  ssl: unknown;
  onConnect: () => void;
}

export type SocketFactory = (args: SocketFactoryArgs) => Socket;

export interface NotKafkaVerdict {
  /** What came back, in words: 'answered "HTTP/1.1 400 Bad Request"', 'did not answer within 5 s'. */
  what: string;
  /** Wrong bytes are certain; silence or a closed connection may also be a broker in trouble. */
  certain: boolean;
}

/**
 * A connection's first response is ApiVersions on the first connection to a broker, but any
 * response (a large Fetch) on the later ones kafkajs opens; none comes near this, while an HTTP
 * status line read as a frame size is ~1.2 GB. The correlation id check does the rest.
 */
const MAX_FIRST_RESPONSE_BYTES = 256 * 1024 * 1024;
const HEADER_BYTES = 8;

/**
 * Wraps a kafkajs socket factory: watches each connection until its first response and reports
 * a peer that does not answer as Kafka through `onVerdict(host, port, verdict)`, then breaks the
 * connection so the pending request fails now.
 */
export function checkingPeers(inner: SocketFactory, options: { answerTimeoutMs: number; onVerdict(host: string, port: number, verdict: NotKafkaVerdict): void }): SocketFactory {
  return (args) => {
    let timer: NodeJS.Timeout | undefined;
    let correlationId: number | undefined;
    let received = Buffer.alloc(0);
    let settled = false;
    let connected = false;

    const settle = (verdict?: NotKafkaVerdict, breakConnection = true): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!verdict) return;
      options.onVerdict(args.host, args.port, verdict);
      if (breakConnection) socket.destroy(new Error(`${args.host}:${args.port} ${verdict.what}`));
    };

    const socket = inner({
      ...args,
      onConnect: () => {
        connected = true;
        timer = setTimeout(() => settle({ what: `did not answer within ${formatSeconds(options.answerTimeoutMs)}`, certain: false }), options.answerTimeoutMs);
        timer.unref();
        args.onConnect();
      },
    });

    // The request header: int32 size, int16 api key, int16 version, int32 correlation id.
    const write = socket.write.bind(socket) as (...writeArgs: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (correlationId === undefined && Buffer.isBuffer(chunk) && chunk.length >= 12) correlationId = chunk.readInt32BE(8);
      return write(chunk, ...rest);
    }) as Socket['write'];

    // Events are judged before kafkajs's listeners see them: bytes that are not a Kafka answer
    // never reach its parser (which does not survive them), and a hang-up is recorded before
    // kafkajs reports it as a closed connection.
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...eventArgs: unknown[]) => boolean;
    socket.emit = ((event: string | symbol, ...eventArgs: unknown[]) => {
      if (!settled && event === 'data') {
        received = Buffer.concat([received, eventArgs[0] as Buffer]);
        if (received.length < HEADER_BYTES) return true;
        const size = received.readInt32BE(0);
        const answeredId = received.readInt32BE(4);
        if (size < 4 || size > MAX_FIRST_RESPONSE_BYTES || (correlationId !== undefined && answeredId !== correlationId)) {
          settle({ what: `answered ${describeBytes(received)}`, certain: true });
          return true;
        }
        settle();
        // kafkajs gets everything held back so far, as one chunk.
        return emit(event, received);
      }
      // Before the connection was up, an end is a refused or failed connect: unreachable, not "not Kafka".
      if (!settled && connected && (event === 'end' || event === 'close')) {
        settle(received.length > 0 ? { what: `answered ${describeBytes(received)} and closed the connection`, certain: true } : { what: 'closed the connection without answering', certain: false }, false);
      }
      return emit(event, ...eventArgs);
    }) as Socket['emit'];
    return socket;
  };
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** The first bytes as a person would recognise them: text when they are text, hex otherwise. */
export function describeBytes(bytes: Buffer): string {
  const head = bytes.subarray(0, 32);
  const printable = head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09);
  if (printable) {
    const line = head.toString('latin1').split(/\r?\n/)[0] ?? '';
    return `"${line}${bytes.length > line.length && !head.toString('latin1').includes('\n') ? '...' : ''}"`;
  }
  return `bytes ${head.subarray(0, 16).toString('hex')}${bytes.length > 16 ? '...' : ''}`;
}

export function notKafkaMessage(broker: string, verdict: NotKafkaVerdict, tls: boolean): string {
  const listener = tls ? 'is this the Kafka TLS listener (MSK: 9094, SASL/SCRAM 9096, IAM 9098)?' : 'is this the Kafka listener, and does it expect TLS (--tls)?';
  return `${broker} accepted the connection but did not answer as Kafka (ApiVersions): it ${verdict.what}. Check the bootstrap address: ${listener}`;
}
