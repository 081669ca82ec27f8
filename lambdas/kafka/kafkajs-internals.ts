/**
 * The only file that reaches into kafkajs's internal source (an upgrade of kafkajs touches this
 * file and kafkajs-src.d.ts, nothing else). kafkajs's consumer always joins a group, so the
 * scan goes through its lower layer instead: one kafkajs Broker (connection pool, ApiVersions
 * negotiation, TLS, SASL) per broker address, and requests sent on its connections.
 *
 * kafkajs's response parsers throw on the first error code; here every response is decoded
 * with kafkajs's decoder and handed back whole, so the port can see each partition's outcome.
 * Metadata, Fetch, OffsetFetch and OffsetCommit go out with our own codecs (*-codec.ts)
 * through the same connection: the record bytes reach core untouched, and the versions that
 * carry leader epochs are used (kafkajs stops short of them).
 */
// Referenced, not only included by this repo's tsconfig, so a project type-checking this
// package from node_modules sees the declarations too (an ambient file cannot be imported).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./kafkajs-src.d.ts" />
import Broker from 'kafkajs/src/broker/index.js';
import loggers from 'kafkajs/src/loggers/index.js';
import ConnectionPool from 'kafkajs/src/network/connectionPool.js';
import defaultSocketFactory from 'kafkajs/src/network/socketFactory.js';
import Encoder from 'kafkajs/src/protocol/encoder.js';
import errorModule from 'kafkajs/src/protocol/error.js';
import apiKeys from 'kafkajs/src/protocol/requests/apiKeys.js';
import requestsModule from 'kafkajs/src/protocol/requests/index.js';
import { RecoveryError, kafkaError } from '../core/errors.ts';
import { toKafkajsSasl, type MskTokenSigner } from './auth.ts';
import { checkingPeers, notKafkaMessage, type NotKafkaVerdict, type SocketFactory } from './peer-check.ts';
import type { BrokerEndpoint, ValidatedKafkaConfig } from './config.ts';
import type { ApiSpec } from './api-spec.ts';
import { FETCH_API, decodeFetchResponse, encodeFetchRequest, type FetchRequestBody } from './fetch-codec.ts';
import { METADATA_API, decodeMetadataResponse, encodeMetadataRequest } from './metadata-codec.ts';
import { OFFSET_FETCH_ALL_TOPICS_VERSION, OFFSET_FETCH_API, decodeOffsetFetchResponse, encodeOffsetFetchRequest } from './offset-fetch-codec.ts';
import { OFFSET_COMMIT_API, decodeOffsetCommitResponse, encodeOffsetCommitRequest, type OffsetCommitRequestBody } from './offset-commit-codec.ts';
import { ELECT_LEADERS_API, decodeElectLeadersResponse, encodeElectLeadersRequest } from './elect-leaders-codec.ts';
import { endpointKey, type KafkaAdminWire, type KafkaErrorInfo, type KafkaWire, type WireGroup, type WireMetadata } from './wire.ts';

const { requests } = requestsModule;

/** kafkajs still uses pre-KIP names for a few codes; the rest of the project speaks Kafka's current names. */
const CURRENT_ERROR_NAMES: Record<number, string> = {
  [-1]: 'UNKNOWN_SERVER_ERROR',
  6: 'NOT_LEADER_OR_FOLLOWER',
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
};

const errorsByCode = new Map(errorModule.errorCodes.map((entry) => [entry.code, entry]));

/** Kafka's name, retriability and meaning of a broker error code. */
export function describeKafkaErrorCode(code: number): KafkaErrorInfo {
  const known = errorsByCode.get(code);
  return {
    name: CURRENT_ERROR_NAMES[code] ?? known?.type ?? `UNKNOWN_ERROR_CODE_${code}`,
    retryable: known?.retriable ?? false,
    message: known?.message ?? `the broker answered with error code ${code}`,
  };
}

const CONNECTION_FAILURES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
  'KafkaJSNoBrokerAvailableError',
]);

/** Maps whatever kafkajs threw into the project's RecoveryError vocabulary. */
export function fromKafkajsError(error: unknown, at: BrokerEndpoint, action: string): RecoveryError {
  if (error instanceof RecoveryError) return error;
  const broker = endpointKey(at);
  const failure = error as { name?: string; message?: string; type?: string; code?: number | string; retriable?: boolean };
  const reason = failure.message ?? String(error);
  if (failure.name !== undefined && CONNECTION_FAILURES.has(failure.name)) {
    return new RecoveryError('KAFKA_UNAVAILABLE', `${action} failed: broker ${broker} is unreachable (${reason})`, {
      retryable: true,
      cause: error,
      details: { broker },
    });
  }
  if (failure.name === 'KafkaJSSASLAuthenticationError') {
    return kafkaError('SASL_AUTHENTICATION_FAILED', 58, `${action} failed: authentication to ${broker} was refused (${reason}). Check the SASL mechanism and credentials`, {
      details: { broker },
    });
  }
  if (failure.name === 'KafkaJSServerDoesNotSupportApiKey' || failure.type === 'UNSUPPORTED_VERSION') {
    return new RecoveryError('UNSUPPORTED', `${action} failed: broker ${broker} does not support ${action} (${reason})`, { cause: error, details: { broker } });
  }
  if (typeof failure.type === 'string' && typeof failure.code === 'number') {
    const info = describeKafkaErrorCode(failure.code);
    return kafkaError(info.name, failure.code, `${action} failed on ${broker}: ${info.name} (${reason})`, {
      retryable: failure.retriable ?? info.retryable,
      details: { broker },
    });
  }
  // Socket-level errors that escape kafkajs's wrapping (ECONNRESET, EPIPE, TLS handshake).
  if (typeof failure.code === 'string') {
    return new RecoveryError('KAFKA_UNAVAILABLE', `${action} failed: connection to ${broker} broke (${failure.code}: ${reason})`, {
      retryable: true,
      cause: error,
      details: { broker },
    });
  }
  return new RecoveryError('KAFKA_ERROR', `${action} failed on ${broker}: ${reason}`, { cause: error, details: { broker, kafkaErrorName: 'CLIENT_ERROR' } });
}

export interface KafkajsWireOptions {
  /** Receives kafkajs's own log lines (connection retries, protocol errors); silent when omitted. */
  debugLog?: (line: { level: string; namespace: string; message: string; extra: Record<string, unknown> }) => void;
  /** Replaces the MSK IAM token signer (tests). */
  mskTokenSigner?: MskTokenSigner;
  /** Replaces kafkajs's socket factory (tests that need to break sockets). */
  socketFactory?: unknown;
}

type KafkajsProtocol = ReturnType<ReturnType<Broker['lookupRequest']>>;

interface DecodedListOffsets {
  responses: { topic: string; partitions: { partition: number; errorCode: number; timestamp?: string; offset?: string; offsets?: string[] }[] }[];
}

interface DecodedFindCoordinator {
  errorCode: number;
  errorMessage?: string | null;
  coordinator: { nodeId: number; host: string; port: number };
}

interface DecodedDescribeGroups {
  groups: { errorCode: number; groupId: string; state: string; protocolType: string; protocol: string; members: { memberId: string; clientId: string; clientHost: string }[] }[];
}

interface DecodedAlterReassignments {
  errorCode: number;
  responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[];
}

interface DecodedListReassignments {
  errorCode: number;
  topics: { name: string; partitions: { partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[] }[] | null;
}

interface DecodedDeleteGroups {
  results: { groupId: string; errorCode: number }[];
}

/** Builds the KafkaWire over kafkajs brokers, one per address, created on first use. */
export function createKafkajsWire(config: ValidatedKafkaConfig, options: KafkajsWireOptions = {}): KafkaWire & KafkaAdminWire {
  const { debugLog } = options;
  const logger = loggers.createLogger({
    level: debugLog ? loggers.LEVELS.DEBUG : loggers.LEVELS.NOTHING,
    logCreator: () => (entry) => {
      const { message, ...extra } = entry.log;
      debugLog?.({ level: entry.label, namespace: entry.namespace, message, extra });
    },
  });
  // Peers that took the connection but did not answer as Kafka, until the failure is reported.
  const notKafka = new Map<string, NotKafkaVerdict>();
  const socketFactory = checkingPeers((options.socketFactory ?? defaultSocketFactory()) as SocketFactory, {
    // The handshake is part of connecting: a listener gets the connection timeout to answer it.
    answerTimeoutMs: config.connectionTimeoutMs,
    onVerdict: (host, port, verdict) => notKafka.set(endpointKey({ host, port }), verdict),
  });
  const sasl = toKafkajsSasl(config.sasl, options.mskTokenSigner);
  const brokers = new Map<string, Broker>();
  let closed = false;

  function brokerAt(at: BrokerEndpoint): Broker {
    if (closed) throw new RecoveryError('KAFKA_UNAVAILABLE', 'the Kafka connection was closed; create a new port');
    const key = endpointKey(at);
    let broker = brokers.get(key);
    if (!broker) {
      const connectionPool = new ConnectionPool({
        host: at.host,
        port: at.port,
        ssl: config.ssl,
        sasl,
        clientId: config.clientId,
        socketFactory,
        connectionTimeout: config.connectionTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        enforceRequestTimeout: true,
        logger,
      });
      broker = new Broker({ connectionPool, logger, allowAutoTopicCreation: false, authenticationTimeout: config.connectionTimeoutMs * 2 });
      brokers.set(key, broker);
    }
    return broker;
  }

  /**
   * Throws the broker's kafkajs objects away after a transport failure. kafkajs keeps the bytes
   * of a half-received response in its Connection across reconnects, so the next response on
   * a reused Connection would be framed wrongly (and time out); a fresh Broker starts clean.
   */
  async function discard(at: BrokerEndpoint, broker: Broker): Promise<void> {
    const key = endpointKey(at);
    if (brokers.get(key) === broker) brokers.delete(key);
    await broker.disconnect().catch(() => undefined);
  }

  async function connected(at: BrokerEndpoint, action: string): Promise<Broker> {
    const broker = brokerAt(at);
    try {
      // Always through connect(): its lock makes a concurrent caller wait for the handshake
      // (ApiVersions, SASL) in progress; isConnected() turns true as soon as the socket is
      // up, before the broker can build requests ("Broker not connected").
      await broker.connect();
      return broker;
    } catch (error) {
      await discard(at, broker);
      const verdict = notKafka.get(endpointKey(at));
      if (verdict) {
        notKafka.delete(endpointKey(at));
        throw new RecoveryError('KAFKA_UNAVAILABLE', notKafkaMessage(endpointKey(at), verdict, config.ssl !== undefined && config.ssl !== false), {
          retryable: !verdict.certain,
          cause: error,
          details: { broker: endpointKey(at), notKafka: verdict.what },
        });
      }
      throw fromKafkajsError(error, at, action);
    }
  }

  async function send(broker: Broker, at: BrokerEndpoint, action: string, protocol: KafkajsProtocol): Promise<unknown> {
    try {
      return await broker.connectionPool.send(protocol);
    } catch (error) {
      const mapped = fromKafkajsError(error, at, action);
      if (mapped.code === 'KAFKA_UNAVAILABLE') await discard(at, broker);
      throw mapped;
    }
  }

  /** A request built and decoded by kafkajs, with its throwing parser replaced by the identity. */
  async function sendKafkajsRequest(at: BrokerEndpoint, apiName: string, args: Record<string, unknown> | unknown[]): Promise<unknown> {
    // kafkajs still calls FindCoordinator by its pre-KIP-98 name; messages use Kafka's.
    const action = apiName === 'GroupCoordinator' ? 'FindCoordinator' : apiName;
    const broker = await connected(at, action);
    let protocol: KafkajsProtocol;
    try {
      protocol = broker.lookupRequest(apiKeys[apiName] as number, requests[apiName])(args as Record<string, unknown>);
    } catch (error) {
      throw fromKafkajsError(error, at, action);
    }
    return send(broker, at, action, {
      request: protocol.request,
      response: { decode: protocol.response.decode, parse: async (decoded: unknown) => decoded },
      requestTimeout: protocol.requestTimeout,
    });
  }

  /** Picks the highest version both sides speak, or reports the broker as too old or too new. */
  function negotiate(broker: Broker, at: BrokerEndpoint, apiName: string, apiKey: number, ourMin: number, ourMax: number): number {
    const range = broker.versions?.[apiKey];
    const version = range ? Math.min(ourMax, range.maxVersion) : -1;
    if (!range || version < Math.max(ourMin, range.minVersion)) {
      const theirs = range ? `only versions ${range.minVersion}-${range.maxVersion}` : 'no version at all';
      throw new RecoveryError('UNSUPPORTED', `${apiName}: broker ${endpointKey(at)} supports ${theirs}; this tool needs one of ${ourMin}-${ourMax}`, {
        details: { broker: endpointKey(at), apiName },
      });
    }
    return version;
  }

  /** A request whose body we encode and whose response body comes back as raw bytes. */
  /** One request with our own codec: negotiate the version, encode, send, decode (a bad body is CORRUPT_DATA). */
  async function exchange<T>(
    at: BrokerEndpoint,
    api: ApiSpec,
    encode: (version: number) => Buffer,
    decode: (version: number, payload: Buffer) => T,
    requestTimeout?: number,
  ): Promise<T> {
    const broker = await connected(at, api.name);
    const version = negotiate(broker, at, api.name, api.key, api.min, api.max);
    const body = encode(version);
    const payload = (await send(broker, at, api.name, {
      request: { apiKey: api.key, apiVersion: version, apiName: api.name, encode: async () => new Encoder().writeBuffer(body) },
      response: { decode: async (raw: Buffer) => raw, parse: async (raw: unknown) => raw },
      requestTimeout,
    })) as Buffer;
    try {
      return decode(version, payload);
    } catch (error) {
      throw new RecoveryError('CORRUPT_DATA', `${api.name}: could not decode the response of broker ${endpointKey(at)}: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
        details: { broker: endpointKey(at), apiName: api.name },
      });
    }
  }

  return {
    async metadata(at, topics): Promise<WireMetadata> {
      return exchange(
        at,
        METADATA_API,
        (v) => encodeMetadataRequest(v, topics),
        decodeMetadataResponse,
      );
    },

    async listOffsets(at, topic, partitions, isolationLevel) {
      const decoded = (await sendKafkajsRequest(at, 'ListOffsets', {
        isolationLevel,
        topics: [{ topic, partitions: partitions.map((p) => ({ partition: p.partition, timestamp: p.timestamp.toString() })) }],
      })) as DecodedListOffsets;
      return decoded.responses
        .filter((response) => response.topic === topic)
        .flatMap((response) =>
          response.partitions.map((p) => ({
            partition: p.partition,
            errorCode: p.errorCode,
            offset: BigInt(p.offset ?? p.offsets?.[0] ?? '-1'),
            timestamp: BigInt(p.timestamp ?? '-1'),
          })),
        );
    },

    async fetch(at, body: FetchRequestBody) {
      return exchange(
        at,
        FETCH_API,
        (v) => encodeFetchRequest(v, body),
        decodeFetchResponse,
        // The broker may hold a Fetch for maxWait before answering; that is not a timeout.
        config.requestTimeoutMs + body.maxWaitMs,
      );
    },

    async findCoordinator(at, groupId) {
      const decoded = (await sendKafkajsRequest(at, 'GroupCoordinator', { groupId, coordinatorType: 0 })) as DecodedFindCoordinator;
      return { errorCode: decoded.errorCode, errorMessage: decoded.errorMessage ?? null, ...decoded.coordinator };
    },

    async describeGroups(at, groupIds): Promise<WireGroup[]> {
      const decoded = (await sendKafkajsRequest(at, 'DescribeGroups', { groupIds })) as DecodedDescribeGroups;
      return decoded.groups.map((g) => ({
        errorCode: g.errorCode,
        groupId: g.groupId,
        state: g.state,
        protocolType: g.protocolType,
        protocol: g.protocol,
        members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost })),
      }));
    },

    async offsetFetch(at, groupId, topics) {
      return exchange(
        at,
        // Asking for all topics needs v2; naming them works from v1.
        topics === null ? { ...OFFSET_FETCH_API, min: OFFSET_FETCH_ALL_TOPICS_VERSION } : OFFSET_FETCH_API,
        (v) => encodeOffsetFetchRequest(v, { groupId, topics }),
        decodeOffsetFetchResponse,
      );
    },

    async offsetCommit(at, body: OffsetCommitRequestBody) {
      return exchange(
        at,
        OFFSET_COMMIT_API,
        (v) => encodeOffsetCommitRequest(v, body),
        decodeOffsetCommitResponse,
      );
    },

    async alterPartitionReassignments(at, topic, assignments, timeoutMs) {
      const decoded = (await sendKafkajsRequest(at, 'AlterPartitionReassignments', {
        topics: [{ topic, partitionAssignment: assignments.map((a) => ({ partition: a.partition, replicas: a.replicas })) }],
        timeout: timeoutMs,
      })) as DecodedAlterReassignments;
      const partitions = decoded.responses.filter((r) => r.topic === topic).flatMap((r) => r.partitions.map((p) => ({ partition: p.partition, errorCode: p.errorCode, errorMessage: null })));
      return { errorCode: decoded.errorCode, errorMessage: null, partitions };
    },

    async listPartitionReassignments(at, topic, partitions, timeoutMs) {
      const decoded = (await sendKafkajsRequest(at, 'ListPartitionReassignments', { topics: [{ topic, partitions }], timeout: timeoutMs })) as DecodedListReassignments;
      return { errorCode: decoded.errorCode, partitions: (decoded.topics ?? []).filter((t) => t.name === topic).flatMap((t) => t.partitions) };
    },

    async electLeaders(at, topic, partitions, timeoutMs) {
      const body = await exchange(
        at,
        ELECT_LEADERS_API,
        (v) => encodeElectLeadersRequest(v, { topics: [{ topic, partitions }], timeoutMs }),
        decodeElectLeadersResponse,
      );
      return { errorCode: body.errorCode, partitions: body.topics.filter((t) => t.topic === topic).flatMap((t) => t.partitions) };
    },

    async deleteGroups(at, groupIds) {
      const decoded = (await sendKafkajsRequest(at, 'DeleteGroups', groupIds)) as DecodedDeleteGroups;
      return decoded.results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode }));
    },

    async close() {
      closed = true;
      const all = [...brokers.values()];
      brokers.clear();
      await Promise.all(all.map((broker) => broker.disconnect().catch(() => undefined)));
    },
  };
}
