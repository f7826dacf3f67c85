/**
 * A versioned text object in S3 (the access table, the credentials store, the rollups' record).
 * Each read is a conditional GET on the last ETag, so re-validating an unchanged object is a 304
 * with no body.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { VersionedRead, VersionedStore } from './versioned-store.ts';

/** `s3://bucket/key` → its bucket and key; throws on anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  if (!m) throw new Error(`${uri} is not s3://bucket/key`);
  return { bucket: m[1]!, key: m[2]! };
}

export class S3Object implements VersionedStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
  ) {}

  static fromUri(uri: string, client = new S3Client({})): S3Object {
    const { bucket, key } = parseS3Uri(uri);
    return new S3Object(client, bucket, key);
  }

  /** Logged on failures: the key only, not the bucket (bucket names stay out of logs sent to clients anyway). */
  get location(): string {
    return `s3://…/${this.key}`;
  }

  async read(knownVersion?: string): Promise<VersionedRead> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key, ...(knownVersion ? { IfNoneMatch: knownVersion } : {}) }),
      );
      if (!out.Body || !out.ETag) throw new Error('object without body or ETag');
      return { changed: true, version: out.ETag, body: await out.Body.transformToString('utf-8') };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 304 || (e as Error).name === 'NotModified') return { changed: false };
      throw e;
    }
  }
}
