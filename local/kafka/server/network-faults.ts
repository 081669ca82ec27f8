/**
 * Network-level faults the broker servers consult per request: slow responses and a
 * connection dropped in the middle of a Fetch response. Rules are matched in insertion order.
 */
export interface SlowResponseRule {
  id: number;
  kind: 'slow';
  /** broker the rule applies to (all when omitted) */
  brokerId?: number;
  /** API key the rule applies to (all when omitted) */
  apiKey?: number;
  delayMs: number;
}

export interface DropFetchRule {
  id: number;
  kind: 'drop-fetch';
  brokerId?: number;
  topic?: string;
  partition?: number;
  /** how many Fetch responses to cut before the rule expires (default 1) */
  remaining: number;
}

export type NetworkFaultRule = SlowResponseRule | DropFetchRule;

export class NetworkFaults {
  private rules: NetworkFaultRule[] = [];
  private nextId = 1;

  addSlowResponses(rule: { brokerId?: number; apiKey?: number; delayMs: number }): SlowResponseRule {
    if (!Number.isFinite(rule.delayMs) || rule.delayMs < 0) throw new RangeError('delayMs must be a number >= 0');
    const added: SlowResponseRule = { id: this.nextId++, kind: 'slow', ...rule };
    this.rules.push(added);
    return added;
  }

  addDropFetch(rule: { brokerId?: number; topic?: string; partition?: number; times?: number }): DropFetchRule {
    const { times, ...match } = rule;
    const added: DropFetchRule = { id: this.nextId++, kind: 'drop-fetch', ...match, remaining: times ?? 1 };
    this.rules.push(added);
    return added;
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): NetworkFaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Total delay to add before answering `apiKey` on `brokerId`. */
  responseDelayMs(brokerId: number, apiKey: number): number {
    let delay = 0;
    for (const r of this.rules) {
      if (r.kind === 'slow' && (r.brokerId === undefined || r.brokerId === brokerId) && (r.apiKey === undefined || r.apiKey === apiKey)) {
        delay += r.delayMs;
      }
    }
    return delay;
  }

  /**
   * True (and one use consumed) when a Fetch answered by `brokerId` carrying data for one of
   * `partitions` must be cut mid-response.
   */
  takeDropFetch(brokerId: number, partitions: Array<{ topic: string; partition: number }>): boolean {
    for (const r of this.rules) {
      if (r.kind !== 'drop-fetch' || r.remaining <= 0) continue;
      if (r.brokerId !== undefined && r.brokerId !== brokerId) continue;
      const hit = partitions.some((p) => (r.topic === undefined || r.topic === p.topic) && (r.partition === undefined || r.partition === p.partition));
      if (!hit) continue;
      r.remaining -= 1;
      if (r.remaining <= 0) this.remove(r.id);
      return true;
    }
    return false;
  }
}
