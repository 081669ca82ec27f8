/**
 * Every failure the toolkit reports is a RecoveryError with a stable code, so the CLI, the
 * Lambdas and the state machine can branch on it without parsing messages.
 */
export type RecoveryErrorCode =
  | 'INVALID_INPUT' // a caller-supplied value is wrong; message names the field and the fix
  | 'NOT_FOUND' // topic, partition, broker or group does not exist
  | 'PARTITION_OUT_OF_RANGE'
  | 'KAFKA_UNAVAILABLE' // connection refused / dropped after retries
  | 'KAFKA_ERROR' // the broker answered with an error code
  | 'SCAN_INTERRUPTED' // a scan stopped early; details carry the resume position
  | 'REFUSED' // a write refused for safety (no approval, a target with members, ...); nothing was written
  | 'CORRUPT_DATA'
  | 'AWS_ERROR'
  | 'CONFIGURATION'
  | 'UNSUPPORTED';

export class RecoveryError extends Error {
  readonly code: RecoveryErrorCode;
  readonly details: Record<string, unknown>;
  /** true when retrying the same call later may succeed (used for Step Functions retries). */
  readonly retryable: boolean;

  constructor(
    code: RecoveryErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RecoveryError';
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }

  toJSON(): { code: RecoveryErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Shorthand for the most common error: a bad input value, naming the field and how to fix it. */
export function invalidInput(field: string, problem: string, fix: string): RecoveryError {
  return new RecoveryError('INVALID_INPUT', `${field}: ${problem}. ${fix}`, { details: { field } });
}

/** A write refused for safety: says why and what would make it acceptable. Nothing was written. */
export function refusedForSafety(reason: string, fix: string, details: Record<string, unknown> = {}): RecoveryError {
  return new RecoveryError('REFUSED', `refused: ${reason}. Nothing was written. ${fix}`, { details });
}

export function isRecoveryError(value: unknown): value is RecoveryError {
  return value instanceof RecoveryError;
}

/**
 * A Kafka error code from a broker response, carried as a RecoveryError so callers can test
 * `kafkaErrorName(err) === 'NOT_COORDINATOR'` without knowing the client library.
 */
export function kafkaError(
  errorName: string,
  errorCode: number,
  message: string,
  options: { retryable?: boolean; details?: Record<string, unknown> } = {},
): RecoveryError {
  return new RecoveryError('KAFKA_ERROR', message, {
    retryable: options.retryable ?? false,
    details: { ...options.details, kafkaErrorName: errorName, kafkaErrorCode: errorCode },
  });
}

export function kafkaErrorName(error: unknown): string | undefined {
  if (!isRecoveryError(error) || error.code !== 'KAFKA_ERROR') return undefined;
  const name = error.details['kafkaErrorName'];
  return typeof name === 'string' ? name : undefined;
}
