/**
 * The S3 a Distributed Map's ItemReader and ResultWriter reach, through the real SDK client (so
 * the stand-in's errors arrive as on AWS: NoSuchKey, NoSuchBucket, ...).
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AwsClientSettings } from '../aws/index.ts';
import type { ObjectStore } from './distributed-map.ts';

export interface ClosableObjectStore extends ObjectStore {
  close(): void;
}

export function s3ObjectStore(settings: AwsClientSettings): ClosableObjectStore {
  const client = new S3Client({ ...settings, forcePathStyle: true });
  return {
    getObject: async (bucket, key) => {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await answer.Body?.transformToString('utf8')) ?? '';
    },
    putObject: async (bucket, key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
    },
    close: () => client.destroy(),
  };
}
