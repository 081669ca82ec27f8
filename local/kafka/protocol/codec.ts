import { ByteReader, ByteWriter } from '../../../lambdas/core/bytes/index.ts';
import { isFlexible, isValidVersion, readMessage, writeMessage, type MessageSchema } from '../../../lambdas/core/schema/index.ts';
import { protocolSchemas } from './protocol-schemas.generated.ts';
import { supplementarySchemas } from './supplementary-schemas.ts';
import { ApiKey, apiName, apiNameOf } from './api-keys.ts';

/**
 * Request and response bytes, driven by Kafka's schemas. Header rules (KIP-482): a request at a
 * flexible version uses request header v2 (tagged fields), otherwise v1; a response at a
 * flexible version uses response header v1, otherwise v0 - except ApiVersions responses,
 * which always use header v0 so that a client can read them before it knows our versions.
 */
export type ProtocolBody = Record<string, unknown>;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** 1 or 2 */
  headerVersion: number;
}

export class RequestDecodeError extends Error {
  /** the correlation id when the header could be read */
  readonly correlationId: number | undefined;
  constructor(message: string, correlationId?: number) {
    super(message);
    this.name = 'RequestDecodeError';
    this.correlationId = correlationId;
  }
}

/** A schema by name ('FetchRequest'): the generated registry first, then the supplement. */
export function protocolSchema(name: string): MessageSchema | undefined {
  return protocolSchemas[name] ?? supplementarySchemas[name];
}

export function requestSchema(apiKey: number): MessageSchema | undefined {
  const name = apiNameOf(apiKey);
  return name === undefined ? undefined : protocolSchema(`${name}Request`);
}

export function responseSchema(apiKey: number): MessageSchema | undefined {
  const name = apiNameOf(apiKey);
  return name === undefined ? undefined : protocolSchema(`${name}Response`);
}

export function isFlexibleVersion(apiKey: number, version: number): boolean {
  const schema = requestSchema(apiKey);
  return schema !== undefined && isValidVersion(schema, version) && isFlexible(schema, version);
}

export function requestHeaderVersion(apiKey: number, version: number): number {
  return isFlexibleVersion(apiKey, version) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, version: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexibleVersion(apiKey, version) ? 1 : 0;
}

/**
 * Reads the request header. The first 8 bytes (key, version, correlation id) are the same in
 * every header version; the rest depends on whether the version is flexible, so an unknown key
 * or version is read as header v1 (enough to log and to answer ApiVersions).
 */
export function decodeRequestHeader(frame: Buffer): { header: RequestHeader; reader: ByteReader } {
  if (frame.length < 8) throw new RequestDecodeError(`request of ${frame.length} byte(s) is shorter than a request header`);
  const reader = new ByteReader(frame);
  const apiKey = reader.readInt16();
  const apiVersion = reader.readInt16();
  const correlationId = reader.readInt32();
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  try {
    const clientIdLength = reader.readInt16();
    const clientId = clientIdLength < 0 ? null : reader.readUtf8(clientIdLength);
    if (headerVersion >= 2) skipTaggedFields(reader);
    return { header: { apiKey, apiVersion, correlationId, clientId, headerVersion }, reader };
  } catch (error) {
    throw new RequestDecodeError(`${apiName(apiKey)} v${apiVersion} header is malformed: ${(error as Error).message}`, correlationId);
  }
}

function skipTaggedFields(reader: ByteReader): void {
  const count = reader.readUnsignedVarint();
  for (let i = 0; i < count; i++) {
    reader.readUnsignedVarint();
    reader.skip(reader.readUnsignedVarint());
  }
}

/** Reads the request body at the header's version; throws RequestDecodeError on malformed bytes. */
export function decodeRequestBody(header: RequestHeader, reader: ByteReader): ProtocolBody {
  const schema = requestSchema(header.apiKey);
  if (schema === undefined) throw new RequestDecodeError(`no schema for API key ${header.apiKey}`, header.correlationId);
  try {
    return readMessage(schema, header.apiVersion, reader);
  } catch (error) {
    throw new RequestDecodeError(
      `${apiName(header.apiKey)} v${header.apiVersion} body is malformed: ${(error as Error).message}`,
      header.correlationId,
    );
  }
}

/** A whole response frame (size prefix, header, body) for `apiKey` at `version`. */
export function encodeResponse(apiKey: number, version: number, correlationId: number, body: ProtocolBody, sizeHint = 0): Buffer {
  const schema = responseSchema(apiKey);
  if (schema === undefined) throw new RangeError(`no response schema for API key ${apiKey}`);
  // A hint (e.g. the record bytes of a Fetch) saves the writer from growing by copies.
  const writer = new ByteWriter(Math.max(256, sizeHint + 1024));
  writer.writeInt32(0); // size, patched below
  writer.writeInt32(correlationId);
  if (responseHeaderVersion(apiKey, version) >= 1) writer.writeUnsignedVarint(0);
  writeMessage(schema, version, body, writer);
  writer.patchInt32(0, writer.size - 4);
  return writer.toBuffer();
}

/** A whole request frame, for tests and tools that speak to the cluster directly. */
export function encodeRequest(header: Omit<RequestHeader, 'headerVersion'>, body: ProtocolBody): Buffer {
  const schema = requestSchema(header.apiKey);
  if (schema === undefined) throw new RangeError(`no request schema for API key ${header.apiKey}`);
  const writer = new ByteWriter(256);
  writer.writeInt32(0);
  writer.writeInt16(header.apiKey);
  writer.writeInt16(header.apiVersion);
  writer.writeInt32(header.correlationId);
  if (header.clientId === null) writer.writeInt16(-1);
  else {
    const bytes = Buffer.from(header.clientId, 'utf8');
    writer.writeInt16(bytes.length);
    writer.writeBytes(bytes);
  }
  if (requestHeaderVersion(header.apiKey, header.apiVersion) >= 2) writer.writeUnsignedVarint(0);
  writeMessage(schema, header.apiVersion, body, writer);
  writer.patchInt32(0, writer.size - 4);
  return Buffer.from(writer.toBuffer());
}

/** Decodes a response frame body (without size prefix), for tests and tools. */
export function decodeResponse(apiKey: number, version: number, frame: Buffer): { correlationId: number; body: ProtocolBody } {
  const schema = responseSchema(apiKey);
  if (schema === undefined) throw new RangeError(`no response schema for API key ${apiKey}`);
  const reader = new ByteReader(frame);
  const correlationId = reader.readInt32();
  if (responseHeaderVersion(apiKey, version) >= 1) skipTaggedFields(reader);
  return { correlationId, body: readMessage(schema, version, reader) };
}
