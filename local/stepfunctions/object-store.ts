/**
 * The S3 a Distributed Map's ItemReader and ResultWriter reach, through the real SDK client (so
 * the stand-in's errors arrive as on AWS: NoSuchKey, NoSuchBucket, ...).
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AwsClientSettings } from '../aws/index.ts';
import type { ListedObject, ObjectStore } from './distributed-map.ts';

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
    listObjects: async (bucket, prefix) => {
      const listed: ListedObject[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
        for (const object of page.Contents ?? []) {
          listed.push({ Etag: object.ETag ?? '', Key: object.Key ?? '', LastModified: object.LastModified?.toISOString() ?? '', Size: object.Size ?? 0, StorageClass: object.StorageClass ?? 'STANDARD' });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return listed;
    },
    close: () => client.destroy(),
  };
}
