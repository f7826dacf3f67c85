/**
 * The objects of a `dt=`-partitioned table in S3, by day, with their ETags: what the rollup
 * record compares (the rebuild, and the Athena engine's freshness check). No DuckDB here: the
 * query functions import it.
 */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { FileMark, PartitionMark } from './manifest.ts';

const DAY_KEY = /^([a-z_]+)\/dt=(\d{4}-\d{2}-\d{2})\/([^/]+)$/;

/**
 * Objects under `<table>/dt=<within>` (every day, or e.g. one month `2024-03`), grouped by day:
 * key (relative to the day), size and ETag.
 */
export async function listPartitions(s3: S3Client, bucket: string, table: string, within = ''): Promise<Map<string, PartitionMark>> {
  const days = new Map<string, FileMark[]>();
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: `${table}/dt=${within}` })) {
    for (const o of page.Contents ?? []) {
      const m = DAY_KEY.exec(o.Key ?? '');
      if (!m || m[1] !== table || m[3]!.startsWith('_') || m[3]!.startsWith('.')) continue;
      const list = days.get(m[2]!) ?? [];
      list.push([m[3]!, o.Size ?? 0, o.ETag ?? '']);
      days.set(m[2]!, list);
    }
  }
  return new Map([...days].map(([d, files]) => [d, { folder: 0, files: files.sort((a, b) => (a[0] < b[0] ? -1 : 1)) }]));
}
