/**
 * The embedded engine's connections: a small pool over one DuckDB instance, so concurrent requests
 * run in parallel without sharing a connection. Each connection keeps what it has set up: the
 * relation each lake table's TEMP view points at (absent = the lake-wide view) and its prepared
 * statements, reused while those views stay the same.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement } from '@duckdb/node-api';

export interface Session {
  readonly conn: DuckDBConnection;
  readonly views: Map<string, string>;
  readonly prepared: Map<string, DuckDBPreparedStatement>;
}

const MAX_PREPARED_PER_SESSION = 64;

export class SessionPool {
  private readonly idle: Session[] = [];
  private readonly waiting: ((s: Session) => void)[] = [];
  private open = 0;

  constructor(
    private readonly db: DuckDBInstance,
    /** Most connections (= queries running at once); further requests wait their turn. */
    private readonly max: number,
  ) {}

  async acquire(): Promise<Session> {
    const session = this.idle.pop();
    if (session) return session;
    if (this.open < this.max) {
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

  release(session: Session): void {
    const next = this.waiting.shift();
    if (next) next(session);
    else this.idle.push(session);
  }

  /** The session's prepared statement for this SQL (valid while its views are unchanged). */
  async prepare(session: Session, sql: string): Promise<DuckDBPreparedStatement> {
    let statement = session.prepared.get(sql);
    if (!statement) {
      if (session.prepared.size >= MAX_PREPARED_PER_SESSION) forgetPrepared(session);
      statement = await session.conn.prepare(sql);
      session.prepared.set(sql, statement);
    }
    return statement;
  }

  /**
   * Point a table's TEMP view at a relation (undefined = the lake-wide view). A view is only
   * re-created when its relation changes, and then the session's prepared statements go with it.
   */
  async setView(session: Session, table: string, relation: string | undefined): Promise<void> {
    if (session.views.get(table) === relation) return;
    forgetPrepared(session);
    if (relation === undefined) {
      await session.conn.run(`DROP VIEW IF EXISTS temp.${table}`);
      session.views.delete(table);
    } else {
      await session.conn.run(`CREATE OR REPLACE TEMP VIEW ${table} AS ${relation}`);
      session.views.set(table, relation);
    }
  }

  /** Close every idle connection (the engine closes once its requests are over). */
  close(): void {
    for (const s of this.idle.splice(0)) {
      forgetPrepared(s);
      s.conn.closeSync();
    }
  }
}

function forgetPrepared(session: Session): void {
  for (const p of session.prepared.values()) p.destroySync();
  session.prepared.clear();
}
