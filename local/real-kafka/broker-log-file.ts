/**
 * Reading a real broker's log file back as entries: a line that starts with Kafka's
 * `[yyyy-MM-dd HH:mm:ss,SSS] LEVEL` header opens an entry, every other line (a stack trace,
 * a multi-line message) belongs to the entry before it.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface RealBrokerLogEntry {
  brokerId: number;
  /** ISO-8601 in UTC, read from the header (the broker writes local time; the harness runs it in UTC) */
  time: string;
  level: string;
  /** the first line as printed, header and logger included */
  line: string;
  /** the whole entry, continuation lines included */
  text: string;
  logger: string | null;
}

const HEADER = /^\[(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),(\d{3})\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) /;
const LOGGER = /\(([\w.$]+)\)$/;

export function parseBrokerLog(brokerId: number, content: string): RealBrokerLogEntry[] {
  const entries: RealBrokerLogEntry[] = [];
  let current: RealBrokerLogEntry | null = null;
  for (const line of content.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      current = { brokerId, time: `${header[1]}T${header[2]}.${header[3]}Z`, level: header[4]!, line, text: line, logger: null };
      entries.push(current);
    } else if (current !== null && line.length > 0) {
      current.text += `\n${line}`;
    }
  }
  for (const entry of entries) {
    for (const line of entry.text.split('\n')) {
      const logger = LOGGER.exec(line);
      if (logger) {
        entry.logger = logger[1]!;
        break;
      }
    }
  }
  return entries;
}

export function readBrokerLog(brokerId: number, file: string): RealBrokerLogEntry[] {
  return existsSync(file) ? parseBrokerLog(brokerId, readFileSync(file, 'utf8')) : [];
}
