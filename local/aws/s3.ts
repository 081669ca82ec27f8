/**
 * S3 stand-in (restXml, path-style `/<bucket>/<key>`): PutObject, GetObject, HeadObject and
 * DeleteObject in memory, for the buckets it was given, and ListObjectsV2 (prefix, max-keys,
 * continuation tokens), which a Distributed Map's ItemReader uses. PutObject honours `If-None-Match: *` (412
 * PreconditionFailed when the key exists, the atomic claim the approval links rely on) and
 * `If-Match`, decodes `aws-chunked` bodies and checks an `x-amz-checksum-crc32` the SDK sends.
 * Server-side-encryption headers are recorded and echoed; nothing is encrypted.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { ServiceError, xmlEscape, type StandinHandler, type StandinRequest, type StandinResponse } from './http-service.ts';

export interface StoredObject {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
  serverSideEncryption: string | null;
  kmsKeyId: string | null;
}

export class S3Standin {
  readonly handler: StandinHandler;
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private readonly damage: Array<{ bucket: string; matches: (key: string) => boolean }> = [];

  constructor(bucketNames: string[]) {
    for (const name of bucketNames) this.buckets.set(name, new Map());
    this.handler = (request) => this.route(request);
  }

  createBucket(name: string): void {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) throw new Error(`not a valid S3 bucket name: ${name}`);
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  /** An object's text, or undefined; for tests and the demo. */
  readText(bucket: string, key: string): string | undefined {
    return this.buckets.get(bucket)?.get(key)?.body.toString('utf8');
  }

  /**
   * Fault injection: objects written to matching keys from now on are stored damaged (not JSON),
   * as a corrupted or tampered artifact would read. Returns the function that stops it.
   */
  damageWrites(bucket: string, matches: (key: string) => boolean): () => void {
    const rule = { bucket, matches };
    this.damage.push(rule);
    return () => {
      const index = this.damage.indexOf(rule);
      if (index >= 0) this.damage.splice(index, 1);
    };
  }

  keys(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].sort();
  }

  object(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  private route(request: StandinRequest): StandinResponse {
    const [bucketPart, ...keyParts] = request.path.slice(1).split('/');
    const bucketName = decodeURIComponent(bucketPart ?? '');
    const key = keyParts.map((part) => decodeURIComponent(part)).join('/');
    if (bucketName === '') throw new ServiceError('NotImplemented', 501, 'the stand-in does not list buckets');
    const bucket = this.buckets.get(bucketName);
    if (!bucket) throw new ServiceError('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucketName });
    if (key === '' && request.method === 'GET' && request.query.get('list-type') === '2') return this.list(bucketName, bucket, request);
    if (key === '') throw new ServiceError('NotImplemented', 501, 'the stand-in answers object operations and ListObjectsV2 only (path-style /<bucket>/<key>)');
    switch (request.method) {
      case 'PUT':
        return this.put(bucket, key, request);
      case 'GET':
      case 'HEAD':
        return this.get(bucket, key, request);
      case 'DELETE':
        // S3 answers 204 whether or not the key existed.
        bucket.delete(key);
        return { status: 204, headers: {} };
      default:
        throw new ServiceError('MethodNotAllowed', 405, `The specified method ${request.method} is not allowed against this resource.`);
    }
  }

  /** ListObjectsV2: keys in UTF-8 binary order, at most max-keys (default 1000) a page; the token is the last key of the page. */
  private list(name: string, bucket: Map<string, StoredObject>, request: StandinRequest): StandinResponse {
    if (request.query.has('delimiter')) throw new ServiceError('NotImplemented', 501, 'ListObjectsV2 without delimiter only');
    const prefix = request.query.get('prefix') ?? '';
    const maxKeys = Math.min(1000, Math.max(0, Number(request.query.get('max-keys') ?? '1000') || 0));
    const after = request.query.get('continuation-token') ?? request.query.get('start-after') ?? '';
    const keys = [...bucket.keys()].filter((k) => k.startsWith(prefix) && Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const object = bucket.get(k)!;
        return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(object.etag)}</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(name)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
      `<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}` +
      `${truncated ? `<NextContinuationToken>${xmlEscape(page.at(-1)!)}</NextContinuationToken>` : ''}</ListBucketResult>`;
    return { status: 200, headers: { 'content-type': 'application/xml' }, body: Buffer.from(body) };
  }

  private put(bucket: Map<string, StoredObject>, key: string, request: StandinRequest): StandinResponse {
    if (request.query.has('uploads') || request.query.has('uploadId') || request.headers['x-amz-copy-source']) {
      throw new ServiceError('NotImplemented', 501, 'the stand-in implements single-request PutObject only');
    }
    const existing = bucket.get(key);
    const ifNoneMatch = header(request, 'if-none-match');
    if (ifNoneMatch !== undefined) {
      if (ifNoneMatch !== '*') throw new ServiceError('NotImplemented', 501, 'PutObject supports If-None-Match: * only', { Header: 'If-None-Match' });
      if (existing) throw new ServiceError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
    }
    const ifMatch = header(request, 'if-match');
    if (ifMatch !== undefined) {
      if (!existing) throw new ServiceError('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
      if (ifMatch !== existing.etag) throw new ServiceError('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
    }
    const chunked = (header(request, 'content-encoding') ?? '').split(',').map((s) => s.trim()).includes('aws-chunked');
    const { bytes, trailers } = chunked ? decodeAwsChunked(request.body) : { bytes: request.body, trailers: new Map<string, string>() };
    const crcHeader = header(request, 'x-amz-checksum-crc32') ?? trailers.get('x-amz-checksum-crc32');
    if (crcHeader !== undefined) {
      const expected = Buffer.alloc(4);
      expected.writeUInt32BE(crc32(bytes) >>> 0);
      if (expected.toString('base64') !== crcHeader) {
        throw new ServiceError('BadDigest', 400, 'The CRC32 you specified did not match the calculated checksum.');
      }
    }
    const sse = header(request, 'x-amz-server-side-encryption') ?? null;
    const damaged = this.damage.some((rule) => this.buckets.get(rule.bucket) === bucket && rule.matches(key));
    const object: StoredObject = {
      body: damaged ? Buffer.from('{"damaged by the stand-in\'s fault injection') : Buffer.from(bytes),
      contentType: header(request, 'content-type') ?? 'binary/octet-stream',
      etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
      // S3 timestamps have second precision (Last-Modified is an HTTP date).
      lastModified: new Date(Math.floor(Date.now() / 1000) * 1000),
      serverSideEncryption: sse,
      kmsKeyId: header(request, 'x-amz-server-side-encryption-aws-kms-key-id') ?? null,
    };
    bucket.set(key, object);
    return { status: 200, headers: { etag: object.etag, ...encryptionHeaders(object) } };
  }

  private get(bucket: Map<string, StoredObject>, key: string, request: StandinRequest): StandinResponse {
    const object = bucket.get(key);
    if (!object) throw new ServiceError('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
    const ifNoneMatch = header(request, 'if-none-match');
    if (ifNoneMatch !== undefined && (ifNoneMatch === '*' || ifNoneMatch === object.etag)) {
      return { status: 304, headers: { etag: object.etag } };
    }
    return {
      status: 200,
      headers: {
        'content-type': object.contentType,
        etag: object.etag,
        'last-modified': object.lastModified.toUTCString(),
        'accept-ranges': 'bytes',
        ...encryptionHeaders(object),
        // HEAD answers announce the length of the body they do not send.
        ...(request.method === 'HEAD' ? { 'content-length': String(object.body.length) } : {}),
      },
      body: object.body,
    };
  }
}

function header(request: StandinRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function encryptionHeaders(object: StoredObject): Record<string, string> {
  return {
    ...(object.serverSideEncryption ? { 'x-amz-server-side-encryption': object.serverSideEncryption } : {}),
    ...(object.kmsKeyId ? { 'x-amz-server-side-encryption-aws-kms-key-id': object.kmsKeyId } : {}),
  };
}

/**
 * `aws-chunked` content encoding: `<hex size>[;chunk-signature=...]\r\n<data>\r\n` repeated,
 * a zero-size chunk, then trailer headers (`x-amz-checksum-crc32:...`) and a blank line.
 */
export function decodeAwsChunked(raw: Buffer): { bytes: Buffer; trailers: Map<string, string> } {
  const parts: Buffer[] = [];
  const trailers = new Map<string, string>();
  let at = 0;
  const readLine = (): string => {
    const end = raw.indexOf('\r\n', at);
    if (end < 0) throw new ServiceError('IncompleteBody', 400, 'aws-chunked body ends inside a chunk header');
    const line = raw.subarray(at, end).toString('latin1');
    at = end + 2;
    return line;
  };
  for (;;) {
    const sizeText = readLine().split(';', 1)[0]!.trim();
    const size = Number.parseInt(sizeText, 16);
    if (!/^[0-9a-fA-F]+$/.test(sizeText) || !Number.isFinite(size)) throw new ServiceError('InvalidRequest', 400, `aws-chunked: bad chunk size ${JSON.stringify(sizeText)}`);
    if (size === 0) break;
    if (at + size + 2 > raw.length) throw new ServiceError('IncompleteBody', 400, 'aws-chunked body is shorter than its chunk sizes');
    parts.push(raw.subarray(at, at + size));
    at += size + 2;
  }
  while (at < raw.length) {
    const line = readLine();
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { bytes: Buffer.concat(parts), trailers };
}

export function s3Error(error: ServiceError, request: StandinRequest): StandinResponse {
  const extra = Object.entries(error.extra)
    .map(([name, value]) => `<${name}>${xmlEscape(String(value))}</${name}>`)
    .join('');
  return {
    status: error.status,
    headers: { 'content-type': 'application/xml' },
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message>` +
      `${extra}<RequestId>${request.requestId}</RequestId></Error>`,
  };
}
