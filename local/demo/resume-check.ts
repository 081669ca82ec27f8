/**
 * The proof the demo ends with: a consumer on the target group receives exactly the messages
 * the failed group had not committed (from its last committed offset to the log end on every
 * partition), none before it (nothing replayed) and none twice. Pure: it compares what was
 * produced, what was committed and what arrived.
 */

/** One order message as produced: its sequence number and where it landed. */
export interface PlacedMessage {
  seq: number;
  partition: number;
  offset: number;
}

export interface PartitionResume {
  partition: number;
  /** the failed group's last committed offset: where the target group must start */
  committedOffset: number;
  /** the offset of the first message the target group received here; null when none */
  firstReceivedOffset: number | null;
  expected: number;
  received: number;
  /** sequence numbers the failed group had not consumed that never arrived */
  lost: number[];
  /** sequence numbers the failed group had already committed that arrived again */
  replayed: number[];
  /** sequence numbers that arrived more than once */
  duplicated: number[];
  /** first and last sequence numbers received, in arrival order */
  firstSeq: number | null;
  lastSeq: number | null;
  ok: boolean;
}

export interface ResumeCheck {
  ok: boolean;
  expected: number;
  received: number;
  lost: number;
  replayed: number;
  duplicated: number;
  partitions: PartitionResume[];
}

export function checkResume(
  produced: readonly PlacedMessage[],
  committed: ReadonlyMap<number, number>,
  received: readonly PlacedMessage[],
): ResumeCheck {
  const partitionIds = [...new Set([...produced.map((m) => m.partition), ...committed.keys()])].sort((a, b) => a - b);
  const partitions = partitionIds.map((partition) => {
    const committedOffset = committed.get(partition) ?? 0;
    const here = produced.filter((m) => m.partition === partition);
    const expected = here.filter((m) => m.offset >= committedOffset).map((m) => m.seq);
    const before = new Set(here.filter((m) => m.offset < committedOffset).map((m) => m.seq));
    const arrived = received.filter((m) => m.partition === partition);
    const seen = new Map<number, number>();
    for (const m of arrived) seen.set(m.seq, (seen.get(m.seq) ?? 0) + 1);
    const lost = expected.filter((seq) => !seen.has(seq));
    const replayed = [...seen.keys()].filter((seq) => before.has(seq));
    const duplicated = [...seen.entries()].filter(([, n]) => n > 1).map(([seq]) => seq);
    const firstReceivedOffset = arrived.length === 0 ? null : Math.min(...arrived.map((m) => m.offset));
    return {
      partition,
      committedOffset,
      firstReceivedOffset,
      expected: expected.length,
      received: arrived.length,
      lost,
      replayed,
      duplicated,
      firstSeq: arrived[0]?.seq ?? null,
      lastSeq: arrived.at(-1)?.seq ?? null,
      ok: lost.length === 0 && replayed.length === 0 && duplicated.length === 0 && arrived.length === expected.length,
    };
  });
  const sum = (pick: (p: PartitionResume) => number): number => partitions.reduce((total, p) => total + pick(p), 0);
  return {
    ok: partitions.every((p) => p.ok),
    expected: sum((p) => p.expected),
    received: sum((p) => p.received),
    lost: sum((p) => p.lost.length),
    replayed: sum((p) => p.replayed.length),
    duplicated: sum((p) => p.duplicated.length),
    partitions,
  };
}
