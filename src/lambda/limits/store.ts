/**
 * Where the limiter keeps each client's bucket and day counter.
 *
 * Each function of the local gateway is a bundle of its own (module state per function, and per
 * worker thread where serverless-offline runs them in workers), and the authorizer another, so a
 * counter in memory would give each its own allowance. `SqliteLimitStore` shares the state through one small SQLite file (Node's
 * built-in `node:sqlite`, no native addon): WAL mode, a busy timeout, and one `BEGIN IMMEDIATE`
 * transaction per request, so read-decide-write is atomic across threads and processes.
 * `MemoryLimitStore` is for one process (unit tests, the bench).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { inWriteTransaction, openSharedSqlite } from '../../shared/sqlite.ts';
import { takeRequest, type ClientLimitState, type LimitVerdict } from './bucket.ts';
import type { Plan } from './plans.ts';

export interface LimitStore {
  /** Decide and record one request of `clientId` at `nowMs`, atomically. */
  take(clientId: number, plan: Plan, nowMs: number): LimitVerdict;
  close(): void;
}

export class MemoryLimitStore implements LimitStore {
  private readonly states = new Map<number, ClientLimitState>();
  take(clientId: number, plan: Plan, nowMs: number): LimitVerdict {
    const verdict = takeRequest(this.states.get(clientId), plan, nowMs);
    this.states.set(clientId, verdict.state);
    return verdict;
  }
  close(): void {
    this.states.clear();
  }
}

export class SqliteLimitStore implements LimitStore {
  private readonly select: StatementSync;
  private readonly upsert: StatementSync;

  private constructor(private readonly db: DatabaseSync) {
    db.exec(`CREATE TABLE IF NOT EXISTS client_limit (
      client_id INTEGER PRIMARY KEY, tokens REAL NOT NULL, updated_ms INTEGER NOT NULL, day TEXT NOT NULL, used INTEGER NOT NULL
    ) STRICT`);
    this.select = db.prepare('SELECT tokens, updated_ms, day, used FROM client_limit WHERE client_id = ?');
    this.upsert = db.prepare(`INSERT INTO client_limit (client_id, tokens, updated_ms, day, used) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (client_id) DO UPDATE SET tokens = excluded.tokens, updated_ms = excluded.updated_ms, day = excluded.day, used = excluded.used`);
  }

  /** Open (creating if needed) the database file; its folder is created too. */
  static async open(file: string): Promise<SqliteLimitStore> {
    return new SqliteLimitStore(await openSharedSqlite(file));
  }

  take(clientId: number, plan: Plan, nowMs: number): LimitVerdict {
    // The write lock is taken first: no two threads decide on the same state.
    return inWriteTransaction(this.db, () => {
      const row = this.select.get(clientId);
      const previous: ClientLimitState | undefined = row && {
        tokens: Number(row.tokens), updatedMs: Number(row.updated_ms), day: String(row.day), used: Number(row.used),
      };
      const verdict = takeRequest(previous, plan, nowMs);
      const s = verdict.state;
      this.upsert.run(clientId, s.tokens, s.updatedMs, s.day, s.used);
      return verdict;
    });
  }

  close(): void {
    this.db.close();
  }
}
