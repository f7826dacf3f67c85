/**
 * Seeding the data bucket from a local lake, then cataloging it: upload every table file and
 * the access-control table (parallel, multipart for large files, unchanged objects skipped by
 * their SHA-256 kept in object metadata), then run the Glue crawlers and report what they found.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { GetCrawlerCommand, GlueClient, paginateGetPartitions, paginateGetTables, StartCrawlerCommand } from '@aws-sdk/client-glue';
import { ACCESS_CONTROL, LAKE_TABLES } from '../../lambda/lake/layout.ts';

export interface LakeFile {
  readonly key: string;
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
}

export interface SeedPlan {
  readonly upload: readonly LakeFile[];
  readonly unchanged: readonly LakeFile[];
}

/** Run `work` over `items` with at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (d) => hash.update(d)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
  });
}

/** Every file the lake's tables and access table hold, keyed as in the bucket (same layout). */
export async function lakeFiles(lakeDir: string): Promise<LakeFile[]> {
  // The rollups are not uploaded: on AWS they are built from the uploaded facts with Athena
  // (their freshness records hold S3 ETags), so local rollup files would only be replaced again.
  const folders = [...LAKE_TABLES.filter((t) => t.rollupOf === undefined).map((t) => t.name), ACCESS_CONTROL.table];
  const files: string[] = [];
  for (const folder of folders) {
    const entries = await readdir(path.join(lakeDir, folder), { recursive: true, withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new Error(`${lakeDir} has no ${folder}/: is it a lake (npm run fake-data)?`);
      throw e;
    });
    for (const e of entries) if (e.isFile() && !e.name.startsWith('.')) files.push(path.join(e.parentPath, e.name));
  }
  files.sort();
  return pool(files, 8, async (file) => ({
    key: path.relative(lakeDir, file).split(path.sep).join('/'),
    file,
    size: (await stat(file)).size,
    sha256: await sha256(file),
  }));
}

/** Which files differ from the bucket (by the sha256 metadata of the object there). */
export async function planSeed(s3: S3Client, bucket: string, files: readonly LakeFile[]): Promise<SeedPlan> {
  const remote = await pool(files, 16, async (f) => {
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: f.key }));
      return head.Metadata?.sha256;
    } catch (e) {
      if ((e as Error).name === 'NotFound' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw e;
    }
  });
  return {
    upload: files.filter((f, i) => remote[i] !== f.sha256),
    unchanged: files.filter((f, i) => remote[i] === f.sha256),
  };
}

export async function uploadFiles(
  s3: S3Client, bucket: string, files: readonly LakeFile[], onBytes: (bytes: number) => void,
  opts: { partSize?: number; concurrency?: number } = {},
): Promise<void> {
  await pool(files, opts.concurrency ?? 6, async (f) => {
    let reported = 0;
    const upload = new Upload({
      client: s3,
      partSize: opts.partSize ?? 16 * 1024 * 1024,
      queueSize: 4,
      leavePartsOnError: false, // a failed multipart upload is aborted (and the lifecycle rule catches the rest)
      params: {
        Bucket: bucket,
        Key: f.key,
        Body: createReadStream(f.file),
        ContentType: f.key.endsWith('.json') ? 'application/x-ndjson' : 'application/vnd.apache.parquet',
        Metadata: { sha256: f.sha256 },
      },
    });
    upload.on('httpUploadProgress', (p) => {
      const loaded = p.loaded ?? 0;
      onBytes(loaded - reported);
      reported = loaded;
    });
    await upload.done();
    onBytes(f.size - reported);
  });
}

export interface CrawlReport {
  readonly crawler: string;
  readonly status: string;
}

export interface CatalogReport {
  readonly tables: readonly { name: string; partitions: number }[];
}

/** Start each crawler (or join its running crawl) and wait for all to finish. */
export async function runCrawlers(
  glue: GlueClient, crawlers: readonly string[],
  opts: { pollMs?: number; timeoutMs?: number; sleep?: (ms: number) => Promise<void>; now?: () => number } = {},
): Promise<CrawlReport[]> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  for (const name of crawlers) {
    try {
      await glue.send(new StartCrawlerCommand({ Name: name }));
    } catch (e) {
      if ((e as Error).name !== 'CrawlerRunningException') throw e;
    }
  }
  const deadline = now() + (opts.timeoutMs ?? 30 * 60_000);
  const reports: CrawlReport[] = [];
  for (const name of crawlers) {
    for (;;) {
      const { Crawler } = await glue.send(new GetCrawlerCommand({ Name: name }));
      if (Crawler?.State === 'READY') {
        const status = Crawler.LastCrawl?.Status ?? 'UNKNOWN';
        if (status !== 'SUCCEEDED') throw new Error(`crawler ${name} ended ${status}: ${Crawler.LastCrawl?.ErrorMessage ?? ''}`);
        reports.push({ crawler: name, status });
        break;
      }
      if (now() > deadline) throw new Error(`crawler ${name} still ${Crawler?.State} after the timeout`);
      await sleep(opts.pollMs ?? 10_000);
    }
  }
  return reports;
}

/** The tables the crawlers registered, with their partition counts. */
export async function describeCatalog(glue: GlueClient, database: string): Promise<CatalogReport> {
  const tables: { name: string; partitioned: boolean }[] = [];
  for await (const page of paginateGetTables({ client: glue }, { DatabaseName: database })) {
    for (const t of page.TableList ?? []) tables.push({ name: t.Name!, partitioned: (t.PartitionKeys ?? []).length > 0 });
  }
  const counted = await pool(tables, 4, async (t) => {
    let partitions = 0;
    if (t.partitioned) {
      for await (const page of paginateGetPartitions({ client: glue }, { DatabaseName: database, TableName: t.name })) partitions += page.Partitions?.length ?? 0;
    }
    return { name: t.name, partitions };
  });
  return { tables: counted.sort((a, b) => a.name.localeCompare(b.name)) };
}
