/**
 * Which rollup days the Athena engine may read (docs/design.md §12), decided from S3 as it is now.
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
import type { S3Client } from '@aws-sdk/client-s3';
import { VersionedCache } from '../../shared/versioned-cache.ts';
import { parseS3Uri, S3Object } from '../../shared/s3-object.ts';
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

/** A record read slower than this counts as unreadable (the answer is then raw). */
const RECORD_READ_TIMEOUT_MS = 2000;

export interface S3FreshnessOptions {
  /** How long a listing or a validated record decides (ms). */
  readonly ttlMs: number;
  readonly now?: () => number;
}

export class S3RollupFreshness {
  /** The record, re-validated with a conditional GET on its ETag once older than the TTL; never served stale. */
  private readonly record: VersionedCache<RollupManifest>;
  private readonly listings = new Map<string, { at: number; days: Promise<Map<string, PartitionMark>> }>();
  private readonly now: () => number;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly opts: S3FreshnessOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.record = new VersionedCache(new S3Object(s3, bucket, MANIFEST_FILE), parseManifest, {
      ttlMs: opts.ttlMs, maxStaleMs: 0, readTimeoutMs: RECORD_READ_TIMEOUT_MS, now: this.now,
      whenMissing: emptyManifest, // no rollups built yet: every day is raw (until the record appears)
      unavailable: (m) => new Error(m),
      what: 'rollup record',
    });
  }

  /** From `s3://bucket/rollups.json` (the record lives at the bucket's root). */
  static fromUri(uri: string, s3: S3Client, opts: S3FreshnessOptions): S3RollupFreshness {
    const { bucket, key } = parseS3Uri(uri);
    if (key !== MANIFEST_FILE) throw new Error(`${uri} is not s3://bucket/${MANIFEST_FILE}`);
    return new S3RollupFreshness(s3, bucket, opts);
  }

  /**
   * The usable-day test of a rollup table over `[from, to)`, or `undefined` when freshness cannot
   * be checked now (the caller then reads raw).
   */
  async usableDays(rollupTable: string, sourceTable: string, from: Date, to: Date): Promise<((day: string) => boolean) | undefined> {
    try {
      const months = monthsBetween(from, to);
      const [manifest, sources, rollups] = await Promise.all([
        this.record.get(),
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
