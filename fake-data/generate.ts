/**
 * Writes a complete lake (docs/design.md §2) to a folder: dimension tables, Hive-partitioned fact
 * tables, the access-control table and a `lake.json` manifest.
 *
 * The lake is built in a temporary sibling folder and renamed into place only when complete,
 * so an interrupted run never leaves a partial lake where the gateway would read it.
 */
import { mkdir, rename, rm, rmdir, stat, writeFile, readdir, access, constants } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LAKE_TABLES, ACCESS_CONTROL, type LakeTable } from '../src/lambda/lake/layout.ts';
import { sqlString } from '../src/shared/sql-literal.ts';
import { defaultAccessTable, serializeAccessTable } from '../src/lambda/access/model.ts';
import { Progress } from '../src/ops/progress.ts';
import { buildRollups } from '../src/ops/rollups/build.ts';
import { factSelects, modelStatements, DEFAULT_WINDOW, TRACKCODES_PER_SCALE, type LakeModel } from './model.ts';

export interface GenerateOptions {
  readonly seed: number;
  readonly scale: number;
  readonly out: string;
  /** Query names granted in the default access table. */
  readonly queryNames: readonly string[];
  readonly memoryLimitMb?: number;
  readonly progress?: boolean;
}

export interface LakeManifest {
  readonly generator: 'lakegate-fake-data/1';
  readonly seed: number;
  readonly scale: number;
  readonly window: { readonly start: string; readonly end: string };
  readonly rows: Record<string, number>;
}

export class GenerateError extends Error {
  override name = 'GenerateError';
}

/** Refuse an output folder that exists and is not empty, or whose parent is not a writable folder. */
export async function checkOutput(out: string): Promise<void> {
  const target = await stat(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw new GenerateError(`--out ${out} cannot be read (${e.code})`);
  });
  if (target && !target.isDirectory()) throw new GenerateError(`--out ${out} exists and is not a folder`);
  if (target && (await readdir(out)).length > 0) {
    throw new GenerateError(`--out ${out} is not empty; remove it or choose another folder`);
  }
  const parent = path.dirname(path.resolve(out));
  const parentStat = await stat(parent).catch(() => undefined);
  if (!parentStat?.isDirectory()) throw new GenerateError(`cannot write ${out}: ${parent} is not an existing folder`);
  await access(parent, constants.W_OK).catch(() => {
    throw new GenerateError(`cannot write ${out}: ${parent} is not writable`);
  });
}

/** Cast every column to the layout's type, so the parquet schema is exactly docs/design.md §2. */
function typedSelect(t: LakeTable, from: string): string {
  const cols = t.columns.map(([name, type]) => `CAST(${name} AS ${type}) AS ${name}`);
  if (t.partitionedByDt) cols.push('dt');
  return `SELECT ${cols.join(', ')} FROM (${from})`;
}

/**
 * Remove temporary lakes left by generators that died (killed, crashed): `<out>.tmp-<pid>-…`
 * whose process no longer exists. A live generator's folder is left alone.
 */
export async function removeStaleTemporaries(out: string): Promise<string[]> {
  const parent = path.dirname(out);
  const prefix = `${path.basename(out)}.tmp-`;
  const removed: string[] = [];
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const m = name.startsWith(prefix) ? /^(\d+)-/.exec(name.slice(prefix.length)) : null;
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) {
      await rm(path.join(parent, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

export async function generateLake(opts: GenerateOptions): Promise<LakeManifest> {
  const out = path.resolve(opts.out);
  await checkOutput(out);
  await removeStaleTemporaries(out);
  const model: LakeModel = {
    seed: opts.seed,
    trackcodes: Math.max(1, Math.round(TRACKCODES_PER_SCALE * opts.scale)),
    ...DEFAULT_WINDOW,
  };
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  const statements = modelStatements(model);
  const progress = new Progress(statements.length + LAKE_TABLES.length + 1, { quiet: opts.progress === false });
  const rollupTables = LAKE_TABLES.filter((t: LakeTable) => t.rollupOf);

  const db = await DuckDBInstance.create(':memory:', {
    threads: String(os.availableParallelism()),
    memory_limit: `${opts.memoryLimitMb ?? 2560}MB`,
    preserve_insertion_order: 'false',
    temp_directory: path.join(tmp, '.spill'),
  });
  const conn = await db.connect();
  // One open file per day partition for the whole write (DuckDB's default of 100 closes and
  // reopens partitions, leaving ~20 files per day at 10M orders): fewer, larger files per day is
  // what a compacted lake looks like, and what the rollups' per-file freshness check wants.
  await conn.run('SET partitioned_write_max_open_files = 2048');
  try {
    const facts = factSelects(model);
    const rows: Record<string, number> = {};
    const write = async (t: LakeTable) => {
      progress.step(`writing ${t.name}`);
      const dir = path.join(tmp, t.name);
      await mkdir(dir, { recursive: true });
      const from = t.partitionedByDt ? facts[t.name as keyof typeof facts] : `SELECT * FROM ${t.name}`;
      const target = t.partitionedByDt ? sqlString(dir) : sqlString(path.join(dir, 'data.parquet'));
      const options = t.partitionedByDt
        ? `FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt), FILENAME_PATTERN 'part-{i}'`
        : `FORMAT parquet, COMPRESSION zstd`;
      const res = await conn.run(`COPY (${typedSelect(t, from)}) TO ${target} (${options})`);
      rows[t.name] = Number(res.rowsChanged);
      progress.tick(t.name);
    };
    // Dimensions are written as soon as they are complete, before the facts are built (the
    // memory their writing took is free again for the facts); rollups are built from the
    // written facts below.
    let dimensionsWritten = false;
    const writeDimensions = async () => {
      if (dimensionsWritten) return;
      dimensionsWritten = true;
      for (const t of LAKE_TABLES) if (!t.partitionedByDt) await write(t);
    };
    for (const s of statements) {
      if (s.facts) await writeDimensions();
      progress.step(`building ${s.label}`);
      await conn.run(s.sql);
      progress.tick(s.label);
    }
    await writeDimensions();
    for (const t of LAKE_TABLES) if (t.partitionedByDt && !(t as LakeTable).rollupOf) await write(t);

    progress.step('writing access control');
    const clients = await conn.runAndReadAll('SELECT client_id FROM client ORDER BY client_id');
    const clientIds = clients.getRows().map(([id]) => Number(id));
    const acl = defaultAccessTable(clientIds, opts.queryNames);
    await mkdir(path.join(tmp, ACCESS_CONTROL.table));
    await writeFile(path.join(tmp, ACCESS_CONTROL.table, ACCESS_CONTROL.file), serializeAccessTable(acl));
    rows[ACCESS_CONTROL.table] = acl.length;
    progress.tick('access control');

    const manifest: LakeManifest = {
      generator: 'lakegate-fake-data/1',
      seed: opts.seed,
      scale: opts.scale,
      window: { start: model.start, end: model.end },
      rows,
    };
    await writeFile(path.join(tmp, 'lake.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    conn.closeSync();
    db.closeSync();
    await rm(path.join(tmp, '.spill'), { recursive: true, force: true });
    // Daily rollups (docs/design.md §12) and their freshness manifest, before the lake is in place.
    progress.step('building rollups');
    for (const r of await buildRollups({ lakeDir: tmp, progress: false, memoryLimitMb: opts.memoryLimitMb ?? 2560 })) {
      rows[r.table] = r.rows;
    }
    for (const _ of rollupTables) progress.tick('rollups');
    // An empty target folder (allowed by checkOutput) must go before the rename.
    await rmdir(out).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await rename(tmp, out);
    return manifest;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    progress.finish();
  }
}
