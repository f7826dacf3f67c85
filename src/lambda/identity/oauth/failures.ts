/**
 * Brute-force guard of the token endpoint: after `maxFailures` failed authentications of one
 * client id within a window, that id's further failures are answered 429 (with Retry-After)
 * until the window ends (60 s by default); the right secret is always accepted, so nobody can
 * lock an owner out by failing on purpose.
 *
 * Where the windows live: in memory for one function instance (AWS, where the route also has
 * API Gateway method throttling), or in the local limiter's SQLite file, shared by every
 * function of the local gateway (`npm start`), so concurrent guesses are counted together
 * however serverless-offline runs them.
 *
 * Bounded state. A window that is over is deleted (on the next failure recorded, cheaply: the
 * oldest windows come first). The presented ids are of two kinds:
 * - known ids (an access rule or a stored secret): their windows are never evicted, and their
 *   number is bounded by the access table and the credentials store;
 * - unknown ids (anything an attacker makes up, and every malformed id, counted as one): at most
 *   `maxUnknown` windows; a new one beyond the bound evicts the oldest (the nearest to its end,
 *   so evicting it forgets the least).
 * So a flood of made-up ids cannot evict a real client's lock, nor grow the state without bound.
 *
 * An unknown id is answered exactly like a known id with a wrong secret (401, then 429 with
 * Retry-After) while its window is kept. Residual: under a flood of more than `maxUnknown`
 * distinct unknown ids within one window, an unknown id's window may be evicted, and that id is
 * then answered 401 again where a known id would still get 429. Telling the two apart that way
 * costs `maxUnknown` + 6 requests per probed id within one window (10 000 by default, against
 * the route's throttling on AWS), and reveals only that an id has no rule and no secret.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { inWriteTransaction, openSharedSqlite } from '../../../shared/sqlite.ts';

export interface FailureWindow {
  readonly start: number;
  readonly failures: number;
}

/** The default bound on unknown ids' windows (LAKEGATE_OAUTH_MAX_UNKNOWN_WINDOWS). */
export const DEFAULT_MAX_UNKNOWN_WINDOWS = 10_000;

export interface FailureStore {
  get(key: string): FailureWindow | undefined;
  /**
   * Atomically: delete every window that started at or before `expiredAt` (it is over), then
   * replace `key`'s window by `next(current)`. `known`: whether `key` names a client we have
   * (never evicted); an unknown key's window counts against the store's bound.
   */
  update(key: string, known: boolean, expiredAt: number, next: (current: FailureWindow | undefined) => FailureWindow): void;
  delete(key: string): void;
  /** How many windows are kept, by kind. */
  count(): { known: number; unknown: number };
}

/** The window after one more failure at `now`: a new one when there is none or it is over. */
export function afterFailure(w: FailureWindow | undefined, now: number, windowMs: number): FailureWindow {
  return !w || now >= w.start + windowMs ? { start: now, failures: 1 } : { start: w.start, failures: w.failures + 1 };
}

/** Seconds until a failure is answered 401 again (0: now), given the window so far. */
export function retryAfter(w: FailureWindow | undefined, now: number, maxFailures: number, windowMs: number): number {
  if (!w || w.failures < maxFailures) return 0;
  const left = w.start + windowMs - now;
  return left > 0 ? Math.ceil(left / 1000) : 0;
}

export class MemoryFailureStore implements FailureStore {
  // Each map is in window-start order (a window that starts anew is re-inserted at the end),
  // so the expired windows, and the oldest unknown one, are at the front.
  private readonly known = new Map<string, FailureWindow>();
  private readonly unknown = new Map<string, FailureWindow>();
  constructor(private readonly maxUnknown = DEFAULT_MAX_UNKNOWN_WINDOWS) {}

  get(key: string) {
    return this.known.get(key) ?? this.unknown.get(key);
  }

  update(key: string, known: boolean, expiredAt: number, next: (current: FailureWindow | undefined) => FailureWindow): void {
    dropExpired(this.known, expiredAt);
    dropExpired(this.unknown, expiredAt);
    const current = this.get(key);
    const w = next(current);
    // An id changes kind when its client is created or removed: it is kept on one side only.
    // (Moved with its old start, it may sit behind younger windows: it is then dropped at most
    // one window later than its turn.)
    (known ? this.unknown : this.known).delete(key);
    const side = known ? this.known : this.unknown;
    if (current?.start !== w.start) side.delete(key);
    if (!known && !side.has(key)) while (side.size >= this.maxUnknown) side.delete(side.keys().next().value!);
    side.set(key, w);
  }

  delete(key: string): void {
    this.known.delete(key);
    this.unknown.delete(key);
  }

  count() {
    return { known: this.known.size, unknown: this.unknown.size };
  }
}

function dropExpired(windows: Map<string, FailureWindow>, expiredAt: number): void {
  for (const [key, w] of windows) {
    if (w.start > expiredAt) return;
    windows.delete(key);
  }
}

/**
 * The windows in a SQLite file shared by threads and processes (WAL, one write transaction per
 * failure). Indexed by start, so deleting the expired windows and evicting the oldest unknown
 * one read only the rows they delete.
 */
export class SqliteFailureStore implements FailureStore {
  private readonly sql: Record<'get' | 'put' | 'delete' | 'dropExpired' | 'countUnknown' | 'evictUnknown' | 'count', StatementSync>;

  private constructor(
    private readonly db: DatabaseSync,
    private readonly maxUnknown: number,
  ) {
    inWriteTransaction(db, () => {
      // Files from before windows had a kind: their rows are at most a window old, so starting
      // the table afresh forgets at most one window's failures, once.
      const columns = db.prepare("SELECT name FROM pragma_table_info('token_failures')").all().map((r) => r.name);
      if (columns.length > 0 && !columns.includes('known')) db.exec('DROP TABLE token_failures');
      db.exec(`CREATE TABLE IF NOT EXISTS token_failures (
        client TEXT PRIMARY KEY, start_ms INTEGER NOT NULL, failures INTEGER NOT NULL, known INTEGER NOT NULL
      ) STRICT`);
      db.exec('CREATE INDEX IF NOT EXISTS token_failures_by_start ON token_failures (start_ms)');
      db.exec('CREATE INDEX IF NOT EXISTS token_failures_unknown_by_start ON token_failures (start_ms) WHERE known = 0');
    });
    this.sql = {
      get: db.prepare('SELECT start_ms, failures, known FROM token_failures WHERE client = ?'),
      put: db.prepare(`INSERT INTO token_failures (client, start_ms, failures, known) VALUES (?, ?, ?, ?)
        ON CONFLICT (client) DO UPDATE SET start_ms = excluded.start_ms, failures = excluded.failures, known = excluded.known`),
      delete: db.prepare('DELETE FROM token_failures WHERE client = ?'),
      dropExpired: db.prepare('DELETE FROM token_failures WHERE start_ms <= ?'),
      countUnknown: db.prepare('SELECT count(*) AS n FROM token_failures WHERE known = 0'),
      evictUnknown: db.prepare(`DELETE FROM token_failures WHERE client IN (
        SELECT client FROM token_failures WHERE known = 0 AND client <> ? ORDER BY start_ms LIMIT ?)`),
      count: db.prepare('SELECT known, count(*) AS n FROM token_failures GROUP BY known'),
    };
  }

  static async open(file: string, maxUnknown = DEFAULT_MAX_UNKNOWN_WINDOWS): Promise<SqliteFailureStore> {
    return new SqliteFailureStore(await openSharedSqlite(file), maxUnknown);
  }

  get(key: string): FailureWindow | undefined {
    const row = this.sql.get.get(key);
    return row && { start: Number(row.start_ms), failures: Number(row.failures) };
  }

  update(key: string, known: boolean, expiredAt: number, next: (current: FailureWindow | undefined) => FailureWindow): void {
    inWriteTransaction(this.db, () => {
      this.sql.dropExpired.run(expiredAt);
      const row = this.sql.get.get(key);
      const w = next(row && { start: Number(row.start_ms), failures: Number(row.failures) });
      this.sql.put.run(key, w.start, w.failures, known ? 1 : 0);
      // Only a window new to the unknown side can take it past the bound (counting is then
      // one scan of the unknown ids' index, at most `maxUnknown` + 1 entries).
      if (!known && (!row || Number(row.known) === 1)) {
        const excess = Number(this.sql.countUnknown.get()!.n) - this.maxUnknown;
        if (excess > 0) this.sql.evictUnknown.run(key, excess);
      }
    });
  }

  delete(key: string): void {
    this.sql.delete.run(key);
  }

  count() {
    const counts = { known: 0, unknown: 0 };
    for (const r of this.sql.count.all()) counts[Number(r.known) === 1 ? 'known' : 'unknown'] = Number(r.n);
    return counts;
  }
}

export class FailureGuard {
  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly store: FailureStore = new MemoryFailureStore(),
  ) {}

  /** Seconds to wait before this client id may fail without a 429, or 0. */
  retryAfterSeconds(key: string): number {
    return retryAfter(this.store.get(key), this.now(), this.maxFailures, this.windowMs);
  }

  /**
   * Count one failure of `key` (`known`: it names a client with a rule or a secret) and return
   * how long it must wait (0: answer 401; more: answer 429), as decided from the window before
   * this failure, in the same atomic update, so concurrent failures are counted exactly.
   */
  failed(key: string, known: boolean): number {
    const now = this.now();
    let wait = 0;
    this.store.update(key, known, now - this.windowMs, (w) => {
      wait = retryAfter(w, now, this.maxFailures, this.windowMs);
      return afterFailure(w, now, this.windowMs);
    });
    return wait;
  }

  /** A success clears the id's window (no write when it has none: the usual case). */
  succeeded(key: string): void {
    if (this.store.get(key)) this.store.delete(key);
  }
}
