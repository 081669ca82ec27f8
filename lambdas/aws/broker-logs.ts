/**
 * Broker-log search over CloudWatch Logs FilterLogEvents. FilterLogEvents allows about
 * 5 requests/s per account and region, may return empty pages that still carry a nextToken,
 * and is shared with every other tool in the account, so throttling is expected, not fatal.
 */
import { FilterLogEventsCommand, type CloudWatchLogsClient, type FilterLogEventsResponse } from '@aws-sdk/client-cloudwatch-logs';
import { RecoveryError } from '../core/errors.ts';
import type { LogFinding, LogSearchStop, LogSearchSummary } from '../core/workflow/documents.ts';
import { DEFAULT_BACKOFF, withBackoff, type BackoffOptions } from './backoff.ts';
import { BROKER_LOG_FILTER_PATTERN, aggregateFindings, type BrokerLogEvent } from './broker-log-lines.ts';
import { awsError, awsErrorName, isThrottling } from './errors.ts';

export interface BrokerLogSearchOptions {
  logGroup: string;
  since: number; // epoch ms, inclusive
  until: number; // epoch ms, inclusive
  /** Only streams starting with this (e.g. "<cluster>-Broker-"); all streams of the group otherwise. */
  streamPrefix?: string;
  /** Pages followed at most; the summary says when the cap (or the deadline) cut the search short. */
  maxPages?: number;
  /** Epoch ms after which no further page is requested (the caller's own time limit). */
  deadline?: number;
  clock?: () => number;
  backoff?: BackoffOptions;
}

export interface BrokerLogSearchResult {
  findings: LogFinding[];
  summary: LogSearchSummary;
}

export const DEFAULT_MAX_PAGES = 500;

export async function searchBrokerLogs(logs: CloudWatchLogsClient, options: BrokerLogSearchOptions): Promise<BrokerLogSearchResult> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const events = new Map<string, BrokerLogEvent>();
  const seenTokens = new Set<string>();
  let throttledRetries = 0;
  let pages = 0;
  let stoppedBy: LogSearchStop | null = null;
  let nextToken: string | undefined;

  for (;;) {
    // A partial answer in time beats a complete one after the Lambda was killed.
    if (pages >= maxPages) {
      stoppedBy = 'PAGE_CAP';
      break;
    }
    if (options.deadline !== undefined && pages > 0 && (options.clock ?? Date.now)() >= options.deadline) {
      stoppedBy = 'DEADLINE';
      break;
    }
    const token = nextToken;
    let response: FilterLogEventsResponse;
    try {
      response = await withBackoff(
        () =>
          logs.send(
            new FilterLogEventsCommand({
              logGroupName: options.logGroup,
              logStreamNamePrefix: options.streamPrefix,
              startTime: options.since,
              endTime: options.until,
              filterPattern: BROKER_LOG_FILTER_PATTERN,
              nextToken: token,
            }),
          ),
        isThrottling,
        backoff,
        () => {
          throttledRetries += 1;
        },
      );
    } catch (error) {
      throw brokerLogError(error, options.logGroup);
    }
    pages += 1;
    for (const event of response.events ?? []) {
      if (event.message === undefined || event.timestamp === undefined) continue;
      const id = event.eventId ?? `${event.logStreamName}/${event.timestamp}/${event.message}`;
      events.set(id, { eventId: id, logStreamName: event.logStreamName ?? '', timestamp: event.timestamp, message: event.message });
    }
    nextToken = response.nextToken;
    // An empty page with a token means "keep going"; a token seen before would loop forever.
    if (!nextToken || seenTokens.has(nextToken)) break;
    seenTokens.add(nextToken);
  }

  return {
    findings: aggregateFindings([...events.values()]),
    summary: {
      logGroup: options.logGroup,
      window: { since: options.since, until: options.until },
      pages,
      events: events.size,
      throttledRetries,
      truncated: stoppedBy !== null,
      stoppedBy,
    },
  };
}

function brokerLogError(error: unknown, logGroup: string): RecoveryError {
  const name = awsErrorName(error);
  if (name === 'ResourceNotFoundException') {
    return new RecoveryError(
      'CONFIGURATION',
      `Broker log group ${logGroup} does not exist. The cluster names it in LoggingInfo.BrokerLogs.CloudWatchLogs.LogGroup; recreate the group or point broker log delivery at an existing one.`,
      { details: { logGroup }, cause: error },
    );
  }
  if (isThrottling(error)) {
    return awsError(error, 'logs:FilterLogEvents', 'Still throttled after backoff; other tools in the account share the 5 requests/s quota. Retry later');
  }
  return awsError(error, 'logs:FilterLogEvents');
}
