/**
 * The embedded engine: DuckDB over the local lake, one adapter of the engine interface. One
 * database instance per process (src/process-shared.ts), a pool of connections (pool.ts),
 * parameters bound as typed values (statement.ts). Which statement a request runs is the one
 * planner's decision (engine/plan.ts); this adapter points each connection's views at exactly
 * what that statement reads: the partitions of its raw days (in memory when copied exactly,
 * lake-copies.ts), the verified days of a rollup (rollup-source.ts), the dimension tables.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { NamedQuery } from '../../catalog.ts';
import { engineConfig, lakeDir } from '../../config.ts';
import { DataUnavailable, EngineFailure, EngineTimeout } from '../../errors.ts';
import { LAKE_TABLES, lakeTable, type LakeTable } from '../../lake/layout.ts';
import { withoutQuotedValues } from '../../privacy/redact.ts';
import { keysetOfCursor } from '../cursor.ts';
import { nextPageCursor } from '../keyset.ts';
import { firstWindowEnd, nextWindowEnd, planStatement, type AnswerSource } from '../plan.ts';
import type { Cell, QueryEngine, QueryRequest, QueryResult } from '../types.ts';
import { LakeCopies } from './lake-copies.ts';
import { SessionPool, type Session } from './pool.ts';
import { RollupSource } from './rollup-source.ts';
import { bindStatement, rowsOf, type Bound } from './statement.ts';
import { createLakeViews, narrowedFactRelation } from './views.ts';

export interface DuckDbOptions {
  readonly lakeDir: string;
  readonly threads: number;
  readonly memoryMb: number;
  /** Most connections (= queries running at once); further requests wait their turn. */
  readonly maxConnections?: number;
  /**
   * Caches of file metadata and blocks, and the in-memory copies of the rollups and the lake
   * (default on). Off only to measure what a query really reads from storage (profile()).
   */
  readonly caches?: boolean;
  /**
   * Answer aggregate queries from the daily rollups where they are fresh (default on). Off = the
   * raw SQL always (what the rollup path is compared with in tests and the bench).
   */
  readonly rollups?: boolean;
  /** Memory for in-memory copies of the lake's tables (lake-copies.ts), MiB; 0 = read the files always. */
  readonly lakeCopyMb?: number;
}

/**
 * Join keys DuckDB may push from a join's small side into the other side's scan as a list
 * (default 50): more than a listing's largest page (PAGE_BOUNDS.max + 1 rows), so a page's
 * trackcode and location ids reach their tables' scans and indexes (lake-copies.ts).
 */
const PUSHED_JOIN_KEYS = 1024;

/** Longest range (in days of partitions) listed per request rather than globbed by DuckDB. */
const NARROW_MAX_DAYS = 62;

/** Failures that mean "the lake's files are unreadable", not "our SQL is wrong". */
const DATA_FAULT = /(No files found|Could not open file|No such file|No magic bytes|not a parquet file|[Cc]orrupt|IO Error|Invalid Input Error: .*\.parquet)/;


export class DuckDbEngine implements QueryEngine {
  readonly name = 'duckdb' as const;

  private constructor(
    private readonly db: DuckDBInstance,
    private readonly pool: SessionPool,
    private readonly lakeDir: string,
    private readonly rollups: RollupSource | undefined,
    private readonly lakeCopies: LakeCopies | undefined,
  ) {}

  /** The engine as configured (engineConfig: threads, memory, lake copies) over `lake` (the configured lake unless given): the gateway's. */
  static fromConfig(lake = lakeDir()): Promise<DuckDbEngine> {
    const cfg = engineConfig();
    return DuckDbEngine.create({ lakeDir: lake, threads: cfg.duckdbThreads, memoryMb: cfg.duckdbMemoryMb, lakeCopyMb: cfg.duckdbLakeCopyMb });
  }

  static async create(opts: DuckDbOptions): Promise<DuckDbEngine> {
    const db = await DuckDBInstance.create(':memory:', {
      threads: String(opts.threads),
      memory_limit: `${opts.memoryMb}MB`,
      // No TimeZone setting: the lake's columns are TIMESTAMP (UTC wall time, no zone), so
      // no cast depends on the session's time zone.
    });
    const caches = opts.caches ?? true;
    const lakeCopies = caches && (opts.lakeCopyMb ?? 0) > 0 ? new LakeCopies(db, opts.lakeDir, opts.lakeCopyMb! * 2 ** 20) : undefined;
    const rollups = (opts.rollups ?? true) ? new RollupSource(db, opts.lakeDir, caches) : undefined;
    const pool = new SessionPool(db, opts.maxConnections ?? 8);
    const engine = new DuckDbEngine(db, pool, opts.lakeDir, rollups, lakeCopies);
    // Views live in the database's catalog: created once, every pooled connection sees them.
    const session = await pool.acquire();
    try {
      // Parquet footers are cached (keyed by file and modification time), so repeated queries
      // over the same partitions skip re-reading metadata. Set once the built-in parquet
      // extension is loaded; GLOBAL so every pooled connection has it.
      await session.conn.run(`LOAD parquet; SET GLOBAL parquet_metadata_cache = ${caches}; SET GLOBAL enable_external_file_cache = ${caches}`);
      await session.conn.run(`SET GLOBAL dynamic_or_filter_threshold = ${PUSHED_JOIN_KEYS}`);
      await createLakeViews(session.conn, opts.lakeDir);
    } finally {
      pool.release(session);
    }
    lakeCopies?.prime(LAKE_TABLES.filter((t: LakeTable) => !t.rollupOf));
    return engine;
  }

  async run(req: QueryRequest): Promise<QueryResult> {
    const started = performance.now();
    if (!req.page) return this.execute(req, started);
    // A listing needs only the earliest rows after its keyset: a window of the range that holds
    // more than a page (engine/plan.ts). Its rows are the earliest of the range, so its page is the range's.
    const after = req.cursor === undefined ? undefined : keysetOfCursor(req.cursor, req.query.page!.keys.length);
    const resume = Math.max(req.params.from.getTime(), after === undefined ? 0 : Date.parse(String(after[0])));
    if (!Number.isFinite(resume)) throw new Error('malformed cursor');
    const from = new Date(resume);
    const to = req.params.to.getTime();
    const rowsOnDay = await this.rollups?.rowsOnDay(req.query.page!.table, req.params);
    for (let end = firstWindowEnd(resume, to, req.page.size + 1, rowsOnDay); ; end = nextWindowEnd(resume, end, to)) {
      const result = await this.execute({ ...req, params: { ...req.params, from, to: new Date(end) } }, started, after);
      if (result.cursor !== null || end === to) return result;
    }
  }

  /** One execution of the planned statement, cut off at the request's deadline. */
  private async execute(req: QueryRequest, started: number, after?: readonly Cell[]): Promise<QueryResult> {
    const session = await this.pool.acquire();
    let bound: Bound, source: AnswerSource;
    try {
      ({ bound, source } = await this.setUp(session, req, after));
    } catch (e) {
      this.pool.release(session);
      throw new DataUnavailable((e as Error).message, { cause: e });
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      session.conn.interrupt();
    }, Math.max(0, req.deadline - Date.now()));
    try {
      const prepared = await this.pool.prepare(session, bound.sql);
      prepared.bind(bound.values, bound.types);
      const reader = await prepared.runAndReadAll();
      const rows = rowsOf(req.query, reader.columnNames(), reader.getRows());
      let cursor: string | null = null;
      if (req.page && rows.length > req.page.size) {
        rows.length = req.page.size; // one more than served was picked: a next page exists
        cursor = nextPageCursor(req.query, rows[rows.length - 1]!);
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
      // A file fault names files, never row values; any other message may quote a value (kept out of the log).
      if (DATA_FAULT.test(message)) throw new DataUnavailable(message, { cause: e });
      throw new EngineFailure(withoutQuotedValues(message));
    } finally {
      clearTimeout(timer);
      this.pool.release(session);
    }
  }

  /**
   * Plan the request (engine/plan.ts), point the session's views at what the statement reads,
   * and bind it. The rollup path reads the recorded files of its span's rollup days and the raw
   * partitions of the other days; the SQL's own dt filters still apply.
   */
  private async setUp(session: Session, req: QueryRequest, after?: readonly Cell[], useRollups = true): Promise<{ bound: Bound; source: AnswerSource }> {
    const path = req.query.rollup;
    const rollups = useRollups ? this.rollups : undefined;
    const days = path && rollups && !req.page && req.cursor === undefined ? await rollups.days(path) : undefined;
    const statement = planStatement(req, days?.usable);
    if (statement.source === 'raw') await this.pointFacts(session, statement.query, statement.rawDays);
    else {
      await this.pointFacts(session, statement.query, statement.rawDays, true);
      const rollup = lakeTable(path!.table);
      await this.pool.setView(session, rollup.name, days!.relation(statement.spanDays));
    }
    await this.pointDimensions(session, statement.query);
    return { bound: bindStatement(statement.query, statement.params, req.page, after, req.privacy), source: statement.source };
  }

  /**
   * Point a statement's fact tables at the partitions of `days` (TEMP views that shadow the
   * lake-wide ones): their in-memory copy while exact, else the listed files. A raw statement
   * over more than about two months reads the lake-wide view (listing so many folders costs more
   * than DuckDB's own glob); a rollup path's raw part always reads exactly its days (none: none).
   */
  private async pointFacts(session: Session, query: NamedQuery, days: readonly string[], exactly = false): Promise<void> {
    for (const name of query.factTables) {
      const t = lakeTable(name);
      const copied = days.length > 0 ? await this.lakeCopies?.relation(t, days) : undefined;
      // The files are listed only when the copy cannot serve (listing a week's folders costs ~1.5 ms).
      const listed = copied === undefined && (exactly || days.length <= NARROW_MAX_DAYS) ? await narrowedFactRelation(this.lakeDir, t, days) : undefined;
      await this.pool.setView(session, name, copied ?? listed);
    }
  }

  /** Point the dimension tables a query reads at their in-memory copies while those are exact (else their files). */
  private async pointDimensions(session: Session, query: NamedQuery): Promise<void> {
    for (const name of query.dimensionTables) await this.pool.setView(session, name, await this.lakeCopies?.relation(lakeTable(name)));
  }

  /**
   * Profile one run (EXPLAIN ANALYZE): files scanned and bytes read per table scan. For tests
   * and the benchmark (partition pruning), not for requests.
   */
  async profile(req: QueryRequest, opts: { rollups?: boolean } = {}): Promise<{ bytesRead: number; source: AnswerSource; scans: { files: string; filesRead: number }[] }> {
    const session = await this.pool.acquire();
    try {
      // The raw SQL unless asked (partition pruning is measured on it); the rollup path on request.
      const { bound, source } = await this.setUp(session, req, undefined, opts.rollups ?? false);
      const reader = await session.conn.runAndReadAll(`EXPLAIN (ANALYZE, FORMAT JSON) ${bound.sql}`, bound.values, bound.types);
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
      this.pool.release(session);
    }
  }

  /** Settles once the in-memory copies of the lake's tables are made (tests and the bench wait for it). */
  async copiesReady(): Promise<void> {
    await this.lakeCopies?.ready();
  }

  async close(): Promise<void> {
    await this.lakeCopies?.ready(); // a copy still being made holds a connection
    this.pool.close();
    this.db.closeSync();
  }
}
