/**
 * In-memory copies of the lake's tables, for the embedded engine. Decoding parquet costs far more
 * than the queries themselves on a development lake (a week's listing reads some twenty daily
 * files and three dimension files: ~16 ms from the files, ~5 ms from memory), so a table that
 * fits the budget is copied into DuckDB's memory once — a fact table sorted by day, so its zone
 * maps prune by `dt` as its files do — and kept exact by the same fingerprints the rollups use
 * (src/lambda/rollups/manifest.ts):
 *
 * - each partition's fingerprint (a fact table's day folder, a dimension table's folder) is
 *   taken before the copy reads it;
 * - a request uses the copy only if every partition it reads has the fingerprint it was copied
 *   with (else it reads the files, and the changed partitions are copied again in the background);
 * - a table over the budget (a benchmark's 10M-order lake) is never copied: it is read from its
 *   files as before.
 *
 * A copy is one table (`SELECT *` of it is the relation a query's view points at): the relation
 * text never changes, so prepared statements stay valid across ranges. A dimension's copy is
 * indexed on its id (its first column): a page joins a few of its rows by id (a listing's
 * recipients among every location), and with the join's keys pushed into the scan as a list
 * (engine.ts) DuckDB looks those up in the index instead of reading every row of every column.
 */
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { LakeTable } from '../../lake/layout.ts';
import { sqlString } from '../../../shared/sql-literal.ts';
import { errorFields, log } from '../../log.ts';
import { readParquet } from './views.ts';
import { markPartition, partitionDays, partitionDir, sameMark, type PartitionMark } from '../../rollups/manifest.ts';

/** The one partition of a dimension table (its folder). */
const WHOLE = '';

/** Bytes a value of each column type takes in memory, roughly (VARCHAR: a short string). */
const WIDTH: Record<string, number> = { INTEGER: 4, BIGINT: 8, DOUBLE: 8, BOOLEAN: 1, TIMESTAMP: 8, VARCHAR: 24 };

/** Rough in-memory size of `rows` rows of a table (its columns, and `dt` when partitioned). */
export function estimateBytes(t: LakeTable, rows: number): number {
  return rows * (t.columns.reduce((n, [, type]) => n + (WIDTH[type] ?? 16), 0) + (t.partitionedByDt ? WIDTH.VARCHAR! : 0));
}

interface Copy {
  readonly table: string;
  /** Day → the partition's fingerprint when it was copied (absent: no partition then). */
  readonly marks: Map<string, PartitionMark>;
  /** Days being copied again (their requests read the files meanwhile). */
  readonly refreshing: Set<string>;
  /** Refreshes run one at a time per table. */
  chain: Promise<void>;
}

export class LakeCopies {
  private readonly copies = new Map<string, Promise<Copy | undefined>>();
  private budgetLeft: number;

  constructor(
    private readonly db: DuckDBInstance,
    private readonly lakeDir: string,
    budgetBytes: number,
  ) {
    this.budgetLeft = budgetBytes;
  }

  /**
   * The relation of table `t` in memory when every partition the request reads (`days` of a fact
   * table; a dimension table's one folder) is as it was copied; undefined while the copy is being
   * made, when a partition changed (it is then copied again), or when the table does not fit: the
   * caller reads the files.
   */
  async relation(t: LakeTable, factDays: readonly string[] = []): Promise<string | undefined> {
    const days = t.partitionedByDt ? factDays : [WHOLE];
    const entry = this.copies.get(t.name);
    if (!entry) {
      this.start(t);
      return undefined; // this request reads the files; the copy is ready for the next ones
    }
    const copy = await promiseState(entry);
    if (!copy) return undefined;
    const now = new Map(days.map((d) => [d, this.mark(t, d)]));
    // A partition folder without data files lost its data: the files' path reports it (503).
    if ([...now.values()].some((m) => m !== undefined && m.files.length === 0)) return undefined;
    const stale = days.filter((d) => copy.refreshing.has(d) || !sameMark(copy.marks.get(d), now.get(d)));
    if (stale.length === 0) return `SELECT * FROM main.${copy.table}`;
    this.refresh(t, copy, stale.filter((d) => !copy.refreshing.has(d)));
    return undefined;
  }

  /** Start copying these tables (smallest first, while the budget lasts), in the background. */
  prime(tables: readonly LakeTable[]): void {
    const order = [...tables].sort((a, b) => Number(a.partitionedByDt) - Number(b.partitionedByDt));
    let previous: Promise<unknown> = Promise.resolve();
    for (const t of order) previous = this.start(t, previous);
  }

  /** Settles when every copy started so far is made (or given up): for tests and the bench. */
  async ready(): Promise<void> {
    const copies = await Promise.all(this.copies.values());
    await Promise.all(copies.map((c) => c?.chain));
  }

  /** The table's copy, started now (or once `after` settles) unless it already was. */
  private start(t: LakeTable, after: Promise<unknown> = Promise.resolve()): Promise<Copy | undefined> {
    let entry = this.copies.get(t.name);
    if (!entry) {
      entry = after.then(() => this.copy(t)).catch((e) => {
        log.warn('table not copied into memory: reading its files', { table: t.name, ...errorFields(e) });
        return undefined;
      });
      this.copies.set(t.name, entry);
    }
    return entry;
  }

  /** A partition's folder: a day of a fact table, or a dimension table's own folder. */
  private folder(t: LakeTable, day: string): string {
    return day === WHOLE ? path.join(this.lakeDir, t.name) : partitionDir(this.lakeDir, t.name, day);
  }

  private mark(t: LakeTable, day: string): PartitionMark | undefined {
    return markPartition(this.folder(t, day));
  }

  private filesOf(t: LakeTable, day: string, mark: PartitionMark | undefined): string[] {
    return (mark?.files ?? []).map(([name]) => path.join(this.folder(t, day), name));
  }

  /** Copy the whole table if it fits the budget (undefined if not). */
  private async copy(t: LakeTable): Promise<Copy | undefined> {
    const days = t.partitionedByDt ? partitionDays(this.lakeDir, t.name) : [WHOLE];
    const marks = new Map<string, PartitionMark>();
    for (const d of days) {
      const m = this.mark(t, d); // before reading: a partition changed meanwhile is then stale
      if (m) marks.set(d, m);
    }
    const files = [...marks].flatMap(([d, m]) => this.filesOf(t, d, m));
    const table = `lake_copy_${t.name}`;
    const conn = await this.db.connect();
    try {
      if (files.length === 0) return undefined;
      const rows = await this.rowCount(conn, files);
      const bytes = estimateBytes(t, rows);
      if (bytes > this.budgetLeft) {
        log.info('fact table over the in-memory budget: reading its files', { table: t.name, rows, estimatedMiB: Math.round(bytes / 2 ** 20) });
        return undefined;
      }
      this.budgetLeft -= bytes;
      await conn.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM ${readParquet(t, files)}${t.partitionedByDt ? ' ORDER BY dt' : ''}`);
      if (!t.partitionedByDt) await conn.run(`CREATE INDEX ${table}_id ON ${table} (${t.columns[0]![0]})`);
      return { table, marks, refreshing: new Set(), chain: Promise.resolve() };
    } finally {
      conn.closeSync();
    }
  }

  /** Copy some days again, one table's refreshes after another; a day that fails stays stale. */
  private refresh(t: LakeTable, copy: Copy, days: readonly string[]): void {
    if (days.length === 0) return;
    for (const d of days) copy.refreshing.add(d);
    copy.chain = copy.chain.then(async () => {
      const conn = await this.db.connect();
      try {
        for (const d of days) {
          const mark = this.mark(t, d);
          const files = this.filesOf(t, d, mark);
          await conn.run('BEGIN TRANSACTION');
          try {
            await conn.run(`DELETE FROM ${copy.table}${d === WHOLE ? '' : ` WHERE dt = ${sqlString(d)}`}`);
            if (files.length > 0) await conn.run(`INSERT INTO ${copy.table} SELECT * FROM ${readParquet(t, files)}`);
            await conn.run('COMMIT');
          } catch (e) {
            await conn.run('ROLLBACK');
            throw e;
          }
          if (mark) copy.marks.set(d, mark);
          else copy.marks.delete(d);
          copy.refreshing.delete(d);
        }
      } catch (e) {
        log.warn('fact copy refresh failed: those days read their files', { table: t.name, ...errorFields(e) });
        for (const d of days) copy.marks.delete(d); // stale until a later refresh succeeds
        for (const d of days) copy.refreshing.delete(d);
      } finally {
        conn.closeSync();
      }
    });
  }

  private async rowCount(conn: DuckDBConnection, files: readonly string[]): Promise<number> {
    const r = await conn.runAndReadAll(`SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata([${files.map(sqlString).join(', ')}])`);
    return Number(r.getRows()[0]![0]);
  }

}

/** A settled promise's value, or undefined while it is pending (never waits). */
async function promiseState<T>(p: Promise<T>): Promise<T | undefined> {
  const pending = Symbol('pending');
  const v = await Promise.race([p, Promise.resolve(pending)]);
  return v === pending ? undefined : (v as T);
}
