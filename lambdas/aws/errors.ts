import { RecoveryError } from '../core/errors.ts';

/** Error names AWS services use when a caller exceeds a request rate. */
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ThrottledException',
  'RequestLimitExceeded',
  'Throttling',
  'SlowDown',
]);

export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isThrottling(error: unknown): boolean {
  const name = awsErrorName(error);
  return (name !== undefined && THROTTLING_NAMES.has(name)) || httpStatus(error) === 429;
}

/** Server-side and rate failures are worth a Step Functions retry; client mistakes are not. */
export function isTransientAwsError(error: unknown): boolean {
  if (isThrottling(error)) return true;
  const name = awsErrorName(error) ?? '';
  if (/ServiceUnavailable|InternalServer|InternalError|InternalFailure|RequestTimeout|TimeoutError/.test(name)) return true;
  const status = httpStatus(error);
  return status !== undefined && status >= 500;
}

/** Wraps an SDK failure as AWS_ERROR, keeping the service's error name and a hint. */
export function awsError(error: unknown, action: string, hint?: string): RecoveryError {
  if (error instanceof RecoveryError) return error;
  const name = awsErrorName(error) ?? 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return new RecoveryError('AWS_ERROR', `${action} failed: ${name}: ${message}${hint ? `. ${hint}` : ''}`, {
    retryable: isTransientAwsError(error),
    details: { awsErrorName: name, action },
    cause: error,
  });
}
