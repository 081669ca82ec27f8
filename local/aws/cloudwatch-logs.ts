/**
 * CloudWatch Logs stand-in (awsJson1_1, target Logs_20140328): one log group holding the local
 * cluster's broker logs the way MSK delivers them, one stream per broker named
 * `<cluster-name>-Broker-<id>`, each event the whole log4j line with the line's own timestamp.
 * FilterLogEvents follows filter-pattern.ts, startTime/endTime (inclusive), logStreamNames or
 * logStreamNamePrefix, limit and nextToken; DescribeLogGroups and DescribeLogStreams answer
 * for the one group. Tests can inject throttling and empty pages that still carry a token,
 * both of which the real service does.
 */
import { createHash } from 'node:crypto';
import type { BrokerLogLine, BrokerLogSink } from '../kafka/broker-log.ts';
import { awsJsonHandler, optionalInteger, optionalString } from './aws-json.ts';
import { ServiceError, type StandinHandler } from './http-service.ts';
import { FilterPatternError, matchesFilter, parseFilterPattern } from './filter-pattern.ts';

export interface CloudWatchLogsStandinOptions {
  logs: BrokerLogSink;
  logGroupName: string;
  /** The cluster name the streams are named after. */
  clusterName: string;
  /** Brokers that have a stream even before they logged anything. */
  brokerIds: () => number[];
  region: string;
  account: string;
  /** Events per page before `limit` is applied; AWS returns at most 10000 (default). */
  pageSize?: number;
}

interface PageCursor {
  /** timestamp and sequence of the last event returned; the next page starts after it */
  t: number;
  s: number;
  /** hash of the query the token belongs to */
  q: string;
  /** tells apart the tokens of consecutive empty pages, which AWS also never repeats */
  n?: number;
}

const MAX_LIMIT = 10_000;
const MAX_PAGE_BYTES = 1024 * 1024;

export function brokerStreamName(clusterName: string, brokerId: number): string {
  return `${clusterName}-Broker-${brokerId}`;
}

export class CloudWatchLogsStandin {
  readonly handler: StandinHandler;
  /** FilterLogEvents calls answered (throttled ones included), for tests about paging. */
  filterCalls = 0;
  private throttleNext = 0;
  private emptyPagesNext = 0;
  private emptyPagesServed = 0;

  constructor(private readonly options: CloudWatchLogsStandinOptions) {
    this.handler = awsJsonHandler({
      targetPrefix: 'Logs_20140328',
      version: '1.1',
      operations: {
        FilterLogEvents: (input) => this.filterLogEvents(input),
        DescribeLogGroups: (input) => this.describeLogGroups(input),
        DescribeLogStreams: (input) => this.describeLogStreams(input),
      },
    });
  }

  get logGroupArn(): string {
    return `arn:aws:logs:${this.options.region}:${this.options.account}:log-group:${this.options.logGroupName}`;
  }

  /** The next `count` FilterLogEvents calls answer ThrottlingException (HTTP 400), as CloudWatch does past 5 requests/s. */
  injectThrottling(count: number): void {
    this.throttleNext += count;
  }

  /** The next `count` FilterLogEvents pages carry no events but a nextToken, as CloudWatch does while it searches. */
  injectEmptyPages(count: number): void {
    this.emptyPagesNext += count;
  }

  /** Drops throttling and empty pages still pending. */
  clearInjectedFaults(): void {
    this.throttleNext = 0;
    this.emptyPagesNext = 0;
  }

  private requireGroup(input: Record<string, unknown>): void {
    const name = optionalString(input, 'logGroupName');
    const identifier = optionalString(input, 'logGroupIdentifier');
    if (name !== undefined && identifier !== undefined) {
      throw new ServiceError('InvalidParameterException', 400, 'LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    }
    const wanted = name ?? identifier;
    if (wanted === undefined) throw new ServiceError('InvalidParameterException', 400, 'Either logGroupName or logGroupIdentifier must be specified.');
    const matches = wanted === this.options.logGroupName || wanted === this.logGroupArn || wanted === `${this.logGroupArn}:*`;
    if (!matches) throw new ServiceError('ResourceNotFoundException', 400, 'The specified log group does not exist.');
  }

  private streams(): Array<{ name: string; brokerId: number }> {
    const ids = new Set([...this.options.brokerIds(), ...this.options.logs.brokerIds()]);
    return [...ids].sort((a, b) => a - b).map((brokerId) => ({ brokerId, name: brokerStreamName(this.options.clusterName, brokerId) }));
  }

  private filterLogEvents(input: Record<string, unknown>): unknown {
    this.filterCalls += 1;
    if (this.throttleNext > 0) {
      this.throttleNext -= 1;
      throw new ServiceError('ThrottlingException', 400, 'Rate exceeded');
    }
    this.requireGroup(input);
    const streamNames = input['logStreamNames'];
    const prefix = optionalString(input, 'logStreamNamePrefix');
    if (streamNames !== undefined && prefix !== undefined) {
      throw new ServiceError('InvalidParameterException', 400, 'logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
    }
    if (streamNames !== undefined && (!Array.isArray(streamNames) || streamNames.some((n) => typeof n !== 'string'))) {
      throw new ServiceError('InvalidParameterException', 400, 'logStreamNames must be a list of strings.');
    }
    const startTime = optionalInteger(input, 'startTime');
    const endTime = optionalInteger(input, 'endTime');
    if (startTime !== undefined && endTime !== undefined && endTime < startTime) {
      throw new ServiceError('InvalidParameterException', 400, 'endTime must be greater than or equal to startTime.');
    }
    const limit = optionalInteger(input, 'limit') ?? MAX_LIMIT;
    if (limit < 1 || limit > MAX_LIMIT) throw new ServiceError('InvalidParameterException', 400, `limit must be between 1 and ${MAX_LIMIT}.`);
    const patternText = optionalString(input, 'filterPattern');
    let filter;
    try {
      filter = parseFilterPattern(patternText);
    } catch (error) {
      if (error instanceof FilterPatternError) throw new ServiceError('InvalidParameterException', 400, error.message);
      throw error;
    }

    const wantedStreams = this.streams().filter((s) =>
      streamNames !== undefined ? (streamNames as string[]).includes(s.name) : prefix === undefined || s.name.startsWith(prefix),
    );
    const queryHash = createHash('sha256')
      .update(JSON.stringify([this.options.logGroupName, wantedStreams.map((s) => s.name), startTime, endTime, patternText ?? '']))
      .digest('hex')
      .slice(0, 16);
    const cursor = decodeToken(optionalString(input, 'nextToken'), queryHash);
    const streamByBroker = new Map(wantedStreams.map((s) => [s.brokerId, s.name]));
    const searchedLogStreams = wantedStreams.map((s) => ({ logStreamName: s.name, searchedCompletely: true }));

    if (this.emptyPagesNext > 0) {
      this.emptyPagesNext -= 1;
      this.emptyPagesServed += 1;
      const position = cursor ?? { t: -Infinity, s: 0, q: queryHash };
      return { events: [], searchedLogStreams, nextToken: encodeToken({ ...position, n: this.emptyPagesServed }) };
    }

    const pageSize = Math.min(limit, this.options.pageSize ?? MAX_LIMIT);
    const matching = this.options.logs
      .lines()
      .filter((line) => streamByBroker.has(line.brokerId))
      .filter((line) => (startTime === undefined || line.timestamp >= startTime) && (endTime === undefined || line.timestamp <= endTime))
      .filter((line) => cursor === null || after(line, cursor))
      .filter((line) => matchesFilter(filter, line.text))
      .sort(byTimeThenSequence);
    const page = firstPage(matching, pageSize);
    const last = page.at(-1);
    return {
      events: page.map((line) => ({
        logStreamName: streamByBroker.get(line.brokerId),
        timestamp: line.timestamp,
        message: line.text,
        ingestionTime: line.timestamp,
        eventId: eventId(line),
      })),
      searchedLogStreams,
      ...(matching.length > page.length && last ? { nextToken: encodeToken({ t: last.timestamp, s: last.sequence, q: queryHash }) } : {}),
    };
  }

  private describeLogGroups(input: Record<string, unknown>): unknown {
    const prefix = optionalString(input, 'logGroupNamePrefix');
    const pattern = optionalString(input, 'logGroupNamePattern');
    const name = this.options.logGroupName;
    const listed = (prefix === undefined || name.startsWith(prefix)) && (pattern === undefined || name.includes(pattern));
    const firstLine = this.options.logs.lines()[0];
    return {
      logGroups: listed
        ? [
            {
              logGroupName: name,
              creationTime: firstLine?.timestamp ?? 0,
              metricFilterCount: 0,
              arn: `${this.logGroupArn}:*`,
              logGroupArn: this.logGroupArn,
              storedBytes: 0,
              logGroupClass: 'STANDARD',
            },
          ]
        : [],
    };
  }

  private describeLogStreams(input: Record<string, unknown>): unknown {
    this.requireGroup(input);
    const prefix = optionalString(input, 'logStreamNamePrefix');
    const streams = this.streams()
      .filter((s) => prefix === undefined || s.name.startsWith(prefix))
      .map((s) => {
        const lines = this.options.logs.lines(s.brokerId);
        const first = lines[0]?.timestamp;
        const last = lines.at(-1)?.timestamp;
        return {
          logStreamName: s.name,
          creationTime: first ?? 0,
          ...(first !== undefined ? { firstEventTimestamp: first, lastEventTimestamp: last, lastIngestionTime: last } : {}),
          arn: `${this.logGroupArn}:log-stream:${s.name}`,
          storedBytes: 0,
        };
      });
    return { logStreams: streams };
  }
}

/** A page holds at most `pageSize` events and 1 MB of messages, as FilterLogEvents pages do (never less than one event). */
function firstPage(matching: BrokerLogLine[], pageSize: number): BrokerLogLine[] {
  let bytes = 0;
  let count = 0;
  for (const line of matching) {
    bytes += Buffer.byteLength(line.text);
    if (count >= pageSize || (count > 0 && bytes > MAX_PAGE_BYTES)) break;
    count += 1;
  }
  return matching.slice(0, count);
}

function byTimeThenSequence(a: BrokerLogLine, b: BrokerLogLine): number {
  return a.timestamp - b.timestamp || a.sequence - b.sequence;
}

function after(line: BrokerLogLine, cursor: PageCursor): boolean {
  return line.timestamp > cursor.t || (line.timestamp === cursor.t && line.sequence > cursor.s);
}

/** CloudWatch event ids are long decimal strings; the sink's sequence makes them unique and stable. */
function eventId(line: BrokerLogLine): string {
  return `${String(line.timestamp).padStart(16, '0')}${String(line.sequence).padStart(20, '0')}`;
}

function encodeToken(cursor: PageCursor): string {
  // JSON has no -Infinity; an empty page before the first event points before everything.
  return Buffer.from(JSON.stringify({ ...cursor, t: Number.isFinite(cursor.t) ? cursor.t : null })).toString('base64url');
}

function decodeToken(token: string | undefined, queryHash: string): PageCursor | null {
  if (token === undefined) return null;
  let parsed: { t: number | null; s: number; q: string };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    throw new ServiceError('InvalidParameterException', 400, 'The specified nextToken is invalid.');
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.q !== queryHash || typeof parsed.s !== 'number') {
    throw new ServiceError('InvalidParameterException', 400, 'The specified nextToken is invalid (it belongs to a different query).');
  }
  return { t: parsed.t ?? -Infinity, s: parsed.s, q: parsed.q };
}
