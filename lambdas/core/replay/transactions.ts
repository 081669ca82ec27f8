/**
 * Transactional offset commits (TxnOffsetCommit) wait per producer until that producer's
 * transaction marker: COMMIT applies them, ABORT drops them, no marker means not committed.
 */
import type { AbortedTransaction } from '../ports.ts';
import type { OffsetEvent, OffsetSlot } from './offset-slots.ts';
import type { PendingTransactionSummary } from './types.ts';

/** A transactional commit waiting for its marker: the slot it would land on, and the event. */
export interface PendingCommit extends OffsetEvent {
  slot: OffsetSlot;
}

export interface OpenTransaction {
  firstLogOffset: bigint;
  records: number;
  /** By slot key; a later commit of the same transaction to the same key replaces the earlier. */
  commits: Map<string, PendingCommit>;
}

export class PendingTransactions {
  private readonly open = new Map<bigint, OpenTransaction>();

  add(producerId: bigint, firstLogOffset: bigint, commit: PendingCommit): void {
    let txn = this.open.get(producerId);
    if (txn === undefined) {
      txn = { firstLogOffset, records: 0, commits: new Map() };
      this.open.set(producerId, txn);
    }
    txn.records++;
    txn.commits.set(commit.slot.key, commit);
  }

  /** A tombstone deletes the key everywhere, pending transactional commits included (as Kafka 3.7+ does). */
  dropKey(key: string): void {
    if (this.open.size === 0) return;
    for (const txn of this.open.values()) txn.commits.delete(key);
  }

  /** Ends the producer's transaction and hands it back (undefined when nothing was open). */
  close(producerId: bigint): OpenTransaction | undefined {
    const txn = this.open.get(producerId);
    if (txn === undefined) return undefined;
    this.open.delete(producerId);
    return txn;
  }

  /** Puts a transaction back as open (restoring a checkpoint, or carrying one across a segment border). */
  restore(producerId: bigint, txn: OpenTransaction): void {
    this.open.set(producerId, txn);
  }

  entries(): IterableIterator<[bigint, OpenTransaction]> {
    return this.open.entries();
  }

  summary(): PendingTransactionSummary[] {
    return [...this.open.entries()]
      .map(([producerId, txn]) => ({ producerId, records: txn.records, firstLogOffset: txn.firstLogOffset }))
      .sort((a, b) => (a.firstLogOffset < b.firstLogOffset ? -1 : a.firstLogOffset > b.firstLogOffset ? 1 : 0));
  }
}

/**
 * The aborted-transaction list of a read_committed Fetch response, used the way Kafka's consumer
 * uses it: once the log reaches an aborted transaction's first offset, that producer's
 * transactional batches are dropped on sight until its ABORT marker. The markers alone would
 * give the same result; the list lets an aborted transaction be dropped without being held.
 */
export class AbortedTransactionIndex {
  private queue: AbortedTransaction[] = [];
  private readonly known = new Map<bigint, Set<bigint>>();
  private readonly abortedProducers = new Set<bigint>();
  /** Per producer, the offset of the last marker passed: list entries up to it are closed. */
  private readonly lastMarker = new Map<bigint, bigint>();

  /** Adds a Fetch response's list; the same list may be passed again for every batch of that fetch. */
  add(list: readonly AbortedTransaction[]): void {
    let added = false;
    for (const txn of list) {
      const closedUpTo = this.lastMarker.get(txn.producerId);
      if (closedUpTo !== undefined && txn.firstOffset <= closedUpTo) continue;
      let starts = this.known.get(txn.producerId);
      if (starts === undefined) {
        starts = new Set();
        this.known.set(txn.producerId, starts);
      }
      if (starts.has(txn.firstOffset)) continue;
      starts.add(txn.firstOffset);
      this.queue.push({ producerId: txn.producerId, firstOffset: txn.firstOffset });
      added = true;
    }
    if (added) this.queue.sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  /** Call before deciding on a batch, with the batch's last offset. */
  advanceTo(lastOffset: bigint): void {
    let reached = 0;
    while (reached < this.queue.length && this.queue[reached]!.firstOffset <= lastOffset) {
      this.abortedProducers.add(this.queue[reached]!.producerId);
      reached++;
    }
    if (reached > 0) this.queue = this.queue.slice(reached);
  }

  isAborted(producerId: bigint): boolean {
    return this.abortedProducers.has(producerId);
  }

  /**
   * The producer's marker (either kind) closes its transaction. Entries it closed are forgotten,
   * and ignored when a later call passes the same fetch's list again.
   */
  markerSeen(producerId: bigint, markerOffset: bigint): void {
    this.abortedProducers.delete(producerId);
    this.lastMarker.set(producerId, markerOffset);
    const starts = this.known.get(producerId);
    if (starts === undefined) return;
    for (const start of starts) if (start <= markerOffset) starts.delete(start);
    if (starts.size === 0) this.known.delete(producerId);
  }
}
