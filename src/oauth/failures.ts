/**
 * Brute-force guard of the token endpoint: after `maxFailures` failed authentications of one
 * client id within a window, that id's further failures are answered 429 (with Retry-After)
 * until the window ends (60 s by default); the right secret is always accepted, so nobody can
 * lock an owner out by failing on purpose.
 *
 * Where the windows live: in memory for one function instance (AWS, where the route also has
 * API Gateway method throttling), or in the local limiter's SQLite file, shared by every
 * serverless-offline worker thread (`npm start`), so concurrent guesses spread over workers
 * are counted together.
 */
import type { DatabaseSync } from 'node:sqlite';
import { inWriteTransaction, openSharedSqlite } from '../sqlite.ts';

export interface FailureWindow {
  readonly start: number;
  readonly failures: number;
}

export interface FailureStore {
  get(key: string): FailureWindow | undefined;
  /** Atomically replace a key's window by `next(current)` (undefined deletes it). */
  update(key: string, next: (current: FailureWindow | undefined) => FailureWindow | undefined): void;
}

export class MemoryFailureStore implements FailureStore {
  private readonly windows = new Map<string, FailureWindow>();
  constructor(private readonly maxTracked = 10_000) {}

  get(key: string) {
    return this.windows.get(key);
  }

  update(key: string, next: (current: FailureWindow | undefined) => FailureWindow | undefined): void {
    const w = next(this.windows.get(key));
    if (w === undefined) this.windows.delete(key);
    else {
      // A flood of distinct ids: forget the oldest windows rather than grow without bound.
      while (!this.windows.has(key) && this.windows.size >= this.maxTracked) this.windows.delete(this.windows.keys().next().value!);
      this.windows.set(key, w);
    }
  }
}

/** The windows in a SQLite file shared by threads and processes (WAL, one write transaction per update). */
export class SqliteFailureStore implements FailureStore {
  private constructor(private readonly db: DatabaseSync) {
    db.exec('CREATE TABLE IF NOT EXISTS token_failures (client TEXT PRIMARY KEY, start_ms INTEGER NOT NULL, failures INTEGER NOT NULL) STRICT');
  }

  static async open(file: string): Promise<SqliteFailureStore> {
    return new SqliteFailureStore(await openSharedSqlite(file));
  }

  get(key: string): FailureWindow | undefined {
    const row = this.db.prepare('SELECT start_ms, failures FROM token_failures WHERE client = ?').get(key);
    return row && { start: Number(row.start_ms), failures: Number(row.failures) };
  }

  update(key: string, next: (current: FailureWindow | undefined) => FailureWindow | undefined): void {
    inWriteTransaction(this.db, () => {
      const w = next(this.get(key));
      if (w === undefined) this.db.prepare('DELETE FROM token_failures WHERE client = ?').run(key);
      else this.db.prepare('INSERT OR REPLACE INTO token_failures (client, start_ms, failures) VALUES (?, ?, ?)').run(key, w.start, w.failures);
    });
  }
}

export class FailureGuard {
  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly store: FailureStore = new MemoryFailureStore(),
  ) {}

  /** Seconds to wait before this client id may try again, or 0. */
  retryAfterSeconds(key: string): number {
    const w = this.store.get(key);
    if (!w || w.failures < this.maxFailures) return 0;
    const left = w.start + this.windowMs - this.now();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  failed(key: string): void {
    const now = this.now();
    this.store.update(key, (w) => (!w || now >= w.start + this.windowMs ? { start: now, failures: 1 } : { start: w.start, failures: w.failures + 1 }));
  }

  succeeded(key: string): void {
    this.store.update(key, () => undefined);
  }
}
