/**
 * The embedded engine: DuckDB over the local lake. One database instance per process, a small
 * pool of connections so concurrent requests run in parallel without sharing a connection, and
 * parameters bound as typed values (never spliced into SQL).
 */
import {
  BIGINT, BOOLEAN, DOUBLE, DuckDBConnection, DuckDBInstance, DuckDBTimestampValue, INTEGER, TIMESTAMP, VARCHAR,
  type DuckDBPreparedStatement, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { PARAM_TYPES, type NamedQuery, type OutputType, type ParamType } from '../catalog.ts';
import { DataUnavailable, EngineFailure, EngineTimeout } from '../errors.ts';
import { LAKE_TABLES } from '../lake/layout.ts';
import { createLakeViews, daysBetween, narrowedFactRelation } from './duckdb-views.ts';
import type { Cell, QueryEngine, QueryParams, QueryRequest, QueryResult, Row } from './types.ts';
import { integerCell, timestampCell } from './values.ts';

export interface DuckDbOptions {
  readonly lakeDir: string;
  readonly threads: number;
  readonly memoryMb: number;
  /** Most connections (= queries running at once); further requests wait their turn. */
  readonly maxConnections?: number;
  /**
   * Caches of file metadata and blocks (default on). Off only to measure what a query really
   * reads from storage (profile()).
   */
  readonly caches?: boolean;
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
  ) {}

  static async create(opts: DuckDbOptions): Promise<DuckDbEngine> {
    const db = await DuckDBInstance.create(':memory:', {
      threads: String(opts.threads),
      memory_limit: `${opts.memoryMb}MB`,
      // No TimeZone setting: the lake's columns are TIMESTAMP (UTC wall time, no zone), so
      // no cast depends on the session's time zone.
    });
    const engine = new DuckDbEngine(db, opts.lakeDir, opts.maxConnections ?? 8);
    // Views live in the database's catalog: created once, every pooled connection sees them.
    const session = await engine.acquire();
    const conn = session.conn;
    // Parquet footers are cached (keyed by file and modification time), so repeated queries
    // over the same partitions skip re-reading metadata. Set once the built-in parquet
    // extension is loaded; GLOBAL so every pooled connection has it.
    const caches = opts.caches ?? true;
    await conn.run(`LOAD parquet; SET GLOBAL parquet_metadata_cache = ${caches}; SET GLOBAL enable_external_file_cache = ${caches}`);
    await createLakeViews(conn, opts.lakeDir);
    engine.release(session);
    return engine;
  }

  async run(req: QueryRequest): Promise<QueryResult> {
    const started = performance.now();
    const { sql, values, types } = this.statement(req);
    const session = await this.acquire();
    try {
      await this.narrow(session, req);
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
        cursor = encodeCursor(req.query.page!.keys.map((k) => last[k] ?? null));
      }
      return {
        columns: req.query.columns,
        rows,
        cursor,
        stats: { engine: this.name, elapsedMs: Math.round((performance.now() - started) * 100) / 100 },
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
  async profile(req: QueryRequest): Promise<{ bytesRead: number; scans: { files: string; filesRead: number }[] }> {
    const { sql, values, types } = this.statement(req);
    const session = await this.acquire();
    try {
      await this.narrow(session, req);
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
      return { bytesRead: Number(json.total_bytes_read ?? 0), scans };
    } finally {
      this.release(session);
    }
  }

  async close(): Promise<void> {
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
      const relation = days.length <= NARROW_MAX_DAYS ? await narrowedFactRelation(this.lakeDir, t, days) : undefined;
      if (session.views.get(t.name) === relation) continue;
      this.forgetPrepared(session);
      if (relation === undefined) {
        await session.conn.run(`DROP VIEW IF EXISTS temp.${t.name}`);
        session.views.delete(t.name);
      } else {
        await session.conn.run(`CREATE OR REPLACE TEMP VIEW ${t.name} AS ${relation}`);
        session.views.set(t.name, relation);
      }
    }
  }

  /** The SQL text and typed values of a request (paged queries wrapped in a keyset window). */
  private statement(req: QueryRequest): { sql: string; values: Record<string, DuckDBValue>; types: Record<string, DuckDBType> } {
    const { query, params, page, cursor } = req;
    const values: Record<string, DuckDBValue> = {};
    const types: Record<string, DuckDBType> = {};
    for (const name of query.params) {
      const v = params[name as keyof QueryParams];
      if (v === undefined) throw new Error(`parameter ${name} missing`);
      values[name] = duckValue(PARAM_TYPES[name], v);
      types[name] = DUCK_TYPE[PARAM_TYPES[name]];
    }
    if (!query.page) {
      if (page || cursor !== undefined) throw new Error(`${query.name} is not paginated`);
      return { sql: query.dollar.text, values, types };
    }
    if (!page) throw new Error(`${query.name} needs a page`);
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
      if (resume > params.from.getTime()) values.from = duckValue('timestamp', new Date(resume));
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
