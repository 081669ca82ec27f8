/**
 * Types for the parts of kafkajs's internal (untyped) source that kafkajs-internals.ts uses.
 * kafkajs publishes types only for its public client; these describe 2.2.4's src/ modules and
 * must be re-checked when kafkajs is upgraded.
 */

declare module 'kafkajs/src/protocol/encoder.js' {
  class Encoder {
    writeBuffer(value: Buffer): this;
  }
  export default Encoder;
}

declare module 'kafkajs/src/loggers/index.js' {
  type LogEntry = { namespace: string; level: number; label: string; log: Record<string, unknown> & { message: string } };
  interface KafkajsLogger {
    namespace(name: string, level?: number | null): KafkajsLogger;
  }
  const loggers: {
    LEVELS: { NOTHING: number; ERROR: number; WARN: number; INFO: number; DEBUG: number };
    createLogger(options: { level: number; logCreator: (level: number) => (entry: LogEntry) => void }): KafkajsLogger;
  };
  export default loggers;
}

declare module 'kafkajs/src/network/socketFactory.js' {
  const socketFactory: () => unknown;
  export default socketFactory;
}

declare module 'kafkajs/src/network/connectionPool.js' {
  class ConnectionPool {
    constructor(options: Record<string, unknown>);
    send(protocolRequest: {
      request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<unknown> };
      response: { decode(payload: Buffer): Promise<unknown>; parse(decoded: unknown): Promise<unknown> };
      requestTimeout?: number | undefined;
    }): Promise<unknown>;
  }
  export default ConnectionPool;
}

declare module 'kafkajs/src/broker/index.js' {
  import type ConnectionPool from 'kafkajs/src/network/connectionPool.js';
  type VersionRange = { minVersion: number; maxVersion: number };
  class Broker {
    constructor(options: { connectionPool: ConnectionPool; logger: unknown; allowAutoTopicCreation?: boolean; authenticationTimeout?: number });
    connectionPool: ConnectionPool;
    versions: Record<number, VersionRange> | null;
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    isConnected(): boolean;
    lookupRequest(
      apiKey: number,
      definitions: unknown,
    ): (args: Record<string, unknown>) => {
      request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<unknown> };
      response: { decode(payload: Buffer): Promise<unknown>; parse(decoded: unknown): Promise<unknown> };
      requestTimeout?: number;
    };
  }
  export default Broker;
}

declare module 'kafkajs/src/protocol/requests/index.js' {
  const requestsModule: { requests: Record<string, unknown> };
  export default requestsModule;
}

declare module 'kafkajs/src/protocol/requests/apiKeys.js' {
  const apiKeys: Record<string, number>;
  export default apiKeys;
}

declare module 'kafkajs/src/protocol/error.js' {
  const errorModule: { errorCodes: { type: string; code: number; retriable: boolean; message: string }[] };
  export default errorModule;
}
