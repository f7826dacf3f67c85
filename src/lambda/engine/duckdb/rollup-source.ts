/**
 * The embedded engine's view of the daily rollups (docs/design.md §12): the local freshness record
 * (`rollups.json`, re-read when it changes), the rollup tables copied into memory from the files
 * it records, which days a request may read from them, and how many fact rows each day stands
 * for (the listing's page windows, engine/plan.ts).
 *
 * A rollup table in memory is loaded from the files the record names (a year of a rollup is a
 * few hundred small files: opening them per request would cost more than the query), reloaded
 * when the record changes. Only days whose files still matched their records when loaded are
 * `verified`; a request reads a day only if it is verified and its source partition is
 * unchanged now (one stat of the folder and of each recorded file), and the SQL filters the
 * span's days.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { statSync } from 'node:fs';
import path from 'node:path';
import type { RollupPath } from '../../catalog.ts';
import { errorFields, log } from '../../log.ts';
import { lakeTable, ROLLUP_TABLES, type LakeTable } from '../../lake/layout.ts';
import {
  emptyManifest, localDayUsable, localRollupIntact, localSourceUnchanged, MANIFEST_FILE, partitionDir, readLocalManifest,
  type RollupDay, type RollupManifest,
} from '../../rollups/manifest.ts';
import type { RowsOnDay } from '../plan.ts';
import type { QueryParams } from '../types.ts';
import { filesRelation } from './views.ts';

/** The days of a rollup path a request may read now, and the relation that reads a span of them. */
export interface RollupDays {
  usable(day: string): boolean;
  relation(spanDays: readonly string[]): string;
}

interface RollupCopy {
  readonly relation: string;
  readonly verified: ReadonlySet<string>;
  /** Fact rows per day the copy stands for: of each client, and of all clients. */
  readonly rows: { readonly all: ReadonlyMap<string, number>; readonly byClient: ReadonlyMap<number, ReadonlyMap<string, number>> };
}

export class RollupSource {
  private manifest: { mtimeMs: number; value: RollupManifest } | undefined;
  private readonly copies = new Map<string, { key: string; ready: Promise<RollupCopy> }>();
  private readonly loaded = new Map<string, string>();

  constructor(
    private readonly db: DuckDBInstance,
    private readonly lakeDir: string,
    /** Copy rollup tables into memory (off: read the recorded files, checking both halves per day). */
    private readonly inMemory: boolean,
  ) {}

  /** Which days of the path's rollup table may be read now (one record for the plan and the relation). */
  async days(path_: RollupPath): Promise<RollupDays> {
    const manifest = this.readManifest();
    const records = manifest?.value.tables[path_.table] ?? {};
    const table = lakeTable(path_.table);
    const source = path_.factTables[0]!;
    const copy = this.inMemory && manifest ? await this.copy(table, manifest).catch(() => undefined) : undefined;
    if (copy) {
      return {
        usable: (day) => (records[day] === undefined || copy.verified.has(day)) && localSourceUnchanged(this.lakeDir, source, day, records[day]),
        relation: () => copy.relation,
      };
    }
    // Straight from the files (caches off, or the copy failed to load): check both halves.
    const filesOf = (days: readonly string[]) =>
      days.flatMap((d) => (records[d]?.rollup ?? []).map(([name]) => path.join(partitionDir(this.lakeDir, table.name, d), name)));
    return {
      usable: (day) => localDayUsable(this.lakeDir, path_.table, source, day, records[day]),
      relation: (days) => filesRelation(table, filesOf(days)),
    };
  }

  /** The caller's rows per day of a listed fact table, from its daily rollup's copy, if there is one. */
  async rowsOnDay(listed: string, params: QueryParams): Promise<RowsOnDay | undefined> {
    const rollup = ROLLUP_TABLES.find((t) => t.rollupOf === listed);
    const manifest = this.readManifest();
    if (!rollup || !this.inMemory || !manifest) return undefined;
    const copy = await this.copy(rollup, manifest).catch(() => undefined);
    if (!copy) return undefined;
    const days = params.all_clients ? copy.rows.all : copy.rows.byClient.get(params.client_id);
    return (day) => days?.get(day) ?? 0;
  }

  /** The freshness record, re-read when its file changes (one stat per request); undefined when there is none. */
  private readManifest(): { mtimeMs: number; value: RollupManifest } | undefined {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path.join(this.lakeDir, MANIFEST_FILE)).mtimeMs;
    } catch {
      this.manifest = undefined;
      return undefined;
    }
    if (this.manifest?.mtimeMs !== mtimeMs) {
      let value: RollupManifest;
      try {
        value = readLocalManifest(this.lakeDir);
      } catch (e) {
        // Without a readable freshness record no rollup day can be trusted: answer raw (slower,
        // never wrong) rather than refuse, until the next `npm run rollup` writes a good one.
        log.warn('rollup manifest unreadable: answering from the raw partitions', errorFields(e));
        value = emptyManifest();
      }
      this.manifest = { mtimeMs, value };
    }
    return this.manifest;
  }

  private copy(t: LakeTable, manifest: { mtimeMs: number; value: RollupManifest }): Promise<RollupCopy> {
    const key = String(manifest.mtimeMs);
    let entry = this.copies.get(t.name);
    if (entry?.key !== key) {
      entry = { key, ready: this.load(t, manifest.value.tables[t.name] ?? {}, key) };
      const loading = entry;
      entry.ready.catch(() => {
        if (this.copies.get(t.name) === loading) this.copies.delete(t.name);
      });
      this.copies.set(t.name, entry);
    }
    return entry.ready;
  }

  private async load(t: LakeTable, records: Readonly<Record<string, RollupDay>>, key: string): Promise<RollupCopy> {
    const verified = new Set(Object.keys(records).filter((d) => localRollupIntact(this.lakeDir, t.name, d, records[d]!)));
    const files = [...verified].sort().flatMap((d) => records[d]!.rollup.map(([name]) => path.join(partitionDir(this.lakeDir, t.name, d), name)));
    const table = `rollup_copy_${t.name}_${key.replace(/\D/g, '')}`;
    const conn = await this.db.connect();
    try {
      // Sorted by client and day, so a client's range reads a few row groups (zone maps), not the whole year of every client.
      await conn.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM (${filesRelation(t, files)}) ORDER BY client_id, dt`);
      const rows = await rowsPerDay(conn, t, table);
      // The previous copy goes: sessions re-point their views (the relation text changed), and
      // a statement still reading it keeps its own snapshot.
      const previous = this.loaded.get(t.name);
      this.loaded.set(t.name, table);
      if (previous && previous !== table) await conn.run(`DROP TABLE IF EXISTS ${previous}`);
      return { relation: `SELECT * FROM main.${table}`, verified, rows };
    } finally {
      conn.closeSync();
    }
  }
}

/** The fact rows a rollup copy stands for, per client and day, and per day of all clients. */
async function rowsPerDay(conn: DuckDBConnection, t: LakeTable, table: string): Promise<RollupCopy['rows']> {
  const all = new Map<string, number>();
  const byClient = new Map<number, Map<string, number>>();
  if (!t.rowsColumn) return { all, byClient };
  const reader = await conn.runAndReadAll(`SELECT client_id, dt, CAST(sum(${t.rowsColumn}) AS DOUBLE) FROM ${table} GROUP BY client_id, dt`);
  for (const [client, day, n] of reader.getRows() as [number, string, number][]) {
    all.set(day, (all.get(day) ?? 0) + n);
    let days = byClient.get(client);
    if (!days) byClient.set(client, (days = new Map()));
    days.set(day, n);
  }
  return { all, byClient };
}
