import { ErrorCode } from '../protocol/error-codes.ts';
import type { ProtocolValue } from '../server/registry.ts';

export interface SessionPartition {
  topic: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  /** the leader epoch the client saw, -1 when it does not say */
  currentLeaderEpoch: number;
}

interface Session {
  id: number;
  brokerId: number;
  epoch: number;
  partitions: Map<string, SessionPartition>;
}

export interface ResolvedFetch {
  /** 0 when the fetch is sessionless */
  sessionId: number;
  partitions: SessionPartition[];
  session: Session | null;
}

/** The partitions a Fetch request names, in request order. */
export function requestedPartitions(request: ProtocolValue): SessionPartition[] {
  const topics = request['topics'] as Array<{
    topic: string;
    partitions: Array<{ partition: number; fetchOffset: bigint; partitionMaxBytes: number; currentLeaderEpoch?: number }>;
  }>;
  return topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.topic,
      partition: p.partition,
      fetchOffset: Number(p.fetchOffset),
      maxBytes: p.partitionMaxBytes,
      currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
    })),
  );
}

const FINAL_EPOCH = -1;
const INITIAL_EPOCH = 0;
const MAX_SESSIONS = 1000;

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Fetch sessions (KIP-227), minimal but valid: sessionId 0 + epoch -1 is a sessionless full
 * fetch; epoch 0 opens a session with the request's partitions; epoch n>0 must follow the
 * previous epoch and adds, updates or forgets partitions; epoch -1 with an id closes it.
 */
export class FetchSessions {
  private readonly sessions = new Map<number, Session>();
  private nextId = 1;

  resolve(brokerId: number, request: ProtocolValue): ResolvedFetch | number {
    const sessionId = (request['sessionId'] as number | undefined) ?? 0;
    const epoch = (request['sessionEpoch'] as number | undefined) ?? FINAL_EPOCH;
    const partitions = requestedPartitions(request);
    if (epoch === FINAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      return { sessionId: 0, partitions, session: null };
    }
    if (epoch === INITIAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      if (this.sessions.size >= MAX_SESSIONS) return { sessionId: 0, partitions, session: null };
      const session: Session = { id: this.nextId++, brokerId, epoch: 1, partitions: new Map(partitions.map((p) => [key(p.topic, p.partition), p])) };
      this.sessions.set(session.id, session);
      return { sessionId: session.id, partitions, session };
    }
    const session = this.sessions.get(sessionId);
    if (session === undefined || session.brokerId !== brokerId) return ErrorCode.FETCH_SESSION_ID_NOT_FOUND;
    if (session.epoch !== epoch) return ErrorCode.INVALID_FETCH_SESSION_EPOCH;
    session.epoch = epoch === 0x7fffffff ? 1 : epoch + 1;
    for (const p of partitions) session.partitions.set(key(p.topic, p.partition), p);
    const forgotten = (request['forgottenTopicsData'] as Array<{ topic: string; partitions: number[] }> | undefined) ?? [];
    for (const f of forgotten) for (const p of f.partitions) session.partitions.delete(key(f.topic, p));
    return { sessionId, partitions: [...session.partitions.values()], session };
  }
}
