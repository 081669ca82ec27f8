import type { BrokerLogger } from '../broker-log.ts';
import type { Cluster } from '../cluster/cluster.ts';

/** What a connection knows about its client, shared by all requests on it. */
export interface ConnectionInfo {
  /** unique per broker process, e.g. "127.0.0.1:9092-127.0.0.1:53422-7" as Kafka names channels */
  id: string;
  remoteAddress: string;
  remotePort: number;
  /** SASL state: the mechanism chosen by SaslHandshake and the authenticated user, if any */
  sasl: SaslConnectionState;
  /** set by the handler of the first request to carry it */
  clientSoftwareName?: string;
  clientSoftwareVersion?: string;
}

export interface SaslConnectionState {
  mechanism: string | null;
  /** authenticated principal ("User:alice"); null until authenticated */
  principal: string | null;
  /** mechanism-specific in-flight state (the SCRAM exchange) */
  exchange: unknown;
  /** true once SaslHandshake v0 was answered: the next frames are raw SASL tokens, not requests */
  rawTokens: boolean;
}

/** Everything a handler needs to answer one request. */
export interface RequestContext {
  brokerId: number;
  cluster: Cluster;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  connection: ConnectionInfo;
  /** this broker's log (log4j-style lines) */
  log: BrokerLogger;
  /** true when the request header/body versions are flexible */
  flexible: boolean;
  /** aborted when the connection closes or the broker stops: long polls stop waiting */
  signal: AbortSignal;
  /**
   * Closes the connection once this request's response is sent, with `reason` in the broker
   * log (Kafka closes a channel whose SASL authentication failed, after answering it).
   */
  closeAfterResponse(reason: string): void;
}
