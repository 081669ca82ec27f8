import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { ConnectionInfo } from '../server/context.ts';
import { ApiKey } from '../protocol/api-keys.ts';
import type { ApiDefinition } from '../server/registry.ts';

/**
 * SASL PLAIN (RFC 4616) and SCRAM-SHA-512 (RFC 5802 / RFC 7677) on the server side, through
 * SaslHandshake + SaslAuthenticate, or raw tokens after SaslHandshake v0 as old clients send.
 */
export interface SaslUsers {
  plain?: Record<string, string>;
  scramSha512?: Record<string, string>;
}

export type RawSaslTokenHandler = (connection: ConnectionInfo, token: Buffer) => Buffer;

/** The mechanisms the configured users allow and the server side of their exchanges. */
export interface SaslServer {
  mechanisms: readonly string[];
  /** Answers one token of the connection's exchange; throws SaslFailure when authentication fails. */
  step(connection: ConnectionInfo, token: Buffer): Buffer;
  /** After SaslHandshake v0 tokens arrive raw, outside any request. */
  rawToken: RawSaslTokenHandler;
}

/** SaslHandshake and SaslAuthenticate, served only when the cluster has users. */
export type SaslApi = ApiDefinition<SaslServer>;

const SCRAM_ITERATIONS = 4096;

interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

interface ScramExchange {
  step: 'awaiting-final';
  user: string;
  nonce: string;
  clientFirstBare: string;
  serverFirst: string;
}

class SaslFailure extends Error {}

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha512', key).update(text).digest();

function scramCredential(password: string): ScramCredential {
  const salt = randomBytes(24);
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, SCRAM_ITERATIONS, 64, 'sha512');
  const clientKey = hmac(salted, 'Client Key');
  return { salt, storedKey: createHash('sha512').update(clientKey).digest(), serverKey: hmac(salted, 'Server Key') };
}

/** `a=b,c=d` attribute list of a SCRAM message. */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

function saslName(value: string): string {
  return value.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** null when no user is configured: the cluster then serves no SASL at all. */
export function createSaslServer(users: SaslUsers): SaslServer | null {
  const plain = new Map(Object.entries(users.plain ?? {}));
  const scram = new Map([...Object.entries(users.scramSha512 ?? {})].map(([user, password]) => [user, scramCredential(password)]));
  const mechanisms = [...(plain.size > 0 ? ['PLAIN'] : []), ...(scram.size > 0 ? ['SCRAM-SHA-512'] : [])];
  if (mechanisms.length === 0) return null;

  const authenticatePlain = (connection: ConnectionInfo, token: Buffer): Buffer => {
    const [, user, password] = token.toString('utf8').split('\u0000');
    if (user === undefined || password === undefined) throw new SaslFailure('PLAIN token must be authzid NUL user NUL password');
    const expected = plain.get(user);
    if (expected === undefined || !safeEqual(Buffer.from(expected), Buffer.from(password))) {
      throw new SaslFailure(`Authentication failed: Invalid username or password`);
    }
    connection.sasl.principal = `User:${user}`;
    return Buffer.alloc(0);
  };

  const authenticateScram = (connection: ConnectionInfo, token: Buffer): Buffer => {
    const exchange = connection.sasl.exchange as ScramExchange | null;
    const text = token.toString('utf8');
    if (exchange === null) {
      // client-first-message: gs2-header "n,," (no channel binding) then the bare message.
      const gs2End = text.indexOf(',', text.indexOf(',') + 1);
      if (!text.startsWith('n,') && !text.startsWith('y,')) throw new SaslFailure('SCRAM client-first-message must start with a gs2 header n,, or y,,');
      const clientFirstBare = text.slice(gs2End + 1);
      const attrs = attributes(clientFirstBare);
      const user = saslName(attrs.get('n') ?? '');
      const clientNonce = attrs.get('r');
      if (clientNonce === undefined || clientNonce.length === 0) throw new SaslFailure('SCRAM client-first-message has no nonce');
      const credential = scram.get(user);
      if (credential === undefined) throw new SaslFailure(`Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512`);
      const nonce = clientNonce + randomBytes(18).toString('base64');
      const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${SCRAM_ITERATIONS}`;
      connection.sasl.exchange = { step: 'awaiting-final', user, nonce, clientFirstBare, serverFirst } satisfies ScramExchange;
      return Buffer.from(serverFirst, 'utf8');
    }
    connection.sasl.exchange = null;
    const attrs = attributes(text);
    const proofIndex = text.lastIndexOf(',p=');
    // Kafka only checks that the final nonce ends with the server's: librdkafka 2.0 sends its own nonce in front again.
    if (!(attrs.get('r') ?? '').endsWith(exchange.nonce) || proofIndex < 0) throw new SaslFailure('Invalid client nonce in the final client message.');
    const credential = scram.get(exchange.user)!;
    const authMessage = `${exchange.clientFirstBare},${exchange.serverFirst},${text.slice(0, proofIndex)}`;
    const clientSignature = hmac(credential.storedKey, authMessage);
    const proof = Buffer.from(attrs.get('p') ?? '', 'base64');
    if (proof.length !== clientSignature.length) throw new SaslFailure('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!safeEqual(createHash('sha512').update(clientKey).digest(), credential.storedKey)) {
      throw new SaslFailure('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
    }
    connection.sasl.principal = `User:${exchange.user}`;
    return Buffer.from(`v=${hmac(credential.serverKey, authMessage).toString('base64')}`, 'utf8');
  };

  const step = (connection: ConnectionInfo, token: Buffer): Buffer => {
    if (connection.sasl.mechanism === 'PLAIN') return authenticatePlain(connection, token);
    if (connection.sasl.mechanism === 'SCRAM-SHA-512') return authenticateScram(connection, token);
    throw new SaslFailure('SaslAuthenticate before a successful SaslHandshake');
  };

  return {
    mechanisms,
    step,
    rawToken(connection, token) {
      const answer = step(connection, token);
      // SCRAM needs a second round trip; stay in raw mode until the exchange is done.
      if (connection.sasl.principal === null) connection.sasl.rawTokens = true;
      return answer;
    },
  };
}

export const saslHandshakeApi: SaslApi = {
  apiKey: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request, { mechanisms }) {
    const mechanism = String(request['mechanism']);
    if (!mechanisms.includes(mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    ctx.connection.sasl.mechanism = mechanism;
    ctx.connection.sasl.exchange = null;
    // v0 clients follow the handshake with raw tokens instead of SaslAuthenticate requests.
    ctx.connection.sasl.rawTokens = ctx.apiVersion === 0;
    return { errorCode: ErrorCode.NONE, mechanisms };
  },
};

export const saslAuthenticateApi: SaslApi = {
  apiKey: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, request, { step }) {
    try {
      const authBytes = step(ctx.connection, request['authBytes'] as Buffer);
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes, sessionLifetimeMs: 0n };
    } catch (error) {
      if (!(error instanceof SaslFailure)) throw error;
      ctx.log.info(
        `[SocketServer listenerType=BROKER, nodeId=${ctx.brokerId}] Failed authentication with /${ctx.connection.remoteAddress} (channelId=${ctx.connection.id}) (${error.message})`,
        'org.apache.kafka.common.network.Selector',
      );
      // Kafka answers the failure, then closes the channel: the client must reconnect to try again.
      ctx.closeAfterResponse(`SASL authentication failed (${error.message})`);
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: error.message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
  },
};

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
