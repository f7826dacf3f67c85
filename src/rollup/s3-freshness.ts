/**
 * Which rollup days the Athena engine may read (DESIGN §12), decided from S3 as it is now.
 *
 * - The record: `s3://<data bucket>/rollups.json` (written by `npm run rollup -- --stage`, keys
 *   and ETags), kept in memory and re-validated with a conditional GET on its ETag (a 304 costs
 *   no body).
 * - The current objects: one ListObjectsV2 per table and month prefix (`orders/dt=2024-03`) —
 *   the source table's and the rollup table's — each kept for `ttlMs` (a few seconds), so a
 *   burst of requests lists once.
 * - A day is usable when its record is exact, its source objects are the recorded keys and
 *   ETags, and its rollup objects are the ones written (Athena reads whatever the `dt=` prefix
 *   holds); a day with no record is usable only when it has neither source nor rollup objects.
 *
 * So a changed source day is read raw within `ttlMs` of the change. Anything that cannot be
 * checked (record or listing unreadable) means raw: slower, never wrong.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { log } from '../log.ts';
import { listPartitions } from './s3-listing.ts';
import { emptyManifest, MANIFEST_FILE, parseManifest, sameMark, type FileMark, type PartitionMark, type RollupDay, type RollupManifest } from './manifest.ts';

/** Is one rollup day usable, given its record and the objects under its two `dt=` prefixes now? */
export function s3DayUsable(record: RollupDay | undefined, source: PartitionMark | undefined, rollup: readonly FileMark[]): boolean {
  if (!record) return source === undefined && rollup.length === 0;
  return record.exact && sameMark(record.source, source) && JSON.stringify(record.rollup) === JSON.stringify(rollup);
}

/** The `YYYY-MM` months from `from`'s to `to`'s (the days a plan may ask about). */
export function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (d.getTime() <= to.getTime()) {
    months.push(d.toISOString().slice(0, 7));
    d.setUTCMonth(d.getUTCMonth() + 1);
  }
  return months;
}

export interface S3FreshnessOptions {
  /** How long a listing or a validated record decides (ms). */
  readonly ttlMs: number;
  readonly now?: () => number;
}

export class S3RollupFreshness {
  private record: { manifest: RollupManifest; etag?: string; validatedAt: number } | undefined;
  private recordLoad: Promise<RollupManifest> | undefined;
  private readonly listings = new Map<string, { at: number; days: Promise<Map<string, PartitionMark>> }>();
  private readonly now: () => number;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly opts: S3FreshnessOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** From `s3://bucket/rollups.json` (the record lives at the bucket's root). */
  static fromUri(uri: string, s3: S3Client, opts: S3FreshnessOptions): S3RollupFreshness {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
    if (!m || m[2] !== MANIFEST_FILE) throw new Error(`${uri} is not s3://bucket/${MANIFEST_FILE}`);
    return new S3RollupFreshness(s3, m[1]!, opts);
  }

  /**
   * The usable-day test of a rollup table over `[from, to)`, or `undefined` when freshness cannot
   * be checked now (the caller then reads raw).
   */
  async usableDays(rollupTable: string, sourceTable: string, from: Date, to: Date): Promise<((day: string) => boolean) | undefined> {
    try {
      const months = monthsBetween(from, to);
      const [manifest, sources, rollups] = await Promise.all([
        this.manifest(),
        Promise.all(months.map((m) => this.listing(sourceTable, m))),
        Promise.all(months.map((m) => this.listing(rollupTable, m))),
      ]);
      const records = manifest.tables[rollupTable] ?? {};
      const source = new Map(sources.flatMap((m) => [...m]));
      const rollup = new Map(rollups.flatMap((m) => [...m]));
      return (day) => s3DayUsable(records[day], source.get(day), rollup.get(day)?.files ?? []);
    } catch (e) {
      log.warn('rollup freshness unavailable: reading raw', { error: (e as Error).name, message: (e as Error).message });
      return undefined;
    }
  }

  /** The record, re-validated with If-None-Match once older than the TTL (single flight). */
  private manifest(): Promise<RollupManifest> {
    const r = this.record;
    if (r && this.now() - r.validatedAt < this.opts.ttlMs) return Promise.resolve(r.manifest);
    this.recordLoad ??= this.loadManifest().finally(() => {
      this.recordLoad = undefined;
    });
    return this.recordLoad;
  }

  private async loadManifest(): Promise<RollupManifest> {
    const known = this.record;
    const validatedAt = this.now();
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: MANIFEST_FILE, ...(known?.etag ? { IfNoneMatch: known.etag } : {}) }));
      if (!out.Body || !out.ETag) throw new Error('rollup record without body or ETag');
      const manifest = parseManifest(await out.Body.transformToString('utf-8'));
      this.record = { manifest, etag: out.ETag, validatedAt };
      return manifest;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if ((status === 304 || (e as Error).name === 'NotModified') && known) {
        this.record = { ...known, validatedAt };
        return known.manifest;
      }
      if ((e as Error).name === 'NoSuchKey') {
        // No rollups built yet: every day is raw (until the record appears).
        this.record = { manifest: emptyManifest(), validatedAt };
        return this.record.manifest;
      }
      this.record = undefined; // a record that cannot be read is not trusted from memory
      throw e;
    }
  }

  /** A table's objects of one month, by day, listed at most once per TTL. */
  private listing(table: string, month: string): Promise<Map<string, PartitionMark>> {
    const key = `${table}/${month}`;
    const cached = this.listings.get(key);
    if (cached && this.now() - cached.at < this.opts.ttlMs) return cached.days;
    const entry = { at: this.now(), days: listPartitions(this.s3, this.bucket, table, month) };
    entry.days.catch(() => {
      if (this.listings.get(key) === entry) this.listings.delete(key);
    });
    this.listings.set(key, entry);
    return entry.days;
  }
}
