/**
 * Reading MSK broker log lines about coordinator shards. Two coordinator generations word the
 * failure differently: the new group coordinator (Kafka 3.7+/4.x, CoordinatorRuntime) prints
 * "[GroupCoordinator id=N] Failed to load metadata from __consumer_offsets-P with epoch E",
 * the classic one (GroupMetadataManager) "Error loading offsets from __consumer_offsets-P".
 * An epoch conflict's "Replaying record ... failed" is the loader's own line and, in Kafka 4.1.1,
 * also the exception quoted at the end of the runtime line; the detail is kept from either.
 */
import type { LogFinding, ReplayingRecordDetail } from '../core/workflow/documents.ts';
import { ERROR_LOADING_PHRASE, FAILED_TO_LOAD_PHRASE } from '../core/workflow/log-phrases.ts';

export { ERROR_LOADING_PHRASE, FAILED_TO_LOAD_PHRASE };
export const REPLAYING_PHRASE = 'Replaying record';

/** CloudWatch Logs filter pattern matching any of the phrases (`?` = OR of quoted terms). */
export const BROKER_LOG_FILTER_PATTERN = [FAILED_TO_LOAD_PHRASE, ERROR_LOADING_PHRASE, REPLAYING_PHRASE]
  .map((phrase) => `?"${phrase}"`)
  .join(' ');

const SAMPLE_LINE_LIMIT = 1000;
const REPLAYING_DETAILS_LIMIT = 5;

export type ParsedBrokerLine =
  | {
      kind: 'FAILED_TO_LOAD_METADATA' | 'ERROR_LOADING_OFFSETS';
      partition: number;
      brokerId: number | null;
      epoch: number | null;
      /**
       * The record the load stopped at, when the line quotes it: Kafka 4.1.1's runtime line ends
       * "due to java.lang.RuntimeException: Replaying record ... failed due to: Cannot set the
       * epoch of ..." (a search for the runtime phrase alone still gets the conflict).
       */
      replaying: ReplayingRecordDetail | null;
    }
  | { kind: 'REPLAYING_RECORD_FAILED'; partition: number; brokerId: number | null; detail: ReplayingRecordDetail };

/** MSK names streams "<cluster-name>-Broker-<id>"; only the suffix is relied on. */
export function brokerIdFromStream(streamName: string): number | null {
  const match = /Broker-(\d+)$/.exec(streamName);
  return match ? Number(match[1]) : null;
}

function brokerIdFromLine(message: string): number | null {
  const match = /\[(?:GroupCoordinator id|GroupMetadataManager brokerId)=(\d+)\]/.exec(message);
  return match ? Number(match[1]) : null;
}

function intOrNull(text: string | undefined): number | null {
  return text === undefined ? null : Number(text);
}

export function parseBrokerLogLine(message: string): ParsedBrokerLine | null {
  const brokerId = brokerIdFromLine(message);
  const failed = /Failed to load metadata from __consumer_offsets-(\d+)(?: with epoch (-?\d+))?/.exec(message);
  if (failed) {
    return { kind: 'FAILED_TO_LOAD_METADATA', partition: Number(failed[1]), brokerId, epoch: intOrNull(failed[2]), replaying: replayingDetail(message)?.detail ?? null };
  }
  const loading = /Error loading offsets from __consumer_offsets-(\d+)/.exec(message);
  if (loading) {
    return { kind: 'ERROR_LOADING_OFFSETS', partition: Number(loading[1]), brokerId, epoch: null, replaying: null };
  }
  const replaying = replayingDetail(message);
  if (replaying) return { kind: 'REPLAYING_RECORD_FAILED', partition: replaying.partition, brokerId, detail: replaying.detail };
  return null;
}

function replayingDetail(message: string): { partition: number; detail: ReplayingRecordDetail } | null {
  const replaying = /Replaying record .*?from (__consumer_offsets-(\d+)) at offset (\d+)/s.exec(message);
  if (!replaying) return null;
  const conflict = /Cannot set the epoch of (\S+) to (-?\d+) because the partition is still owned at epoch (-?\d+)/.exec(message);
  return {
    partition: Number(replaying[2]),
    detail: {
      topicPartition: replaying[1]!,
      offset: replaying[3]!,
      conflictPartition: conflict?.[1] ?? null,
      requestedEpoch: intOrNull(conflict?.[2]),
      ownedEpoch: intOrNull(conflict?.[3]),
    },
  };
}

function addReplaying(finding: LogFinding, detail: ReplayingRecordDetail): void {
  const known = finding.replaying.some((d) => d.offset === detail.offset && d.conflictPartition === detail.conflictPartition);
  if (!known && finding.replaying.length < REPLAYING_DETAILS_LIMIT) finding.replaying.push(detail);
}

export interface BrokerLogEvent {
  eventId?: string;
  logStreamName: string;
  timestamp: number; // epoch ms
  message: string;
}

const PHRASE_STRENGTH: Record<LogFinding['phrase'], number> = {
  REPLAYING_RECORD_FAILED: 0,
  ERROR_LOADING_OFFSETS: 1,
  FAILED_TO_LOAD_METADATA: 2,
};

/**
 * One finding per (shard, broker): a shard that failed on two brokers after a leader move shows
 * up twice, which is what an operator needs to see. Lines name the broker; when they do not,
 * the stream suffix does.
 */
export function aggregateFindings(events: BrokerLogEvent[]): LogFinding[] {
  const findings = new Map<string, LogFinding>();
  const ordered = [...events].sort((a, b) => a.timestamp - b.timestamp);
  for (const event of ordered) {
    const parsed = parseBrokerLogLine(event.message);
    if (!parsed) continue;
    const brokerId = parsed.brokerId ?? brokerIdFromStream(event.logStreamName);
    const key = `${parsed.partition}/${brokerId ?? '?'}`;
    const seenAt = new Date(event.timestamp).toISOString();
    let finding = findings.get(key);
    if (!finding) {
      finding = {
        partition: parsed.partition,
        brokerId,
        epoch: null,
        firstSeen: seenAt,
        lastSeen: seenAt,
        count: 0,
        sampleLine: '',
        logStream: event.logStreamName,
        phrase: parsed.kind,
        replaying: [],
      };
      findings.set(key, finding);
    }
    finding.lastSeen = seenAt;
    if (parsed.kind === 'REPLAYING_RECORD_FAILED') {
      addReplaying(finding, parsed.detail);
      if (finding.count === 0 && finding.sampleLine === '') finding.sampleLine = event.message.trim().slice(0, SAMPLE_LINE_LIMIT);
      continue;
    }
    finding.count += 1;
    if (parsed.replaying !== null) addReplaying(finding, parsed.replaying);
    if (parsed.epoch !== null) finding.epoch = parsed.epoch;
    if (PHRASE_STRENGTH[parsed.kind] > PHRASE_STRENGTH[finding.phrase]) finding.phrase = parsed.kind;
    if (finding.count === 1) {
      // The first load-failure line is the sample: it is the line people search for.
      finding.sampleLine = event.message.trim().slice(0, SAMPLE_LINE_LIMIT);
      finding.logStream = event.logStreamName;
    }
  }
  return [...findings.values()].sort((a, b) => a.partition - b.partition || (a.brokerId ?? -1) - (b.brokerId ?? -1));
}
