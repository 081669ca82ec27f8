/**
 * What a Distributed Map's ResultWriter left in S3: `manifest.json` listing one or more files
 * per status, each a JSON array of child execution records (Transformation NONE: the child's
 * input and output as JSON strings). Read back by the step that consumes the map's results.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { RecoveryError } from '../core/errors.ts';
import { getJson } from './artifacts.ts';

export interface MapRunManifest {
  DestinationBucket: string;
  MapRunArn: string;
  ResultFiles: Partial<Record<'SUCCEEDED' | 'FAILED' | 'PENDING', Array<{ Key: string; Size: number }>>>;
}

export interface ChildExecutionRecord {
  ExecutionArn: string;
  Status: string;
  Input: string;
  Output?: string;
  Error?: string;
  Cause?: string;
}

export interface MapRunResults<T> {
  mapRunArn: string;
  /** The succeeded children's outputs, parsed. */
  succeeded: T[];
  /** Children that failed (or are still pending), with their Error and Cause. */
  unfinished: ChildExecutionRecord[];
}

export async function readMapRunResults<T>(s3: S3Client, details: { Bucket: string; Key: string }): Promise<MapRunResults<T>> {
  const manifest = await getJson<MapRunManifest>(s3, { bucket: details.Bucket, key: details.Key });
  if (manifest === null || typeof manifest !== 'object' || typeof manifest.ResultFiles !== 'object' || manifest.ResultFiles === null) {
    throw new RecoveryError('CORRUPT_DATA', `s3://${details.Bucket}/${details.Key} is not a map run manifest (no ResultFiles)`, { details: { key: details.Key } });
  }
  const records = async (status: 'SUCCEEDED' | 'FAILED' | 'PENDING'): Promise<ChildExecutionRecord[]> => {
    const files = manifest.ResultFiles[status] ?? [];
    const lists = await Promise.all(files.map((file) => getJson<ChildExecutionRecord[]>(s3, { bucket: manifest.DestinationBucket ?? details.Bucket, key: file.Key })));
    return lists.flat();
  };
  const [succeeded, failed, pending] = await Promise.all([records('SUCCEEDED'), records('FAILED'), records('PENDING')]);
  return {
    mapRunArn: manifest.MapRunArn,
    succeeded: succeeded.map((record) => {
      if (typeof record.Output !== 'string') {
        throw new RecoveryError('CORRUPT_DATA', `the result of ${record.ExecutionArn} in the map run's SUCCEEDED files has no Output`, { details: { executionArn: record.ExecutionArn } });
      }
      return JSON.parse(record.Output) as T;
    }),
    unfinished: [...failed, ...pending],
  };
}
