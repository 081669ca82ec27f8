/**
 * The artifacts bucket: every run's plan, approval and result (the audit trail), and step
 * outputs too large to travel in the state (Step Functions caps a state at 256 KiB).
 */
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import { RecoveryError } from '../core/errors.ts';
import type { ArtifactEnvelope, ArtifactRef, RunArtifactPrefixes, Stored } from '../core/workflow/documents.ts';
import { awsError, awsErrorName } from './errors.ts';

/** Offload threshold: below the 256 KiB state limit with room for the rest of the state. */
export const INLINE_LIMIT_BYTES = 200 * 1024;

export interface ArtifactStore {
  s3: S3Client;
  bucket: string;
  /** SSE-KMS with this key when set; SSE-S3 (AES256) otherwise. */
  kmsKeyId?: string;
}

/** "executions/<state machine>/<execution>" from an execution ARN (or a bare name). */
export function executionPrefix(executionArn: string): string {
  const parts = executionArn.split(':');
  const isExecutionArn = parts.length >= 8 && parts[5] === 'execution';
  const stateMachine = isExecutionArn ? parts[6]! : 'adhoc';
  const execution = isExecutionArn ? parts.slice(7).join(':') : executionArn;
  return `executions/${safeSegment(stateMachine)}/${safeSegment(execution)}`;
}

function safeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9._=-]/g, '_') || '_';
}

export const ARTIFACT_NAMES = {
  plan: 'plan.json',
  approvalRequest: 'approval-request.json',
  approval: 'approval.json',
  result: 'result.json',
  /** Every group's seed result (SeedOffsets) and verification (Verify): the step outputs carry counts. */
  seedResult: 'seed-result.json',
  verifyResult: 'verify-result.json',
  /** Why a run ended without a report: rejected, timed out or failed (written by NotifyFailure). */
  failure: 'failure.json',
} as const;

export function artifactKey(executionArn: string, name: string): string {
  return `${executionPrefix(executionArn)}/${name}`;
}

/** Prefix of one shard scan's artifacts: its checkpoint and one result per group. */
export function shardScanPrefix(executionArn: string, partition: number): string {
  return `${executionPrefix(executionArn)}/shards/partition-${partition}/`;
}

/**
 * Where every shard scan of a run stores its groups' recovered offsets, and nothing else: the
 * ReadOffsets Distributed Map lists this prefix for its items, one object per group.
 */
export function groupResultsRoot(executionArn: string): string {
  return `${executionPrefix(executionArn)}/groups/`;
}

/** Where the ReadOffsets Distributed Map's ResultWriter puts its manifest and result files. */
export function readOffsetsResultsPrefix(executionArn: string): string {
  return `${executionPrefix(executionArn)}/read-offsets/map-run`;
}

/** The run's prefixes the Map states use, for DiagnoseOutput.artifactPrefixes. */
export function runArtifactPrefixes(executionArn: string): RunArtifactPrefixes {
  return { groupResults: groupResultsRoot(executionArn), readOffsetsResults: readOffsetsResultsPrefix(executionArn) };
}

/** One shard's folder under groupResultsRoot. */
export function shardGroupResultsPrefix(executionArn: string, partition: number): string {
  return `${groupResultsRoot(executionArn)}partition-${partition}/`;
}

/** The shard and group a key under groupResultsRoot stands for; null for any other key. */
export function parseGroupResultKey(executionArn: string, key: string): { partition: number; groupId: string } | null {
  const root = groupResultsRoot(executionArn);
  if (!key.startsWith(root)) return null;
  const match = /^partition-(\d+)\/([^/]+)\.json$/.exec(key.slice(root.length));
  if (!match) return null;
  try {
    return { partition: Number(match[1]), groupId: decodeURIComponent(match[2]!) };
  } catch {
    return null;
  }
}

/** Where a shard scan stores one group's recovered offsets (ReadOffsets reads it back). */
export function shardGroupResultKey(groupResultsPrefix: string, groupId: string): string {
  return `${groupResultsPrefix}${encodeURIComponent(groupId)}.json`;
}

/** Key of the single-use marker for one approval link. */
export function approvalConsumedKey(executionArn: string, approvalId: string): string {
  return `${executionPrefix(executionArn)}/approval-consumed/${safeSegment(approvalId)}.json`;
}

/** One IAM approval of a request: slot 1, then 2 when two approvers are required. */
export function approvalSlotKey(executionArn: string, approvalId: string, slot: number): string {
  return `${executionPrefix(executionArn)}/approvals/${safeSegment(approvalId)}/${slot}.json`;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function serializeDocument(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

function encryption(store: ArtifactStore): Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId'> {
  return store.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: store.kmsKeyId } : { ServerSideEncryption: 'AES256' };
}

export async function putJson(store: ArtifactStore, key: string, document: unknown): Promise<ArtifactRef> {
  const body = serializeDocument(document);
  try {
    await store.s3.send(
      new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: body, ContentType: 'application/json', ...encryption(store) }),
    );
  } catch (error) {
    throw awsError(error, `s3:PutObject s3://${store.bucket}/${key}`);
  }
  return { bucket: store.bucket, key, bytes: Buffer.byteLength(body), sha256: sha256Hex(body) };
}

/** Removes an object; on the versioned bucket this adds a delete marker, the old version stays for the audit. */
export async function deleteObject(store: ArtifactStore, key: string): Promise<void> {
  try {
    await store.s3.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: key }));
  } catch (error) {
    throw awsError(error, `s3:DeleteObject s3://${store.bucket}/${key}`);
  }
}

/**
 * Writes only when the key does not exist yet (If-None-Match: *), which S3 enforces atomically:
 * two concurrent writers cannot both win. Returns null when the object already existed.
 */
export async function putJsonIfAbsent(store: ArtifactStore, key: string, document: unknown): Promise<ArtifactRef | null> {
  const body = serializeDocument(document);
  try {
    await store.s3.send(
      new PutObjectCommand({
        Bucket: store.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        IfNoneMatch: '*',
        ...encryption(store),
      }),
    );
  } catch (error) {
    const name = awsErrorName(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412 || status === 409) return null;
    throw awsError(error, `s3:PutObject (conditional) s3://${store.bucket}/${key}`);
  }
  return { bucket: store.bucket, key, bytes: Buffer.byteLength(body), sha256: sha256Hex(body) };
}

/** Reads a JSON object; null when it does not exist. */
export async function getJsonIfExists<T>(s3: S3Client, location: { bucket: string; key: string }): Promise<{ document: T; text: string } | null> {
  let text: string;
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    if (!response.Body) throw new RecoveryError('AWS_ERROR', `s3://${location.bucket}/${location.key} has no body`);
    text = await response.Body.transformToString('utf8');
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchKey' || awsErrorName(error) === 'NotFound') return null;
    throw awsError(error, `s3:GetObject s3://${location.bucket}/${location.key}`);
  }
  try {
    return { document: JSON.parse(text) as T, text };
  } catch (error) {
    throw new RecoveryError('CORRUPT_DATA', `s3://${location.bucket}/${location.key} is not valid JSON`, { cause: error });
  }
}

/** Reads an artifact and, when the reference carries a hash, checks the bytes are the ones referenced. */
export async function getJson<T>(s3: S3Client, ref: { bucket: string; key: string; sha256?: string }): Promise<T> {
  const found = await getJsonIfExists<T>(s3, ref);
  if (!found) {
    throw new RecoveryError('NOT_FOUND', `Artifact s3://${ref.bucket}/${ref.key} does not exist (deleted by a lifecycle rule or by hand?)`, {
      details: { bucket: ref.bucket, key: ref.key },
    });
  }
  if (ref.sha256 && sha256Hex(found.text) !== ref.sha256) {
    throw new RecoveryError('CORRUPT_DATA', `Artifact s3://${ref.bucket}/${ref.key} changed after it was written (sha256 mismatch); refusing to use it`, {
      details: { bucket: ref.bucket, key: ref.key },
    });
  }
  return found.document;
}

export function isArtifactEnvelope(value: unknown): value is ArtifactEnvelope {
  if (typeof value !== 'object' || value === null || !('artifact' in value)) return false;
  const artifact = (value as { artifact: unknown }).artifact;
  return typeof artifact === 'object' && artifact !== null && typeof (artifact as ArtifactRef).bucket === 'string' && typeof (artifact as ArtifactRef).key === 'string';
}

/** The document inline when it is small enough, otherwise stored under `key` and referenced. */
export async function storeIfLarge<T>(store: ArtifactStore, key: string, document: T, limitBytes = INLINE_LIMIT_BYTES): Promise<Stored<T>> {
  const bytes = Buffer.byteLength(JSON.stringify(document));
  if (bytes <= limitBytes) return document;
  return { artifact: await putJson(store, key, document) };
}

export async function resolveStored<T>(s3: S3Client, stored: Stored<T>): Promise<T> {
  return isArtifactEnvelope(stored) ? getJson<T>(s3, stored.artifact) : stored;
}
