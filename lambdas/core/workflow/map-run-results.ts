/**
 * What a Distributed Map's ResultWriter leaves in S3, read back: the manifest names the result
 * files by status, and each file lists child executions with their input, and their output or
 * error. Step Functions writes Input and Output as JSON strings.
 */
import { RecoveryError } from '../errors.ts';

export interface MapRunResultFiles {
  succeeded: string[];
  failed: string[];
  pending: string[];
}

/** One child execution (one item) as a result file lists it. */
export interface ChildExecutionResult {
  input: unknown;
  output: unknown;
  error: string | null;
  cause: string | null;
  name: string | null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function keysOf(files: unknown, where: string, status: string): string[] {
  if (files === undefined || files === null) return [];
  if (!Array.isArray(files)) throw new RecoveryError('CORRUPT_DATA', `${where}: ResultFiles.${status} is not a list`);
  return files.map((file, index) => {
    if (!isObject(file) || typeof file['Key'] !== 'string') throw new RecoveryError('CORRUPT_DATA', `${where}: ResultFiles.${status}[${index}] has no Key`);
    return file['Key'];
  });
}

export function parseMapRunManifest(raw: unknown, where: string): MapRunResultFiles {
  if (!isObject(raw) || !isObject(raw['ResultFiles'])) throw new RecoveryError('CORRUPT_DATA', `${where} is not a Distributed Map manifest (no ResultFiles)`);
  const files = raw['ResultFiles'];
  return { succeeded: keysOf(files['SUCCEEDED'], where, 'SUCCEEDED'), failed: keysOf(files['FAILED'], where, 'FAILED'), pending: keysOf(files['PENDING'], where, 'PENDING') };
}

function parseJsonString(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

export function parseChildResults(raw: unknown, where: string): ChildExecutionResult[] {
  if (!Array.isArray(raw)) throw new RecoveryError('CORRUPT_DATA', `${where} is not a Distributed Map result file (a list of executions)`);
  return raw.map((entry, index) => {
    if (!isObject(entry)) throw new RecoveryError('CORRUPT_DATA', `${where}[${index}] is not an execution`);
    return {
      input: parseJsonString(entry['Input']),
      output: parseJsonString(entry['Output']),
      error: typeof entry['Error'] === 'string' ? entry['Error'] : null,
      cause: typeof entry['Cause'] === 'string' ? entry['Cause'] : null,
      name: typeof entry['Name'] === 'string' ? entry['Name'] : null,
    };
  });
}

/** A Lambda failure's Cause is `{"errorType","errorMessage","trace"}`: people want the message. */
export function readableCause(cause: string | null): string {
  if (cause === null) return '';
  const parsed = parseJsonString(cause);
  return isObject(parsed) && typeof parsed['errorMessage'] === 'string' ? parsed['errorMessage'] : cause;
}
