/**
 * The freshness record of the daily rollups (docs/design.md §12): for each rollup day, what it was built
 * from and what was written. Locally the fingerprint of a partition is its folder's mtime and
 * each data file's name, size and mtime (a file added, removed or rewritten changes it); on AWS
 * it is each object's key and ETag. A rollup day is usable only while the source fingerprint
 * is unchanged, the written rollup files are the ones recorded, and the build found the day exact.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from '../../shared/atomic-file.ts';
import path from 'node:path';
import { DAY_TEXT } from '../../shared/time.ts';

/** One data file: name (local) or key (S3), and its size + mtime (local) or ETag (S3). */
export type FileMark = readonly [name: string, size: number, version: number | string];

export interface PartitionMark {
  /** Local: the partition folder's mtime (adding or removing a file changes it); S3: 0. */
  readonly folder: number;
  readonly files: readonly FileMark[];
}

export interface RollupDay {
  /** The source partition as it was when the build read it. */
  readonly source: PartitionMark;
  /** The rollup files written for the day (none when the day had no rows). */
  readonly rollup: readonly FileMark[];
  /** False when the day breaks a condition of exactness (see queries/rollups/check/). */
  readonly exact: boolean;
}

export interface RollupManifest {
  readonly version: 1;
  /** Rollup table → day `YYYY-MM-DD` → record. */
  readonly tables: Record<string, Record<string, RollupDay>>;
}

export const emptyManifest = (): RollupManifest => ({ version: 1, tables: {} });

/** Where the local manifest lives: beside lake.json, outside every table folder. */
export const MANIFEST_FILE = 'rollups.json';

const isMark = (f: unknown): boolean =>
  Array.isArray(f) && f.length === 3 && typeof f[0] === 'string' && typeof f[1] === 'number' && (typeof f[2] === 'number' || typeof f[2] === 'string');
const isDay = (d: unknown): boolean => {
  const r = d as RollupDay;
  return typeof r === 'object' && r !== null && typeof r.exact === 'boolean' && Array.isArray(r.rollup) && r.rollup.every(isMark)
    && typeof r.source === 'object' && r.source !== null && typeof r.source.folder === 'number' && Array.isArray(r.source.files) && r.source.files.every(isMark);
};

/** Parse and check every record: a malformed manifest is refused whole (the engine then reads raw). */
export function parseManifest(text: string): RollupManifest {
  const m = JSON.parse(text) as RollupManifest;
  if (m?.version !== 1 || typeof m.tables !== 'object' || m.tables === null) throw new Error('not a rollup manifest (version 1)');
  for (const [table, days] of Object.entries(m.tables)) {
    if (typeof days !== 'object' || days === null) throw new Error(`rollup manifest: table ${table} is not a map of days`);
    for (const [day, record] of Object.entries(days)) {
      if (!DAY_TEXT.test(day) || !isDay(record)) throw new Error(`rollup manifest: bad record for ${table} ${day}`);
    }
  }
  return m;
}

export function readLocalManifest(lakeDir: string): RollupManifest {
  try {
    return parseManifest(readFileSync(path.join(lakeDir, MANIFEST_FILE), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyManifest();
    throw e;
  }
}

/** Written to a temporary file and renamed, so a reader never sees half a manifest. */
export function writeLocalManifest(lakeDir: string, manifest: RollupManifest): void {
  writeFileAtomicSync(path.join(lakeDir, MANIFEST_FILE), `${JSON.stringify(manifest)}\n`);
}

export const partitionDir = (lakeDir: string, table: string, day: string): string => path.join(lakeDir, table, `dt=${day}`);

/** The days a partitioned table has on disk now (its `dt=YYYY-MM-DD` folders), in order; none without the table's folder. */
export function partitionDays(lakeDir: string, table: string): string[] {
  try {
    return readdirSync(path.join(lakeDir, table)).filter((n) => n.startsWith('dt=') && DAY_TEXT.test(n.slice(3))).map((n) => n.slice(3)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

const fileMark = (dir: string, name: string): FileMark => {
  const s = statSync(path.join(dir, name));
  return [name, s.size, s.mtimeMs];
};

/** A local partition's fingerprint now, or undefined when the partition does not exist. */
export function markPartition(dir: string): PartitionMark | undefined {
  let folder: number;
  try {
    folder = statSync(dir).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const files = readdirSync(dir).filter((n) => n.endsWith('.parquet')).sort().map((n) => fileMark(dir, n));
  return { folder, files };
}

/** The rollup files of a partition (names, sizes, mtimes). */
export function markFiles(dir: string): FileMark[] {
  return markPartition(dir)?.files.slice() ?? [];
}

const sameFile = (dir: string, [name, size, version]: FileMark): boolean => {
  try {
    const s = statSync(path.join(dir, name));
    return s.size === size && s.mtimeMs === version;
  } catch {
    return false;
  }
};

/**
 * Is a rollup day usable, checked against the lake as it is now? Cheap: a stat of the source
 * folder and of each recorded file, no listing. A day that has neither a source partition nor
 * a record is empty both ways, hence usable.
 */
export function localDayUsable(lakeDir: string, rollupTable: string, sourceTable: string, day: string, record: RollupDay | undefined): boolean {
  return localSourceUnchanged(lakeDir, sourceTable, day, record) && (!record || localRollupIntact(lakeDir, rollupTable, day, record));
}

/**
 * The source half of the check: the day's source partition is as recorded and the day exact;
 * or neither a partition nor a record exists (empty both ways).
 */
export function localSourceUnchanged(lakeDir: string, sourceTable: string, day: string, record: RollupDay | undefined): boolean {
  const source = partitionDir(lakeDir, sourceTable, day);
  let folder: number | undefined;
  try {
    folder = statSync(source).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  if (!record) return folder === undefined;
  if (!record.exact || folder !== record.source.folder) return false;
  return record.source.files.every((f) => sameFile(source, f));
}

/** The rollup half: the day's rollup files are the ones recorded. */
export function localRollupIntact(lakeDir: string, rollupTable: string, day: string, record: RollupDay): boolean {
  const rollup = partitionDir(lakeDir, rollupTable, day);
  return record.rollup.every((f) => sameFile(rollup, f));
}

/** Is a recorded day still built from its source as it is now (the build's staleness test)? */
export function sameMark(a: PartitionMark | undefined, b: PartitionMark | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
