/**
 * The small SQLite files the local gateway's functions share (each a bundle of its own; the plan
 * limiter's buckets, the token endpoint's failure windows): Node's built-in `node:sqlite`, no
 * native addon. WAL and a busy timeout let threads and processes take turns; `synchronous=OFF`
 * because this is a limiter's state, not a ledger (a crash at worst refills a bucket).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

/** How long a write waits for another thread's transaction before giving up (the caller fails closed). */
export const BUSY_TIMEOUT_MS = 2000;

export async function openSharedSqlite(file: string): Promise<DatabaseSync> {
  const { DatabaseSync } = await import('node:sqlite');
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
  db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = OFF');
  return db;
}

/** Run `work` in one write transaction taken up front (BEGIN IMMEDIATE): read-decide-write is atomic across threads. */
export function inWriteTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (e) {
    db.exec('ROLLBACK');
    throw e;
  }
}
