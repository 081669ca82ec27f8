import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Per-broker log4j-style lines, the way a Kafka broker prints them:
 * `[2026-11-24 10:00:00,123] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)`.
 * Kept in memory with a subscription API (the CloudWatch Logs stand-in serves them) and
 * optionally appended to one file per broker, so the demo can show a real-looking server.log.
 */
export type BrokerLogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface BrokerLogLine {
  brokerId: number;
  /** epoch milliseconds */
  timestamp: number;
  level: BrokerLogLevel;
  /** the Java logger name printed in parentheses, e.g. kafka.server.KafkaServer */
  logger: string;
  /** the message as printed, including its `[Component id=N]` prefix */
  message: string;
  /** the whole formatted line */
  text: string;
  /** 1-based sequence number across all brokers of this sink (stable order for consumers) */
  sequence: number;
}

export type BrokerLogListener = (line: BrokerLogLine) => void;

/** log4j's default `%d` layout: local wall-clock `yyyy-MM-dd HH:mm:ss,SSS`, printed here in UTC. */
export function formatLog4jTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())},${pad(d.getUTCMilliseconds(), 3)}`
  );
}

export function formatBrokerLogLine(timestamp: number, level: BrokerLogLevel, message: string, logger: string): string {
  return `[${formatLog4jTimestamp(timestamp)}] ${level} ${message} (${logger})`;
}

/** What a component writes through: one broker's log. */
export interface BrokerLogger {
  readonly brokerId: number;
  log(level: BrokerLogLevel, message: string, logger: string): BrokerLogLine;
  info(message: string, logger: string): BrokerLogLine;
  warn(message: string, logger: string): BrokerLogLine;
  error(message: string, logger: string): BrokerLogLine;
}

export interface BrokerLogSinkOptions {
  /** when set, every line is also appended to `<logDir>/broker-<id>.log` */
  logDir?: string;
  /** lines kept in memory per broker before the oldest are dropped (default 100000) */
  maxLinesPerBroker?: number;
  /** clock, for tests */
  now?: () => number;
}

export class BrokerLogSink {
  private readonly linesByBroker = new Map<number, BrokerLogLine[]>();
  private readonly listeners = new Set<BrokerLogListener>();
  private readonly logDir: string | undefined;
  private readonly maxLines: number;
  private readonly now: () => number;
  private sequence = 0;

  constructor(options: BrokerLogSinkOptions = {}) {
    this.logDir = options.logDir;
    this.maxLines = options.maxLinesPerBroker ?? 100_000;
    this.now = options.now ?? Date.now;
    if (this.logDir !== undefined) mkdirSync(this.logDir, { recursive: true });
  }

  write(brokerId: number, level: BrokerLogLevel, message: string, logger: string): BrokerLogLine {
    const timestamp = this.now();
    const line: BrokerLogLine = {
      brokerId,
      timestamp,
      level,
      logger,
      message,
      text: formatBrokerLogLine(timestamp, level, message, logger),
      sequence: ++this.sequence,
    };
    let lines = this.linesByBroker.get(brokerId);
    if (lines === undefined) {
      lines = [];
      this.linesByBroker.set(brokerId, lines);
    }
    lines.push(line);
    if (lines.length > this.maxLines) lines.splice(0, lines.length - this.maxLines);
    if (this.logDir !== undefined) appendFileSync(this.filePath(brokerId)!, line.text + '\n');
    for (const listener of this.listeners) {
      try {
        listener(line);
      } catch {
        // A failing subscriber must not break the broker that is logging.
      }
    }
    return line;
  }

  forBroker(brokerId: number): BrokerLogger {
    const write = (level: BrokerLogLevel, message: string, logger: string): BrokerLogLine =>
      this.write(brokerId, level, message, logger);
    return {
      brokerId,
      log: write,
      info: (message, logger) => write('INFO', message, logger),
      warn: (message, logger) => write('WARN', message, logger),
      error: (message, logger) => write('ERROR', message, logger),
    };
  }

  /** Lines of one broker (or of all brokers, in write order), optionally only those after a sequence number. */
  lines(brokerId?: number, afterSequence = 0): BrokerLogLine[] {
    const source =
      brokerId === undefined
        ? [...this.linesByBroker.values()].flat().sort((a, b) => a.sequence - b.sequence)
        : (this.linesByBroker.get(brokerId) ?? []);
    return afterSequence > 0 ? source.filter((l) => l.sequence > afterSequence) : [...source];
  }

  brokerIds(): number[] {
    return [...this.linesByBroker.keys()].sort((a, b) => a - b);
  }

  /** Calls `listener` for every line written from now on; returns the unsubscribe function. */
  subscribe(listener: BrokerLogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  filePath(brokerId: number): string | undefined {
    return this.logDir === undefined ? undefined : join(this.logDir, `broker-${brokerId}.log`);
  }
}
