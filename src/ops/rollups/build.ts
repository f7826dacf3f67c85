/**
 * Build the stale days of the daily rollups of a local lake, set-based in DuckDB: one COPY per
 * rollup table writes every stale day's partition at once. A day is stale when its source
 * partition's fingerprint differs from the one recorded (or none is); a recorded day whose
 * source partition is gone is removed. Fingerprints are taken before the build reads the data,
 * so a source changed during the build stays stale (read raw) until the next build.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { narrowedFactRelation } from '../../lambda/engine/duckdb/views.ts';
import { lakeTable, ROLLUP_TABLES, type LakeTable } from '../../lambda/lake/layout.ts';
import { sqlString } from '../../shared/sql-literal.ts';
import { Progress } from '../progress.ts';
import {
  markFiles, markPartition, partitionDays, partitionDir, readLocalManifest, sameMark, writeLocalManifest,
  type PartitionMark, type RollupDay, type RollupManifest,
} from '../../lambda/rollups/manifest.ts';
import { rollupSqlForDays } from './sql.ts';

export interface RollupBuildReport {
  readonly table: string;
  /** Days (re)built. */
  readonly built: readonly string[];
  /** Of those, days the rollup cannot serve exactly (read raw). */
  readonly inexact: readonly string[];
  /** Recorded days whose source partition is gone (rollup partition deleted). */
  readonly removed: readonly string[];
  readonly upToDate: number;
  /** Rollup rows written. */
  readonly rows: number;
}

export interface RollupBuildOptions {
  readonly lakeDir: string;
  readonly progress?: boolean;
  readonly threads?: number;
  readonly memoryLimitMb?: number;
}

/** Pure: which days to build and which records to drop, from the marks now and the records. */
export function staleDays(
  now: ReadonlyMap<string, PartitionMark>,
  recorded: Readonly<Record<string, RollupDay>>,
  rollupIntact: (day: string, record: RollupDay) => boolean = () => true,
): { build: string[]; remove: string[]; upToDate: number } {
  const stale = (day: string, mark: PartitionMark) => {
    const record = recorded[day];
    return !record || !sameMark(record.source, mark) || !rollupIntact(day, record);
  };
  const build = [...now].filter(([day, mark]) => stale(day, mark)).map(([day]) => day).sort();
  const remove = Object.keys(recorded).filter((day) => !now.has(day)).sort();
  return { build, remove, upToDate: now.size - build.length };
}

export async function buildRollups(opts: RollupBuildOptions): Promise<RollupBuildReport[]> {
  const manifest: RollupManifest = readLocalManifest(opts.lakeDir);
  const tables = { ...manifest.tables };
  const plans = ROLLUP_TABLES.map((t) => {
    const source = lakeTable(t.rollupOf!);
    const marks = new Map<string, PartitionMark>();
    for (const day of partitionDays(opts.lakeDir, source.name)) {
      const mark = markPartition(partitionDir(opts.lakeDir, source.name, day));
      if (mark) marks.set(day, mark);
    }
    // A rollup day whose written files are gone or changed is rebuilt too.
    const intact = (day: string, record: RollupDay) => sameFiles(markFiles(partitionDir(opts.lakeDir, t.name, day)), record.rollup);
    return { table: t, source, marks, ...staleDays(marks, tables[t.name] ?? {}, intact) };
  });
  const progress = new Progress(plans.length * 2, { quiet: opts.progress === false });
  const db = await DuckDBInstance.create(':memory:', {
    threads: String(opts.threads ?? os.availableParallelism()),
    memory_limit: `${opts.memoryLimitMb ?? 1024}MB`,
    preserve_insertion_order: 'false',
  });
  const conn = await db.connect();
  const reports: RollupBuildReport[] = [];
  try {
    for (const p of plans) {
      const days: Record<string, RollupDay> = { ...(tables[p.table.name] ?? {}) };
      // Forget what is about to be rewritten or removed first: a crash leaves those days
      // unrecorded (read raw), never recorded with other files.
      for (const day of [...p.build, ...p.remove]) delete days[day];
      tables[p.table.name] = days;
      writeLocalManifest(opts.lakeDir, { version: 1, tables });
      for (const day of [...p.build, ...p.remove]) rmSync(partitionDir(opts.lakeDir, p.table.name, day), { recursive: true, force: true });

      let inexact = new Set<string>();
      let rows = 0;
      if (p.build.length) {
        progress.step(`checking ${p.table.name} (${p.build.length} days)`);
        await conn.run(`CREATE OR REPLACE VIEW ${p.source.name} AS ${await narrowedFactRelation(opts.lakeDir, p.source, p.build)}`);
        const check = await conn.runAndReadAll(rollupSqlForDays('check', p.table, p.build));
        inexact = new Set(check.getRows().map((r) => String(r[0])));
        progress.tick(p.table.name);
        progress.step(`building ${p.table.name} (${p.build.length} days)`);
        const written = await conn.run(
          `COPY (${typedBuild(p.table, rollupSqlForDays('build', p.table, p.build))}) TO ${sqlString(path.join(opts.lakeDir, p.table.name))} ` +
            `(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt), FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE true)`,
        );
        rows = Number(written.rowsChanged);
        progress.tick(p.table.name);
        for (const day of p.build) {
          days[day] = { source: p.marks.get(day)!, rollup: markFiles(partitionDir(opts.lakeDir, p.table.name, day)), exact: !inexact.has(day) };
        }
        writeLocalManifest(opts.lakeDir, { version: 1, tables });
      } else {
        progress.tick(p.table.name);
        progress.tick(p.table.name);
      }
      reports.push({ table: p.table.name, built: p.build, inexact: [...inexact].sort(), removed: p.remove, upToDate: p.upToDate, rows });
    }
  } finally {
    conn.closeSync();
    db.closeSync();
    progress.finish();
  }
  return reports;
}

const sameFiles = (a: readonly unknown[], b: readonly unknown[]) => JSON.stringify(a) === JSON.stringify(b);

/** Cast every column to the layout's type, so the parquet schema is exactly the table's. */
function typedBuild(t: LakeTable, sql: string): string {
  return `SELECT ${[...t.columns.map(([n, type]) => `CAST(${n} AS ${type}) AS ${n}`), 'dt'].join(', ')} FROM (${sql})`;
}
