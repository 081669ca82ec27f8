/**
 * A `__consumer_offsets` partition read batch by batch with a raw Fetch (read_uncommitted), so a
 * transcript shows what kcat cannot: which records went in a transactional batch, and the
 * COMMIT/ABORT markers that close them. Records are normalized as in conformance-scenario.ts.
 */
import { decodeOffsetsRecord } from '../../../../lambdas/core/offsets-records/index.ts';
import { decodeRecordBatches } from '../../../../lambdas/core/record-batch/index.ts';
import { createKafkaPort } from '../../../../lambdas/kafka/index.ts';
import { normalizeRecord } from './conformance-scenario.ts';

export interface OffsetsBatch {
  transactional: boolean;
  /** COMMIT or ABORT for a control batch */
  marker?: string;
  /** the coordinator epoch a marker carries */
  coordinatorEpoch?: number;
  /** which transactional producer of the transcript wrote it (1 = the first seen), not its id */
  producer?: number;
  records?: unknown[];
  producerId: bigint;
  groups: string[];
}

export async function readOffsetsBatches(bootstrap: string[], partition: number): Promise<OffsetsBatch[]> {
  const port = createKafkaPort({ brokers: bootstrap, clientId: 'conformance-offsets-reader' });
  const batches: OffsetsBatch[] = [];
  try {
    const [end] = await port.listOffsets('__consumer_offsets', [partition], { kind: 'latest' });
    let next = 0n;
    while (next < end!.offset) {
      const fetched = await port.fetch({ topic: '__consumer_offsets', partition, offset: next, maxBytes: 1024 * 1024, isolation: 'read_uncommitted', maxWaitMs: 100 });
      const decoded = decodeRecordBatches(fetched.records);
      if (decoded.nextOffset === undefined) throw new Error(`no whole batch at ${next} of __consumer_offsets-${partition}`);
      for (const batch of decoded.batches) {
        if (batch.kind !== 'records') throw new Error(`an unreadable batch (${batch.kind}) in __consumer_offsets-${partition}`);
        if (batch.lastOffset < next) continue;
        const marker = batch.controlMarker();
        if (marker !== null) {
          batches.push({ transactional: batch.isTransactional, marker: marker.type, coordinatorEpoch: marker.coordinatorEpoch ?? -1, producerId: batch.producerId, groups: [] });
          continue;
        }
        const records = batch.records().map((r) => decodeOffsetsRecord(r.key, r.value));
        batches.push({
          transactional: batch.isTransactional,
          records: records.map(normalizeRecord),
          producerId: batch.producerId,
          groups: [...new Set(records.flatMap((r) => ('group' in r && typeof r.group === 'string' ? [r.group] : [])))],
        });
      }
      next = decoded.nextOffset;
    }
  } finally {
    await port.close();
  }
  return batches;
}

/**
 * One group's part of the partition, record by record: each record with whether its batch was
 * transactional (and which producer's), and the markers of the transactional producers that wrote
 * them. Batch boundaries are left out: Kafka 4.x's coordinator runtime puts the writes of one
 * linger window (`group.coordinator.append.linger.ms`) into one batch, so they depend on timing.
 * Producer ids become 1, 2, ... in order of appearance, since two clusters hand out different ids.
 */
export function groupBatches(batches: OffsetsBatch[], group: string): unknown[] {
  const producers = new Map<bigint, number>();
  const out: unknown[] = [];
  for (const b of batches) {
    if (b.marker !== undefined) {
      const producer = producers.get(b.producerId);
      if (producer !== undefined) out.push({ marker: b.marker, coordinatorEpoch: b.coordinatorEpoch!, producer });
      continue;
    }
    if (!b.groups.includes(group)) continue;
    if (b.transactional && !producers.has(b.producerId)) producers.set(b.producerId, producers.size + 1);
    for (const record of b.records!.filter((r) => (r as { group?: string }).group === group)) {
      out.push(b.transactional ? { transactional: producers.get(b.producerId)!, record } : { record });
    }
  }
  return out;
}
