/** The token endpoint's failure windows as a SQLite file holds them, read through a connection of its own (not the store's). */
import { DatabaseSync } from 'node:sqlite';

export function failureTable(file: string): { client: string; failures: number; known: boolean }[] {
  const db = new DatabaseSync(file);
  try {
    return db.prepare('SELECT client, failures, known FROM token_failures ORDER BY client').all()
      .map((r) => ({ client: String(r.client), failures: Number(r.failures), known: Number(r.known) === 1 }));
  } finally {
    db.close();
  }
}

/** How many windows the file holds, and how many of them are known clients'. */
export function failureRows(file: string): { rows: number; known: number } {
  const rows = failureTable(file);
  return { rows: rows.length, known: rows.filter((r) => r.known).length };
}
