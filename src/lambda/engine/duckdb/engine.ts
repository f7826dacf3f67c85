/**
 * The embedded engine: DuckDB over the local lake. One database instance per process, a small
 * pool of connections so concurrent requests run in parallel without sharing a connection, and
 * parameters bound as typed values (never spliced into SQL).
 */
import {
  BIGINT, BOOLEAN, DOUBLE, DuckDBConnection, DuckDBInstance, DuckDBTimestampValue, INTEGER, TIMESTAMP, VARCHAR,
  type DuckDBPreparedStatement, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { statSync } from 'node:fs';
import path from 'node:path';
import { PARAM_TYPES, type NamedQuery, type OutputType, type ParamName, type ParamType } from '../../catalog.ts';
import { DataUnavailable, EngineFailure, EngineTimeout } from '../../errors.ts';
import { errorFields, log } from '../../log.ts';
import { LAKE_TABLES, ROLLUP_TABLES, type LakeTable } from '../../lake/layout.ts';
import {
  localDayUsable, localRollupIntact, localSourceUnchanged, MANIFEST_FILE, partitionDir, readLocalManifest,
  emptyManifest, type RollupDay, type RollupManifest,
} from '../../rollups/manifest.ts';
import { planRollup, type AnswerSource, type RollupPlan } from '../rollup-plan.ts';
import { LakeCopies } from './lake-copies.ts';
import { createLakeViews, daysBetween, filesRelation, narrowedFactRelation } from './views.ts';
import { keysetOf, pageParameters } from '../keyset.ts';
import { firstWindowEnd, nextWindowEnd, type RowsOnDay } from '../page-window.ts';
import type { Cell, QueryEngine, QueryParams, QueryRequest, QueryResult, Row } from '../types.ts';
import { integerCell, timestampCell } from '../values.ts';
import { DAY_MS } from '../../../shared/time.ts';

export interface DuckDbOptions {
  readonly lakeDir: string;
  readonly threads: number;
  readonly memoryMb: number;
  /** Most connections (= queries running at once); further requests wait their turn. */
  readonly maxConnections?: number;
  /**
   * Caches of file metadata and blocks, and the in-memory copies of the rollups (default on). Off
   * only to measure what a query really reads from storage (profile()).
   */
  readonly caches?: boolean;
  /**
   * Answer aggregate queries from the daily rollups where they are fresh (default on). Off = the
   * raw SQL always (what the rollup path is compared with in tests and the bench).
   */
  readonly rollups?: boolean;
  /** Memory for in-memory copies of the lake's tables (duckdb-lake-copies.ts), MiB; 0 = read the files always. */
  readonly lakeCopyMb?: number;
}

const DUCK_TYPE: Record<ParamType | OutputType, DuckDBType> = {
  timestamp: TIMESTAMP, integer: INTEGER, boolean: BOOLEAN, bigint: BIGINT, double: DOUBLE, varchar: VARCHAR,
};

type Bindable = Date | number | boolean | string;

function duckValue(type: ParamType | OutputType, value: Bindable): DuckDBValue {
  if (type === 'timestamp') {
    const ms = value instanceof Date ? value.getTime() : Date.parse(String(value));
    if (!Number.isFinite(ms)) throw new Error('invalid timestamp parameter');
    return new DuckDBTimestampValue(BigInt(ms) * 1000n);
  }
  if (type === 'bigint') return BigInt(value as number);
  return value as DuckDBValue;
}

function toCell(type: OutputType, value: unknown): Cell {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'timestamp':
      return timestampCell(Number((value as DuckDBTimestampValue).micros / 1000n));
    case 'bigint':
    case 'integer':
      return integerCell(value as bigint | number);
    case 'double':
      return value as number;
    case 'boolean':
      return value as boolean;
    case 'varchar':
      return String(value);
  }
}


/** The range column (first key) of a keyset cursor, epoch ms. */
function cursorTime(cursor: string, keys: number): number {
  const ms = Date.parse(String(decodeCursor(cursor, keys)[0]));
  if (!Number.isFinite(ms)) throw new Error('malformed cursor');
  return ms;
}

/** Keyset cursor: the sort-key values of the last row served. */
function encodeCursor(keys: readonly Cell[]): string {
  return Buffer.from(JSON.stringify(keys)).toString('base64url');
}
function decodeCursor(cursor: string, n: number): Cell[] {
  const keys: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Array.isArray(keys) || keys.length !== n) throw new Error('malformed cursor');
  return keys as Cell[];
}

/**
 * A pooled connection and what it has set up: the relation each fact table's TEMP view
 * currently has (absent = the lake-wide view), and its prepared statements, reused while the
 * views stay the same.
 */
interface Session {
  readonly conn: DuckDBConnection;
  readonly views: Map<string, string>;
  readonly prepared: Map<string, DuckDBPreparedStatement>;
}

const MAX_PREPARED_PER_SESSION = 64;

const RAW_PLAN: RollupPlan = { source: 'raw', spanDays: [], rawDays: [] };

/** A rollup table copied into memory: its relation, and the days whose files matched their records. */
interface RollupCopy {
  readonly relation: string;
  readonly verified: ReadonlySet<string>;
  /** Fact rows per day the copy stands for: of each client, and of all clients (page windows). */
  readonly rows: { readonly all: ReadonlyMap<string, number>; readonly byClient: ReadonlyMap<number, ReadonlyMap<string, number>> };
}

/** Longest range (in days of partitions) listed per request rather than globbed by DuckDB. */
const NARROW_MAX_DAYS = 62;

/** Failures that mean "the lake's files are unreadable", not "our SQL is wrong". */
const DATA_FAULT = /(No files found|Could not open file|No such file|No magic bytes|not a parquet file|[Cc]orrupt|IO Error|Invalid Input Error: .*\.parquet)/;

export class DuckDbEngine implements QueryEngine {
  readonly name = 'duckdb' as const;
  private readonly idle: Session[] = [];
  private readonly waiting: ((s: Session) => void)[] = [];
  private open = 0;

  private constructor(
    private readonly db: DuckDBInstance,
    private readonly lakeDir: string,
    private readonly maxConnections: number,
    private readonly rollups: boolean,
    private readonly inMemoryRollups: boolean,
    private readonly lakeCopies: LakeCopies | undefined,
  ) {}

  private readonly rollupCopies = new Map<string, { key: string; ready: Promise<RollupCopy> }>();
  private readonly rollupTablesLoaded = new Map<string, string>();

  /** The rollup manifest, re-read when its file changes (one stat per request). */
  private manifest: { mtimeMs: number; value: RollupManifest } | undefined;

  static async create(opts: DuckDbOptions): Promise<DuckDbEngine> {
    const db = await DuckDBInstance.create(':memory:', {
      threads: String(opts.threads),
      memory_limit: `${opts.memoryMb}MB`,
      // No TimeZone setting: the lake's columns are TIMESTAMP (UTC wall time, no zone), so
      // no cast depends on the session's time zone.
    });
    const caches = opts.caches ?? true;
    const lakeCopies = caches && (opts.lakeCopyMb ?? 0) > 0 ? new LakeCopies(db, opts.lakeDir, opts.lakeCopyMb! * 2 ** 20) : undefined;
    const engine = new DuckDbEngine(db, opts.lakeDir, opts.maxConnections ?? 8, opts.rollups ?? true, caches, lakeCopies);
    // Views live in the database's catalog: created once, every pooled connection sees them.
    const session = await engine.acquire();
    const conn = session.conn;
    // Parquet footers are cached (keyed by file and modification time), so repeated queries
    // over the same partitions skip re-reading metadata. Set once the built-in parquet
    // extension is loaded; GLOBAL so every pooled connection has it.
    await conn.run(`LOAD parquet; SET GLOBAL parquet_metadata_cache = ${caches}; SET GLOBAL enable_external_file_cache = ${caches}`);
    await createLakeViews(conn, opts.lakeDir);
    engine.release(session);
    lakeCopies?.prime(LAKE_TABLES.filter((t: LakeTable) => !t.rollupOf));
    return engine;
  }

  async run(req: QueryRequest): Promise<QueryResult> {
    const started = performance.now();
    if (!req.query.params.includes('page_rows') || !req.page) return this.runOnce(req, started);
    // A page picked in the SQL needs only the earliest rows after its keyset: read a window of
    // the range that holds more than a page (page-window.ts). The rows of a window are the
    // earliest of the range, so its page is the range's page.
    const resume = req.cursor === undefined ? req.params.from.getTime() : Math.max(req.params.from.getTime(), cursorTime(req.cursor, req.query.page!.keys.length));
    const from = new Date(resume);
    const to = req.params.to.getTime();
    const rowsOnDay = await this.rowsOnDay(req);
    for (let end = firstWindowEnd(resume, to, req.page.size + 1, rowsOnDay); ; end = nextWindowEnd(resume, end, to)) {
      const result = await this.runOnce({ ...req, params: { ...req.params, from, to: new Date(end) } }, started);
      if (result.cursor !== null || end === to) return result;
    }
  }

  /** The caller's rows per day of a listed table, from its daily rollup's in-memory copy, if there is one. */
  private async rowsOnDay(req: QueryRequest): Promise<RowsOnDay | undefined> {
    const listed = req.query.page?.table;
    const rollup = ROLLUP_TABLES.find((t) => t.rollupOf === listed);
    if (!rollup || !this.rollups || !this.inMemoryRollups) return undefined;
    this.readManifest();
    if (!this.manifest) return undefined;
    const copy = await this.rollupCopy(rollup, this.manifest).catch(() => undefined);
    if (!copy) return undefined;
    const days = req.params.all_clients ? copy.rows.all : copy.rows.byClient.get(req.params.client_id);
    return (day) => days?.get(day) ?? 0;
  }

  private async runOnce(req: QueryRequest, started: number): Promise<QueryResult> {
    const session = await this.acquire();
    let sql: string, values: Record<string, DuckDBValue>, types: Record<string, DuckDBType>, source: AnswerSource;
    try {
      ({ sql, values, types, source } = await this.setUp(session, req));
    } catch (e) {
      this.release(session);
      throw new DataUnavailable((e as Error).message, { cause: e });
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      session.conn.interrupt();
    }, Math.max(0, req.deadline - Date.now()));
    try {
      const statement = await this.prepare(session, sql);
      statement.bind(values, types);
      const reader = await statement.runAndReadAll();
      const rows = this.rows(req.query, reader.columnNames(), reader.getRows());
      const page = req.page;
      let cursor: string | null = null;
      if (page && rows.length > page.size) {
        rows.length = page.size;
        const last = rows[rows.length - 1]!;
        cursor = encodeCursor(keysetOf(req.query, last));
      }
      return {
        columns: req.query.columns,
        rows,
        cursor,
        stats: { engine: this.name, elapsedMs: Math.round((performance.now() - started) * 100) / 100, source },
      };
    } catch (e) {
      if (timedOut) throw new EngineTimeout('the query did not finish in time', { cause: e });
      const message = (e as Error).message ?? String(e);
      if (DATA_FAULT.test(message)) throw new DataUnavailable(message, { cause: e });
      throw new EngineFailure(message, { cause: e });
    } finally {
      clearTimeout(timer);
      this.release(session);
    }
  }

  /**
   * Profile one run (EXPLAIN ANALYZE): files scanned and bytes read per table scan. For tests
   * and the benchmark (partition pruning), not for requests.
   */
  async profile(req: QueryRequest, opts: { rollups?: boolean } = {}): Promise<{ bytesRead: number; source: AnswerSource; scans: { files: string; filesRead: number }[] }> {
    const session = await this.acquire();
    try {
      // The raw SQL unless asked (partition pruning is measured on it); the rollup path on request.
      const { sql, values, types, source } = await this.setUp(session, req, opts.rollups ?? false);
      const reader = await session.conn.runAndReadAll(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, values, types);
      const json = JSON.parse(String(reader.getRows()[0]![1]));
      const scans: { files: string; filesRead: number }[] = [];
      const walk = (node: { extra_info?: Record<string, string>; children?: unknown[] }) => {
        const info = node.extra_info;
        // "Scanning Files: X/Y" appears only when filters pruned files; "Total Files Read" always.
        const read = info?.['Total Files Read'];
        if (read !== undefined) scans.push({ files: info!['Scanning Files'] ?? `${read}/${read}`, filesRead: Number(read) });
        for (const c of node.children ?? []) walk(c as typeof node);
      };
      walk(json);
      return { bytesRead: Number(json.total_bytes_read ?? 0), source, scans };
    } finally {
      this.release(session);
    }
  }

  /** Settles once the in-memory copies of the lake's tables are made (tests and the bench wait for it). */
  async copiesReady(): Promise<void> {
    await this.lakeCopies?.ready();
  }

  async close(): Promise<void> {
    await this.lakeCopies?.ready(); // a copy still being made holds a connection
    for (const s of this.idle.splice(0)) {
      for (const p of s.prepared.values()) p.destroySync();
      s.conn.closeSync();
    }
    this.db.closeSync();
  }

  /** The session's prepared statement for this SQL (views unchanged since it was prepared). */
  private async prepare(session: Session, sql: string): Promise<DuckDBPreparedStatement> {
    let statement = session.prepared.get(sql);
    if (!statement) {
      if (session.prepared.size >= MAX_PREPARED_PER_SESSION) this.forgetPrepared(session);
      statement = await session.conn.prepare(sql);
      session.prepared.set(sql, statement);
    }
    return statement;
  }

  private forgetPrepared(session: Session): void {
    for (const p of session.prepared.values()) p.destroySync();
    session.prepared.clear();
  }

  /**
   * Point this session's fact tables at the partitions the request can touch (TEMP views that
   * shadow the lake-wide ones). Past about two months of days, listing them costs more than
   * DuckDB's own glob: use the lake-wide view. A view is only re-created when its relation
   * changes, and then the session's prepared statements are dropped with it.
   */
  private async narrow(session: Session, req: QueryRequest): Promise<void> {
    const from = new Date(req.params.from.getTime() - req.query.lookbackDays * 86_400_000);
    const days = daysBetween(from, req.params.to);
    for (const t of LAKE_TABLES) {
      if (!req.query.factTables.includes(t.name)) continue;
      const relation = (await this.lakeCopies?.relation(t, days)) ?? (days.length <= NARROW_MAX_DAYS ? await narrowedFactRelation(this.lakeDir, t, days) : undefined);
      await this.setView(session, t, relation);
    }
    await this.pointDimensions(session, req.query);
  }

  /** Point the dimension tables a query reads at their in-memory copies while those are exact (else their files). */
  private async pointDimensions(session: Session, query: NamedQuery): Promise<void> {
    for (const t of LAKE_TABLES) {
      if (query.dimensionTables.includes(t.name)) await this.setView(session, t, await this.lakeCopies?.relation(t));
    }
  }

  /**
   * Plan the request (rollup path or raw), point the session's views at what it reads, and
   * give the statement to run. The rollup path reads exactly the recorded files of its span's
   * rollup days and the raw partitions of the other days; the SQL's own dt filters still apply.
   */
  private async setUp(session: Session, req: QueryRequest, rollups = this.rollups) {
    const { plan, relation } = rollups ? await this.plan(req) : { plan: RAW_PLAN, relation: undefined };
    const rollupPath = req.query.rollup;
    if (!plan.span || !rollupPath || relation === undefined) {
      await this.narrow(session, req);
      return { ...this.statement(req), source: 'raw' as const };
    }
    const fact = LAKE_TABLES.find((t) => t.name === rollupPath.factTables[0])!;
    const rollup = LAKE_TABLES.find((t) => t.name === rollupPath.table)!;
    const copied = plan.rawDays.length > 0 ? await this.lakeCopies?.relation(fact, plan.rawDays) : undefined;
    await this.setView(session, fact, copied ?? (await narrowedFactRelation(this.lakeDir, fact, plan.rawDays)));
    await this.pointDimensions(session, rollupPath);
    await this.setView(session, rollup, relation(plan.spanDays));
    const params = { ...req.params, rollup_from: plan.span.from, rollup_to: plan.span.to };
    return { ...this.statement({ ...req, query: rollupPath, params }), source: plan.source };
  }

  /**
   * The rollup table in memory, loaded from the files the manifest records (a year of a rollup
   * is a few hundred small files: opening them per request would cost more than the query).
   * Reloaded when the manifest changes. Only days whose files still matched their records when
   * loaded are `verified`; a request uses a day only if it is verified and its source is
   * unchanged now, and the SQL filters the span's days.
   */
  private rollupCopy(t: LakeTable, manifest: { mtimeMs: number; value: RollupManifest }): Promise<RollupCopy> {
    const key = String(manifest.mtimeMs);
    let entry = this.rollupCopies.get(t.name);
    if (entry?.key !== key) {
      entry = { key, ready: this.loadRollup(t, manifest.value.tables[t.name] ?? {}, key) };
      const loading = entry;
      entry.ready.catch(() => {
        if (this.rollupCopies.get(t.name) === loading) this.rollupCopies.delete(t.name);
      });
      this.rollupCopies.set(t.name, entry);
    }
    return entry.ready;
  }

  private async loadRollup(t: LakeTable, records: Readonly<Record<string, RollupDay>>, key: string): Promise<RollupCopy> {
    const verified = new Set(Object.keys(records).filter((d) => localRollupIntact(this.lakeDir, t.name, d, records[d]!)));
    const files = [...verified].sort().flatMap((d) => records[d]!.rollup.map(([name]) => path.join(partitionDir(this.lakeDir, t.name, d), name)));
    const table = `rollup_copy_${t.name}_${key.replace(/\D/g, '')}`;
    const conn = await this.db.connect();
    try {
      // Sorted by client and day, so a client's range reads a few row groups (zone maps), not the whole year of every client.
      await conn.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM (${filesRelation(t, files)}) ORDER BY client_id, dt`);
      const rows = await this.rowsPerDay(conn, t, table);
      // The previous copy goes: sessions re-point their views (the relation text changed), and
      // a statement still reading it keeps its own snapshot.
      const previous = this.rollupTablesLoaded.get(t.name);
      this.rollupTablesLoaded.set(t.name, table);
      if (previous && previous !== table) await conn.run(`DROP TABLE IF EXISTS ${previous}`);
      return { relation: `SELECT * FROM main.${table}`, verified, rows };
    } finally {
      conn.closeSync();
    }
  }

  /** The fact rows a rollup copy stands for, per client and day, and per day of all clients. */
  private async rowsPerDay(conn: DuckDBConnection, t: LakeTable, table: string): Promise<RollupCopy['rows']> {
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

  /** Which days of the request the rollup serves (none when rollups are off or do not apply). */
  private async plan(req: QueryRequest): Promise<{ plan: RollupPlan; relation?: (spanDays: readonly string[]) => string }> {
    const rollupPath = req.query.rollup;
    if (!rollupPath || req.page || req.cursor !== undefined) return { plan: RAW_PLAN };
    this.readManifest();
    const manifest = this.manifest; // read once: the plan and the relation use the same records
    const records = manifest?.value.tables[rollupPath.table] ?? {};
    const table = LAKE_TABLES.find((t) => t.name === rollupPath.table)!;
    const source = rollupPath.factTables[0]!;
    const options = { rawDaysMustBeUsable: rollupPath.rawDaysExact };
    if (this.inMemoryRollups && manifest) {
      const copy = await this.rollupCopy(table, manifest).catch(() => undefined);
      if (copy) {
        const usable = (day: string) =>
          (records[day] === undefined || copy.verified.has(day)) && localSourceUnchanged(this.lakeDir, source, day, records[day]);
        return { plan: planRollup(req.params.from, req.params.to, usable, options), relation: () => copy.relation };
      }
    }
    // Straight from the files (caches off, or the copy failed to load): check both halves.
    const usable = (day: string) => localDayUsable(this.lakeDir, rollupPath.table, source, day, records[day]);
    const filesOf = (days: readonly string[]) =>
      days.flatMap((d) => (records[d]?.rollup ?? []).map(([name]) => path.join(partitionDir(this.lakeDir, table.name, d), name)));
    return { plan: planRollup(req.params.from, req.params.to, usable, options), relation: (days) => filesRelation(table, filesOf(days)) };
  }

  private readManifest(): RollupManifest {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path.join(this.lakeDir, MANIFEST_FILE)).mtimeMs;
    } catch {
      this.manifest = undefined;
      return { version: 1, tables: {} };
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
    return this.manifest.value;
  }

  /** Point a table's TEMP view at a relation (undefined = the lake-wide view). */
  private async setView(session: Session, t: LakeTable, relation: string | undefined): Promise<void> {
    if (session.views.get(t.name) === relation) return;
    this.forgetPrepared(session);
    if (relation === undefined) {
      await session.conn.run(`DROP VIEW IF EXISTS temp.${t.name}`);
      session.views.delete(t.name);
    } else {
      await session.conn.run(`CREATE OR REPLACE TEMP VIEW ${t.name} AS ${relation}`);
      session.views.set(t.name, relation);
    }
  }

  /**
   * The SQL text and typed values of a request. A paged query either picks its page in the SQL
   * (`:page_rows`, `:after_<key>`) or is wrapped in a keyset window here.
   */
  private statement(req: QueryRequest & { params: QueryParams & { rollup_from?: Date; rollup_to?: Date } }): { sql: string; values: Record<string, DuckDBValue>; types: Record<string, DuckDBType> } {
    const { query, page, cursor } = req;
    let params: Partial<Record<ParamName, Date | number | boolean>> = req.params;
    if (query.params.includes('page_rows')) {
      // The SQL picks its page (keyset, LIMIT) before joining: the page's parameters, as on Athena.
      if (!page) throw new Error(`${query.name} needs a page`);
      params = pageParameters(query, req.params, page.size, cursor === undefined ? undefined : decodeCursor(cursor, query.page!.keys.length));
    }
    const values: Record<string, DuckDBValue> = {};
    const types: Record<string, DuckDBType> = {};
    for (const name of query.params) {
      const v = params[name];
      if (v === undefined) throw new Error(`parameter ${name} missing`);
      values[name] = duckValue(PARAM_TYPES[name], v);
      types[name] = DUCK_TYPE[PARAM_TYPES[name]];
    }
    if (!query.page) {
      if (page || cursor !== undefined) throw new Error(`${query.name} is not paginated`);
      return { sql: query.dollar.text, values, types };
    }
    if (!page) throw new Error(`${query.name} needs a page`);
    if (query.params.includes('page_rows')) return { sql: query.dollar.text, values, types };
    const keys = query.page.keys;
    const keyType = (k: string) => query.columns.find((c) => c.name === k)!.type;
    values.page_rows = page.size + 1; // one more than served tells whether a next page exists
    types.page_rows = INTEGER;
    let where = '';
    if (cursor !== undefined) {
      const after = decodeCursor(cursor, keys.length);
      // The first key is the range column (catalog rule), so rows before the cursor cannot
      // qualify: narrowing `from` to it lets every page prune the partitions already served.
      const resume = Date.parse(String(after[0]));
      if (resume > req.params.from.getTime()) values.from = duckValue('timestamp', new Date(resume));
      keys.forEach((k, i) => {
        values[`after_${i}`] = duckValue(keyType(k), after[i] as Bindable);
        types[`after_${i}`] = DUCK_TYPE[keyType(k)];
      });
      // (k0, k1, …) > (a0, a1, …), lexicographically.
      const terms = keys.map((_, i) =>
        [...keys.slice(0, i).map((k, j) => `q.${k} = $after_${j}`), `q.${keys[i]} > $after_${i}`].join(' AND '),
      );
      where = `WHERE (${terms.map((t) => `(${t})`).join(' OR ')})`;
    }
    const order = keys.map((k) => `q.${k}`).join(', ');
    return { sql: `SELECT * FROM (${query.dollar.text}) AS q ${where} ORDER BY ${order} LIMIT $page_rows`, values, types };
  }

  private rows(query: NamedQuery, names: string[], raw: readonly (readonly unknown[])[]): Row[] {
    const expected = query.columns.map((c) => c.name);
    if (names.join(',') !== expected.join(',')) {
      throw new Error(`${query.name}: columns ${names.join(',')} differ from the catalog's ${expected.join(',')}`);
    }
    return raw.map((r) => {
      const row: Row = {};
      query.columns.forEach((c, i) => (row[c.name] = toCell(c.type, r[i])));
      return row;
    });
  }

  private async acquire(): Promise<Session> {
    const session = this.idle.pop();
    if (session) return session;
    if (this.open < this.maxConnections) {
      this.open += 1;
      try {
        return { conn: await this.db.connect(), views: new Map(), prepared: new Map() };
      } catch (e) {
        this.open -= 1;
        throw e;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(session: Session): void {
    const next = this.waiting.shift();
    if (next) next(session);
    else this.idle.push(session);
  }
}
