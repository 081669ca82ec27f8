/**
 * The awsJson1_0 / awsJson1_1 protocols (CloudWatch Logs, Secrets Manager, Step Functions): every
 * call is `POST /` with `X-Amz-Target: <prefix>.<Operation>` and a JSON body; errors are a JSON
 * body with `__type` (the SDK strips any `namespace#` before it) plus `x-amzn-errortype`.
 */
import { ServiceError, type StandinHandler, type StandinRequest, type StandinResponse } from './http-service.ts';

export type JsonOperation = (input: Record<string, unknown>, request: StandinRequest) => Promise<unknown> | unknown;

export interface AwsJsonService {
  /** e.g. Logs_20140328, secretsmanager, AWSStepFunctions */
  targetPrefix: string;
  /** 1.0 or 1.1: only the response content type differs */
  version: '1.0' | '1.1';
  operations: Record<string, JsonOperation>;
}

export function awsJsonHandler(service: AwsJsonService): StandinHandler {
  return async (request) => {
    if (request.method !== 'POST') throw new ServiceError('UnknownOperationException', 404, `${service.targetPrefix} accepts only POST /`);
    const target = String(request.headers['x-amz-target'] ?? '');
    const [prefix, operationName] = target.split('.', 2);
    const operation = prefix === service.targetPrefix && operationName ? service.operations[operationName] : undefined;
    if (!operation) throw new ServiceError('UnknownOperationException', 400, `the stand-in does not implement ${target || '(no X-Amz-Target)'}`);
    let input: unknown;
    try {
      input = request.body.length === 0 ? {} : JSON.parse(request.body.toString('utf8'));
    } catch {
      throw new ServiceError('SerializationException', 400, 'request body is not JSON');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ServiceError('SerializationException', 400, 'request body is not a JSON object');
    const output = await operation(input as Record<string, unknown>, request);
    return { status: 200, headers: { 'content-type': `application/x-amz-json-${service.version}` }, body: JSON.stringify(output ?? {}) };
  };
}

export function awsJsonError(version: '1.0' | '1.1'): (error: ServiceError) => StandinResponse {
  return (error) => ({
    status: error.status,
    headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amzn-errortype': error.code },
    body: JSON.stringify({ __type: error.code, message: error.message, ...error.extra }),
  });
}

/** Field readers that answer the way AWS validation does (400 with the field named). */
export function optionalString(input: Record<string, unknown>, field: string, errorCode = 'InvalidParameterException'): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ServiceError(errorCode, 400, `${field} must be a string`);
  return value;
}

export function requiredString(input: Record<string, unknown>, field: string, errorCode = 'InvalidParameterException'): string {
  const value = optionalString(input, field, errorCode);
  if (value === undefined || value === '') throw new ServiceError(errorCode, 400, `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  return value;
}

export function optionalInteger(input: Record<string, unknown>, field: string, errorCode = 'InvalidParameterException'): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ServiceError(errorCode, 400, `${field} must be an integer`);
  return value;
}
