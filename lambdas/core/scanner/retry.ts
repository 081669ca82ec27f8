import { RecoveryError, invalidInput, kafkaErrorName } from '../errors.ts';

/** How often and how patiently the scanner retries a call that failed for a transient reason. */
export interface RetryPolicy {
  /** Retries after the first failure (0 = fail at once). */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 200, maxDelayMs: 5_000 };

/**
 * Broker answers that mean "your idea of the partition's leader is stale": the cure is fresh
 * metadata, after which the same request goes to the new leader.
 */
const STALE_LEADER_ERRORS = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION', // the pre-2.6 name of the same code (6)
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'REPLICA_NOT_AVAILABLE',
  'KAFKA_STORAGE_ERROR',
]);

/** Broker answers that mean "try again soon" without anything to refresh. */
const TRANSIENT_ERRORS = new Set(['REQUEST_TIMED_OUT', 'NETWORK_EXCEPTION', 'COORDINATOR_LOAD_IN_PROGRESS', 'THROTTLING_QUOTA_EXCEEDED']);

export type FailureKind = 'stale-leader' | 'unavailable' | 'offset-out-of-range' | 'fatal';

export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof RecoveryError && error.code === 'KAFKA_UNAVAILABLE') return 'unavailable';
  const name = kafkaErrorName(error);
  if (name === undefined) return 'fatal';
  if (name === 'OFFSET_OUT_OF_RANGE') return 'offset-out-of-range';
  if (STALE_LEADER_ERRORS.has(name)) return 'stale-leader';
  if (TRANSIENT_ERRORS.has(name)) return 'unavailable';
  return 'fatal';
}

/** Exponential backoff: initial, 2x, 4x, ... capped at maxDelayMs. `retry` counts from 0. */
export function backoffDelayMs(policy: RetryPolicy, retry: number): number {
  const delay = policy.initialDelayMs * 2 ** Math.min(retry, 30);
  return Math.min(delay, policy.maxDelayMs);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new Error('aborted');
}

export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const checks: [keyof RetryPolicy, number][] = [
    ['attempts', policy.attempts],
    ['initialDelayMs', policy.initialDelayMs],
    ['maxDelayMs', policy.maxDelayMs],
  ];
  for (const [field, value] of checks) {
    if (!Number.isInteger(value) || value < 0) {
      throw invalidInput(
        `retry.${field}`,
        `expected an integer >= 0, got ${String(value)}`,
        'Pass e.g. { attempts: 5, initialDelayMs: 200, maxDelayMs: 5000 }.',
      );
    }
  }
  return policy;
}
