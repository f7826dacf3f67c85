/**
 * npm run --silent lake-sql < file.sql   — run SQL over the local lake and print each result.
 *
 * Each lake table is a view (fact tables with `dt` as VARCHAR, as Glue catalogs it), the same
 * views the DuckDB engine queries. For operators checking data by hand, like the Athena console.
 */
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { createLakeViews } from '../src/lambda/engine/duckdb/views.ts';
import { requireLocalLake } from '../src/ops/local-lake.ts';

const lake = requireLocalLake('lake-sql');
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
await createLakeViews(conn, lake);
const sql = readFileSync(0, 'utf8');
const statements = await conn.extractStatements(sql);
for (let i = 0; i < statements.count; i++) {
  const prepared = await statements.prepare(i);
  const result = await prepared.runAndReadAll();
  if (result.columnCount === 0) continue;
  console.table(result.getRowObjectsJson());
}
